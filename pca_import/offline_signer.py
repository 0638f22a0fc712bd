"""Stable pickle path of the offline signer's provider: existing Pulumi state names `pca_import.offline_signer.<class>`.

Pulumi pickles a dynamic provider by reference (module and class name) into every resource's state, so this
module and these names must stay importable forever. The code lives in `pca_import.resources.offline_signer`; each class there
declares this module as its `__module__`, so new state keeps naming this path.
"""
from pca_import.resources.offline_signer import OfflineSignerProvider

__all__ = ['OfflineSignerProvider']
