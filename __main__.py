"""The pca-import Pulumi program: a PKI stack (role `pki`) or the offline signer stack (role `signer`).

What each stack builds is read from its config in stacks/ (see README: "Hierarchy config").
"""
from pca_import.hierarchy import main

main()
