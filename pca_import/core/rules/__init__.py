"""All import rules. Importing this package registers every rule in `registry.RULES`.

Where a rule lives, by file: encoding.py (PEM/DER/blocks), size.py (32 KB / 2 MB), chain.py (root vs
subordinate, chain content and order, signatures, names, name constraints, path length, depth), extensions.py (basic constraints, critical
extensions, key usage), keymatch.py (the CA's CSR), validity.py (dates), status.py (CA status).
"""
from pca_import.core.rules import chain, encoding, extensions, keymatch, size, status, validity  # noqa: F401
from pca_import.core.rules.registry import RULES, Rule, rule  # noqa: F401
