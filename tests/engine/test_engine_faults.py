"""AWS faults under the real Pulumi engine: the provider process talks to the emulator through the fault proxy.
A lost import reply is one import and a successful `up` that converges; a dropped request fails `up` with
"nothing was imported" and the next `up` imports once."""
from __future__ import annotations

import pytest

import pca
from certfactory import ca
from faultproxy import FaultProxy
from pca_import.devtools.local_pulumi import LocalProject, engine_bin

pytestmark = pytest.mark.engine
ROOT = ca("Engine Fault Root")
IMPORT = "ImportCertificateAuthorityCertificate"


def test_up_through_lost_and_dropped_replies(tmp_path_factory, emulator_url, calls):
    proxy = FaultProxy(emulator_url)
    env = {"AWS_ENDPOINT_URL": proxy.url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PCA_IMPORT_AWS_TIMEOUT": "5"}
    proj = LocalProject(tmp_path_factory.mktemp("faults"), engine_bin(), env)
    files = tmp_path_factory.mktemp("fault-files")
    try:
        for stack, fault in (("lost", "lose_reply"), ("dropped", "drop")):
            arn, csr = pca.create_ca("SUBORDINATE", f"Engine {stack} CA")
            (files / f"{stack}.pem").write_text(pca.external_sign(csr, ROOT))
            (files / f"{stack}-chain.pem").write_text(ROOT.pem)
            proj.init_stack(stack)
            proj.set_object(stack, "pca-import:hierarchy", [
                {"name": "x", "type": "SUBORDINATE", "signer": "external", "arn": arn,
                 "certificateFile": str(files / f"{stack}.pem"), "chainFile": str(files / f"{stack}-chain.pem")}])
            calls.reset()
            proxy.fail(IMPORT, fault)
            proc = proj.up(stack, check=False)
            text = proc.stdout + proc.stderr
            assert "Traceback" not in text and 'File "' not in text
            if fault == "lose_reply":
                assert proc.returncode == 0, text
                assert calls.get()[IMPORT] == 1 and pca.status(arn) == "ACTIVE"
            else:
                assert proc.returncode != 0 and "nothing was imported" in text and arn in text
                assert calls.get().get(IMPORT, 0) == 0 and pca.status(arn) == "PENDING_CERTIFICATE"
                proj.up(stack)
                assert calls.get()[IMPORT] == 1 and pca.status(arn) == "ACTIVE"
            proj.pulumi("preview", "--expect-no-changes", stack=stack)
            proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack=stack)
    finally:
        proxy.close()
