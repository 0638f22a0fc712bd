"""Stable pickle path of the CA and issued-certificate providers: existing Pulumi state names `pca_import.ca_resources.<class>`.

Pulumi pickles a dynamic provider by reference (module and class name) into every resource's state, so this
module and these names must stay importable forever. The code lives in `pca_import.resources.ca`; each class there
declares this module as its `__module__`, so new state keeps naming this path. The resource classes are here too:
a user's program of the flat layout imported them from this module and keeps working unchanged.
"""
from pca_import.resources.ca import (IssuedCaCertificate, IssuedCaCertificateProvider, PrivateCaProvider,
                                     PrivateCertificateAuthority)

__all__ = ['PrivateCaProvider', 'IssuedCaCertificateProvider', 'PrivateCertificateAuthority', 'IssuedCaCertificate']
