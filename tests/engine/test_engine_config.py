"""Stack config mistakes as a person sees them in `pulumi preview` (real engine, file backend): every mistake
at once, by position and field, for both roles — never a traceback, nothing registered."""
from __future__ import annotations

import pytest

from pca_import.devtools.local_pulumi import LocalProject, engine_bin

pytestmark = pytest.mark.engine


def test_every_config_mistake_is_shown_at_once_without_a_traceback(tmp_path, emulator_url):
    proj = LocalProject(tmp_path / "w", engine_bin(), {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1",
                                                         "AWS_ACCESS_KEY_ID": "testing",
                                                         "AWS_SECRET_ACCESS_KEY": "testing"})
    proj.init_stack("pki")
    proj.set_object("pki", "pca-import:hierarchy", [
        {"name": "root", "type": "ROOT", "validityDays": "abc", "keyAlgorithm": ["EC_prime256v1"]},
        {"name": "issuing", "type": "SUBORDINATE", "parent": "rot", "pathLength": True},
        {"name": "partner", "type": "SUBORDINATE", "signer": "external", "certificate": 123, "validityDays": -5}])
    proc = proj.pulumi("preview", stack="pki", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for line in ["pca-import:hierarchy[0] (root).validityDays: must be a whole number (got 'abc')",
                 "pca-import:hierarchy[0] (root).keyAlgorithm: must be text (got a list)",
                 "pca-import:hierarchy[1] (issuing).pathLength: must be a whole number (got true)",
                 "pca-import:hierarchy[1] (issuing): `parent` 'rot' is not a CA in this hierarchy",
                 "pca-import:hierarchy[2] (partner).certificate: must be text (got 123)",
                 "pca-import:hierarchy[2] (partner).validityDays: is too small (got -5)"]:
        assert line in text, (line, text)
    assert "Traceback" not in text and 'File "' not in text
    assert "pulumi-python:dynamic" not in text  # nothing was registered

    proj.init_stack("signer")
    proj.config_set("signer", "pca-import:signerCertificate", "-----BEGIN CERTIFICATE-----\nMIIB\n"
                                                             "-----END CERTIFICATE-----\n")
    proj.edit_config("signer", lambda c: c.update({"pca-import:signs": {"partner": {"validityDays": "long",
                                                                                      "renewal": -1}}}))
    proc = proj.pulumi("preview", stack="signer", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "pca-import:signs.partner.validityDays: must be a whole number (got 'long')" in text
    assert "pca-import:signs.partner.renewal: is too small (got -1)" in text
    assert "Traceback" not in text
