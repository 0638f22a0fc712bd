"""The signer stack with a key that never leaves KMS or an HSM, on the real engine and the emulator.

`pca-import:signerKeyUri` (config: it names a key) or PCA_IMPORT_SIGNER_KEY_URI selects an `awskms:` key on
the emulator's KMS or a `pkcs11:` key on a SoftHSM2 token. The PKI stack's external CA is signed through it
and imported; a renewal signs again through the same URI; a key that cannot be reached, a wrong PIN or a key
that is not the signer certificate's fails at preview with the fix; the PIN is nowhere (outputs, state,
the engine's gRPC log)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from cryptography import x509

import pca
from hsm import PIN
from pca_import.devtools.local_pulumi import LocalProject, engine_bin
from pca_import.resources.signer_key import open_remote
from pca_import.core.x509build import build_certificate, name, pem

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def aws_env(emulator_url):
    return {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _run(proj: LocalProject, stack: str, *args: str, env: dict | None = None):
    return proj.run(stack, *args, env=env)


def _world(tmp_path_factory, aws_env, cn: str, uri: str, *, env: dict | None = None, config_uri: bool = True):
    """PKI and signer stacks; the signer signs with `uri`; returns (project, root certificate, outputs)."""
    signer = open_remote(uri, "test", {**aws_env, **(env or {})})
    root = build_certificate(signer.public_key(), name(cn), name(cn), signer, path_length=1, days=3650)
    proj = LocalProject(tmp_path_factory.mktemp("remote") / "w", engine_bin(), {**aws_env, **(env or {})})
    proj.init_stack("pki")
    proj.init_stack("signer")
    proj.set_object("pki", "pca-import:hierarchy", [
        {"name": "partner", "type": "SUBORDINATE", "signer": "external", "subject": {"commonName": f"{cn} Partner"}}])
    proj.config_set("signer", "pca-import:signerCertificate", pem(root))
    if config_uri:
        proj.config_set("signer", "pca-import:signerKeyUri", uri)
    else:
        proj.env["PCA_IMPORT_SIGNER_KEY_URI"] = uri
    outputs = [proj.up("pki"), proj.up("signer"), proj.up("pki")]
    return proj, root, outputs


def _imported(proj: LocalProject, root: x509.Certificate) -> x509.Certificate:
    cas = proj.outputs("pki")["cas"]
    assert cas["partner"]["status"] == "ACTIVE" and pca.status(cas["partner"]["arn"]) == "ACTIVE"
    cert = x509.load_pem_x509_certificate(proj.outputs("signer")["signed"]["partner"]["certificate"].encode())
    held = boto3.client("acm-pca").get_certificate_authority_certificate(CertificateAuthorityArn=cas["partner"]["arn"])
    imported = x509.load_pem_x509_certificate(held["Certificate"].encode())
    imported.verify_directly_issued_by(root)
    assert cert == imported
    return imported


def test_a_kms_key_signs_the_external_ca_and_signs_again_on_renewal(tmp_path_factory, aws_env):
    kms = boto3.client("kms")
    arn = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P384")["KeyMetadata"]["Arn"]
    alias = f"alias/engine-offline-root-{uuid.uuid4().hex[:8]}"  # unique: the emulator may outlive this run
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    uri = f"awskms:key-id={alias}"
    proj, root, _ = _world(tmp_path_factory, aws_env, "KMS Engine Root", uri)
    first = _imported(proj, root)
    proj.edit_config("signer", lambda c: c["pca-import:signs"]["partner"].update(renewal=1))
    proj.up("signer")
    proj.up("pki")
    second = _imported(proj, root)
    assert second.serial_number != first.serial_number  # signed again, through the same KMS key
    other = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P384")["KeyMetadata"]["Arn"]
    cases = [("awskms:key-id=alias/not-there", "NotFoundException"),
             (f"awskms:key-id={other}", "is not the key of pca-import:signerCertificate (CN=KMS Engine Root)"),
             ("awskms:region=us-east-1", "needs `key-id=")]
    proj.edit_config("signer", lambda c: c["pca-import:signs"]["partner"].update(renewal=2))
    try:
        for bad, fix in cases:
            proj.config_set("signer", "pca-import:signerKeyUri", bad)
            code, text = _run(proj, "signer", "preview")
            assert code != 0 and fix in text and "Traceback" not in text, (bad, text)
    finally:
        proj.config_set("signer", "pca-import:signerKeyUri", uri)
        proj.edit_config("signer", lambda c: c["pca-import:signs"]["partner"].update(renewal=1))
    code, text = _run(proj, "signer", "preview", "--expect-no-changes")
    assert code == 0, text


def test_a_pkcs11_key_signs_the_external_ca_and_its_pin_appears_nowhere(tmp_path_factory, aws_env, softhsm_token):
    softhsm_token.generate("engine-root", "EC_prime256v1")
    env = dict(softhsm_token.env)
    uri = softhsm_token.uri("engine-root")
    proj, root, outputs = _world(tmp_path_factory, aws_env, "HSM Engine Root", uri, env=env, config_uri=False)
    _imported(proj, root)
    assert all(PIN not in p.stdout + p.stderr for p in outputs)
    for stack in ("pki", "signer"):
        export = proj.pulumi("stack", "export", "--show-secrets", stack=stack).stdout
        assert PIN not in export and "PRIVATE KEY" not in export
    for f in proj.state.rglob("*"):
        if f.is_file():
            assert PIN not in f.read_text(errors="replace"), f
    grpc_log = Path(proj.work) / "grpc.log"
    code, _ = _run(proj, "signer", "preview", "--expect-no-changes", env={"PULUMI_DEBUG_GRPC": str(grpc_log)})
    assert code == 0 and grpc_log.exists() and PIN not in grpc_log.read_text()
    proj.edit_config("signer", lambda c: c["pca-import:signs"]["partner"].update(renewal=1))
    cases = [({"PCA_IMPORT_PKCS11_PIN": "0000-wrong"}, "refused the PIN (wrong PIN)"),
             ({"PCA_IMPORT_PKCS11_PIN": ""}, "no PIN: set PCA_IMPORT_PKCS11_PIN"),
             ({"PCA_IMPORT_SIGNER_KEY_URI": uri.replace("object=engine-root", "object=gone")},
              "no private key with this label")]
    for bad_env, fix in cases:
        code, text = _run(proj, "signer", "preview", env=bad_env)
        assert code != 0 and fix in text and "Traceback" not in text, (bad_env, text)
        assert "0000-wrong" not in text and PIN not in text


def test_the_ceremonys_files_are_what_the_hierarchy_imports(tmp_path, aws_env):
    """`pca-import sign` (the CLI as a process) with a KMS key makes the root and signs a Private CA's CSR; the
    hierarchy's certificateFile/chainFile import the result; a second preview has nothing to do."""
    arn_key = boto3.client("kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["Arn"]
    uri = f"awskms:key-id={arn_key}"
    ca_arn, csr = pca.create_ca("SUBORDINATE", f"Ceremony Issuing {uuid.uuid4().hex[:8]}")
    files = tmp_path / "ceremony"
    files.mkdir()
    (files / "issuing.csr").write_text(csr)
    env = {**os.environ, **aws_env}
    cli = [sys.executable, "-m", "pca_import"]
    subprocess.run([*cli, "sign", "--key", uri, "--self-signed", "--subject", "CN=Ceremony Root",
                    "--path-length", "1", "--out", str(files / "root.pem")], check=True, env=env, capture_output=True)
    subprocess.run([*cli, "sign", "--key", uri, "--csr", str(files / "issuing.csr"), "--issuer-certificate",
                    str(files / "root.pem"), "--path-length", "0", "--out", str(files / "issuing.pem"),
                    "--chain-out", str(files / "issuing-chain.pem")], check=True, env=env, capture_output=True)
    proj = LocalProject(tmp_path / "w", engine_bin(), aws_env)
    proj.init_stack("pki")
    proj.edit_config("pki", lambda c: c.pop("pca-import:signerStack", None))
    proj.set_object("pki", "pca-import:hierarchy", [
        {"name": "issuing", "type": "SUBORDINATE", "signer": "external", "arn": ca_arn,
         "certificateFile": str(files / "issuing.pem"), "chainFile": str(files / "issuing-chain.pem")}])
    proj.up("pki")
    assert pca.status(ca_arn) == "ACTIVE"
    held = boto3.client("acm-pca").get_certificate_authority_certificate(CertificateAuthorityArn=ca_arn)
    assert held["Certificate"].strip() == (files / "issuing.pem").read_text().strip()
    proj.pulumi("preview", "--expect-no-changes", stack="pki")
