"""The pca-import Pulumi program: a PKI stack (role `pki`) or the offline signer stack (role `signer`).

What each stack builds is read from its config in stacks/ (see README: "Hierarchy config").
"""
import sys

import pulumi

from pca_import.errors import ActionableError
from pca_import.resources.hierarchy.program import main

try:
    main()
except ActionableError as exc:  # e.g. an AWS set-up problem reading an adopted CA: the message has the fix
    pulumi.log.error(f"pca-import: {exc}")
    sys.exit(32)  # the language host's "message already shown" code: no traceback
