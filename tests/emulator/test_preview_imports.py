"""A no-change preview in the engine's provider host: check and diff of a CA, its issued certificate and its
import with the inputs the last apply left never load cryptography or the rule engine (a process of its own: what
a module imports is only visible in a fresh one)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from certfactory import ca, csr_for

from pca_import.core.spec import SUBORDINATE_TEMPLATES
from pca_import.provider import CaCertificateImportProvider

ARN = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"


def _checked(provider, news: dict) -> dict:
    result = provider.check({}, news)
    assert not result.failures, [f.reason for f in result.failures]
    return result.inputs


def test_a_no_change_preview_loads_no_cryptography_in_the_provider(tmp_path):
    """check and diff of a CA, its issued certificate and its import, inputs as the last apply left them, in a
    fresh process as the engine's provider host runs them: no rule engine, no cryptography."""
    root = ca("Quiet Root")
    sub = ca("Quiet Sub", root)
    provider = CaCertificateImportProvider()
    provider._live_checks = False
    imp = _checked(provider, {"certificate_authority_arn": ARN, "certificate": sub.pem, "certificate_chain": root.pem})
    issued = {"issuer_arn": ARN, "csr": csr_for("Quiet Sub", "Quiet Sub"), "template_arn": SUBORDINATE_TEMPLATES[0],
              "signing_algorithm": "SHA256WITHECDSA", "validity_days": 365, "issuer_chain": root.pem,
              "renew_before_days": 30, "certificate": sub.pem, "certificate_chain": root.pem}
    ca_props = {"ca_type": "SUBORDINATE", "key_algorithm": "EC_prime256v1", "subject": {"commonName": "Quiet Sub"}}
    (tmp_path / "state.json").write_text(json.dumps({"import": imp, "issued": issued, "ca": ca_props}))
    probe = f"""
import json, sys
state = json.load(open({str(tmp_path / "state.json")!r}))
from pca_import.provider import CaCertificateImportProvider
from pca_import.ca_resources import IssuedCaCertificateProvider, PrivateCaProvider
results = []
for provider, props in ((PrivateCaProvider(), state["ca"]), (IssuedCaCertificateProvider(), state["issued"]),
                        (CaCertificateImportProvider(), state["import"])):
    checked = provider.check(props, dict(props))
    results.append([f.reason for f in checked.failures])
    results.append(provider.diff("id", props, checked.inputs).changes)
print(json.dumps({{"results": results, "cryptography": "cryptography" in sys.modules}}))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                    env=env).stdout)
    assert out["results"] == [[], False, [], False, [], False]
    assert out["cryptography"] is False
