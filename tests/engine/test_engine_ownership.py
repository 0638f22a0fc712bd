"""Ownership and AWS set-up errors with the real Pulumi engine: two stacks declaring the same CA, and a stack
whose AWS profile does not exist. Messages, not tracebacks; no import by the refused stack."""
from __future__ import annotations

import pytest

import pca
from certfactory import ca
from pca_import.devtools.local_pulumi import LocalProject, engine_bin

pytestmark = pytest.mark.engine
ROOT = ca("Engine Ownership Root")


def owner_tag(arn: str):
    tags = pca.client().list_tags(CertificateAuthorityArn=arn)["Tags"]
    return {t["Key"]: t["Value"] for t in tags}.get("pca-import:owner")


def test_two_stacks_claiming_one_ca(tmp_path_factory, emulator_url, calls):
    env = {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proj = LocalProject(tmp_path_factory.mktemp("own"), engine_bin(), env)
    files = tmp_path_factory.mktemp("own-files")
    arn, csr = pca.create_ca("SUBORDINATE", "Shared CA")
    (files / "c.pem").write_text(pca.external_sign(csr, ROOT))
    (files / "chain.pem").write_text(ROOT.pem)
    hierarchy = [{"name": "shared", "type": "SUBORDINATE", "signer": "external", "arn": arn,
                  "certificateFile": str(files / "c.pem"), "chainFile": str(files / "chain.pem")}]
    for stack in ("own-a", "own-b", "own-c"):
        proj.init_stack(stack)
        proj.set_object(stack, "pca-import:hierarchy", hierarchy)
    proj.up("own-a")
    assert owner_tag(arn) == "pca-import/own-a/shared-cert" and pca.status(arn) == "ACTIVE"

    calls.reset()
    for proc in (proj.pulumi("preview", stack="own-b", check=False), proj.up("own-b", check=False)):
        text = proc.stdout + proc.stderr
        assert proc.returncode != 0
        assert "is managed by pca-import/own-a/shared-cert" in text and "not by pca-import/own-b/shared-cert" in text
        assert "adopt_owned_by='pca-import/own-a/shared-cert'" in text
        assert "Traceback" not in text and 'File "' not in text
    assert "ImportCertificateAuthorityCertificate" not in calls.get()
    assert owner_tag(arn) == "pca-import/own-a/shared-cert"

    # a wrong AWS set-up is a message with the fix at preview, not a traceback
    proj.edit_config("own-c", lambda c: c.__setitem__("aws:profile", "no-such-profile"))
    proc = proj.pulumi("preview", stack="own-c", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "'no-such-profile'" in text and "aws configure list-profiles" in text
    assert "Traceback" not in text and 'File "' not in text
    # ... and so is a malformed endpoint, also where the program itself reads an adopted CA's CSR
    broken = LocalProject(proj.work, engine_bin(), dict(env, AWS_ENDPOINT_URL="localhost 5055"), fresh=False)
    proc = broken.pulumi("preview", stack="own-b", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "AWS_ENDPOINT_URL is 'localhost 5055', not an endpoint URL" in text
    assert "Traceback" not in text and 'File "' not in text

    # destroying the owner releases the CA (on_delete: retain keeps its certificate)
    proj.pulumi("destroy", "--yes", "--skip-preview", stack="own-a")
    assert owner_tag(arn) is None and pca.status(arn) == "ACTIVE"
    proj.up("own-b")
    assert owner_tag(arn) == "pca-import/own-b/shared-cert"
