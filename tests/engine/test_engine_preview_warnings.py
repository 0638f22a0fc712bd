"""Warnings at every preview, from the verdict the provider kept: a no-change preview shows the import's warnings
again without judging it again, VAL003 computed afresh as time passes; a state made before verdicts were kept
still gets them (the program judges, as before)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

import pca
from certfactory import CA
from pca_import.core.x509build import build_certificate, name, new_key
from pca_import.devtools.local_pulumi import LocalProject, engine_bin

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def aws_env(emulator_url):
    return {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


BLOCK_CRYPTOGRAPHY = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name == "cryptography" or name.startswith("cryptography."):
            raise ImportError("cryptography is blocked for this preview")
sys.meta_path.insert(0, _Block())
"""


def _warnings(text: str, code: str) -> set[str]:
    return {line.split(f"[{code}]", 1)[1].strip() for line in text.splitlines() if f"[{code}]" in line}


def test_a_no_change_preview_shows_the_kept_warnings_and_a_fresh_expiry(tmp_path, aws_env):
    key = new_key("EC_prime256v1")
    root = CA(build_certificate(key.public_key(), name("Kept Root"), name("Kept Root"), key, path_length=1,
                                days=3650, ski_critical=True), key)  # EXT003 on chain[0], whatever the date
    arn, csr = pca.create_ca("SUBORDINATE", "Kept Sub")
    (tmp_path / "cert.pem").write_text(pca.external_sign(csr, root, days=60))
    (tmp_path / "chain.pem").write_text(root.pem)
    proj = LocalProject(tmp_path / "w", engine_bin(), aws_env)
    main = proj.dir / "__main__.py"
    main.unlink()
    main.write_text("from pca_import import CaCertificateImport\n"
                    f"CaCertificateImport('kept', certificate_authority_arn={arn!r},\n"
                    f"                    certificate=open({str(tmp_path / 'cert.pem')!r}).read(),\n"
                    f"                    certificate_chain=open({str(tmp_path / 'chain.pem')!r}).read())\n")
    proj.init_stack("kept")
    proj.up("kept")
    state = json.loads(proj.pulumi("stack", "export", stack="kept").stdout)
    [imp] = [r for r in state["deployment"]["resources"] if r["type"].endswith(":CaCertificateImport")]
    assert [f["code"] for f in imp["outputs"]["verdict"]["findings"]] == ["EXT003"]
    assert [entry[1] for entry in imp["outputs"]["verdict"]["validity"]] == ["certificate", "chain[0]"]

    code, text = proj.run("kept", "preview", "--expect-no-changes")
    assert code == 0, text
    assert [w.startswith("kept: chain[0]") for w in _warnings(text, "EXT003")] == [True], text
    assert not _warnings(text, "VAL003"), text  # 60 days left: outside the 30-day window

    # and all of it without cryptography: neither the program nor the provider may load it (what makes a no-change
    # preview of a large hierarchy cheap); the blocker makes any attempt an ImportError
    (tmp_path / "block").mkdir()
    (tmp_path / "block" / "sitecustomize.py").write_text(BLOCK_CRYPTOGRAPHY)
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, text = proj.run("kept", "preview", "--expect-no-changes",
                          env={"PCA_IMPORT_NOW": later, "PYTHONPATH": str(tmp_path / "block")})
    assert code == 0, text  # still no change: only the warning is new
    [val003] = _warnings(text, "VAL003")
    assert val003.startswith("kept: certificate: certificate (CN=Kept Sub) expires in 1") and "plan its renewal" in val003
    assert _warnings(text, "EXT003"), text

    # a state made before verdicts were kept: the program judges the inputs itself and shows the same warnings
    for r in state["deployment"]["resources"]:
        for part in ("inputs", "outputs"):
            r.get(part, {}).pop("verdict", None)
    (tmp_path / "old.json").write_text(json.dumps(state))
    proj.pulumi("stack", "import", "--file", str(tmp_path / "old.json"), stack="kept")
    code, text = proj.run("kept", "preview", "--expect-no-changes", env={"PCA_IMPORT_NOW": later})
    assert code == 0, text
    assert _warnings(text, "VAL003") == {val003} and _warnings(text, "EXT003"), text
