"""pca-import's policy pack: `pulumi preview --policy-pack policy` runs the rule engine on every
aws.acmpca.CertificateAuthorityCertificate and every CaCertificateImport of the stack.

Three policies: `pca-import-errors` (mandatory: the import would fail), `pca-import-warnings` (advisory), and
the stack policy `pca-import-ca` (mandatory: the certificate does not fit the CA it is imported into).
What is checked lives in pca_import/integrations/crossguard.py, the wiring in integrations/policy_pack.py (the
same pack `pca-import policy-pack DIR` writes for use outside this checkout).
"""
import sys

try:
    from pca_import.integrations.policy_pack import serve
except ImportError as exc:  # a message the user can act on, not a traceback
    print(f"pca-import policy pack: {exc}. Create the pack's virtualenv: `make policy-venv` in the pca-import "
          "checkout (or: cd policy && python3 -m venv venv && venv/bin/pip install -r requirements.txt)",
          file=sys.stderr, flush=True)
    sys.exit(1)

serve()
