"""Secrets with the real Pulumi engine (file backend) and the emulator over HTTP: a private key pasted by
mistake is never printed nor written by us, and the signer key can be kept out of state entirely.

Every check greps the whole output of each command and every file under the backend directory (checkpoint,
.bak, backups, history) for the base64 lines of the key."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import pca
from certfactory import CA
from pca_import.devtools.local_pulumi import LocalProject, engine_bin
from pca_import.core.x509build import build_certificate, name, new_key, private_key_pem

pytestmark = pytest.mark.engine


def _root(cn: str) -> CA:
    key = new_key("EC_prime256v1")
    return CA(build_certificate(key.public_key(), name(cn), name(cn), key, path_length=1, days=3650), key)


def _body(key_pem: str) -> list[str]:
    return [line for line in key_pem.splitlines() if line and "-----" not in line]


def echoes(text: str, key_pem: str) -> int:
    """Occurrences of the key's base64 lines in `text` (a whole key counts once per line)."""
    return sum(text.count(line) for line in _body(key_pem))


def backend_echoes(proj: LocalProject, key_pem: str) -> dict[str, int]:
    """{file under the backend dir: occurrences}, only files that hold some."""
    found = {}
    for f in sorted(proj.state.rglob("*")):
        if f.is_file():
            n = echoes(f.read_text(errors="replace"), key_pem)
            if n:
                found[str(f.relative_to(proj.state))] = n
    return found


def _run(proj: LocalProject, stack: str, *args: str, env: dict | None = None):
    return proj.run(stack, *args, env=env)


@pytest.fixture(scope="module")
def aws_env(emulator_url):
    return {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


# ---- a private key pasted by mistake --------------------------------------------------------------------

FAILING = [("preview",), ("preview", "--diff"), ("preview", "--json"), ("up", "--yes"), ("up", "--yes", "--diff")]


def test_a_key_pasted_into_the_hierarchy_is_refused_and_never_echoed(tmp_path, aws_env):
    proj = LocalProject(tmp_path / "w", engine_bin(), aws_env)
    proj.init_stack("pki")
    proj.edit_config("pki", lambda c: c.pop("pca-import:signerStack"))
    proj.set_object("pki", "pca-import:hierarchy", [{"name": "root", "type": "ROOT"}])
    proj.up("pki")  # state, a backup and a history entry exist before the mistake
    offline = _root("Pasted Root")
    key_pem = private_key_pem(offline.key)
    arn, csr = pca.create_ca("SUBORDINATE", "Pasted Sub")
    proj.set_object("pki", "pca-import:hierarchy", [
        {"name": "root", "type": "ROOT"},
        {"name": "partner", "type": "SUBORDINATE", "signer": "external", "arn": arn,
         "certificate": pca.external_sign(csr, offline) + key_pem, "certificateChain": offline.pem}])
    for args in FAILING:
        code, text = _run(proj, "pki", *args)
        assert code != 0, args
        assert "pca-import:hierarchy[1] (partner).certificate: holds a private key" in text, (args, text)
        if "--json" in args:  # the engine's JSON starts with the stack config as it is: the key is there, only
            doc = json.loads(text)
            assert echoes(json.dumps(doc.pop("config")), key_pem) == len(_body(key_pem))
            text = json.dumps(doc)
        assert echoes(text, key_pem) == 0, args
        assert "Traceback" not in text
    assert backend_echoes(proj, key_pem) == {}  # preview and up-with-preview write nothing
    assert pca.status(arn) == "PENDING_CERTIFICATE"

    # With --skip-preview the engine records the update, and every update record keeps the stack config as
    # it was (pkg/backend/diy: UpdateInfo.Config). That record is the engine's, not ours: the checkpoint,
    # its .bak, the backups and the history checkpoints stay clean because nothing was registered.
    code, text = _run(proj, "pki", "up", "--yes", "--skip-preview")
    assert code != 0 and echoes(text, key_pem) == 0
    leaks = backend_echoes(proj, key_pem)
    assert all(f.endswith(".history.json") for f in leaks), leaks
    for f in leaks:
        record = json.loads((proj.state / f).read_text())
        assert echoes(json.dumps(record["config"]), key_pem) == leaks[f]  # only in the recorded config

    # The same mistake in a file that `certificateFile` names: refused before registration, never printed
    # (the file's content is not stack config, so not even the engine has it).
    pasted = tmp_path / "partner.pem"
    pasted.write_text(pca.external_sign(csr, offline) + key_pem)
    proj.set_object("pki", "pca-import:hierarchy", [
        {"name": "root", "type": "ROOT"},
        {"name": "partner", "type": "SUBORDINATE", "signer": "external", "arn": arn,
         "certificateFile": str(pasted), "chainFile": str(tmp_path / "missing-chain.pem")}])
    before = backend_echoes(proj, key_pem)
    for args in FAILING + [("up", "--yes", "--skip-preview")]:
        code, text = _run(proj, "pki", *args)
        assert code != 0 and "pca-import:hierarchy (partner).certificateFile: holds a private key" in text, text
        assert echoes(text, key_pem) == 0, args
    assert backend_echoes(proj, key_pem) == before
    assert pca.status(arn) == "PENDING_CERTIFICATE"


def test_a_key_in_a_certificate_input_is_reported_without_its_value(tmp_path, aws_env):
    """A program that passes the key straight to CaCertificateImport: ENC004 at check, on no property, so
    the engine prints no value; a failed check registers nothing, so nothing is written."""
    proj = LocalProject(tmp_path / "w", engine_bin(), aws_env)
    offline = _root("Direct Root")
    key_pem = private_key_pem(offline.key)
    arn, csr = pca.create_ca("SUBORDINATE", "Direct Sub")
    cert_file, chain_file = tmp_path / "cert.pem", tmp_path / "chain.pem"
    cert_file.write_text(pca.external_sign(csr, offline))
    chain_file.write_text(offline.pem)
    main = proj.dir / "__main__.py"
    main.unlink()
    main.write_text("from pca_import import CaCertificateImport\n"
                    f"CaCertificateImport('partner-cert', certificate_authority_arn={arn!r},\n"
                    f"                    certificate=open({str(cert_file)!r}).read(),\n"
                    f"                    certificate_chain=open({str(chain_file)!r}).read())\n")
    proj.init_stack("direct")
    proj.up("direct")
    assert pca.status(arn) == "ACTIVE"
    for where in ("certificate", "chain"):
        (cert_file if where == "certificate" else chain_file).write_text(
            (cert_file if where == "certificate" else chain_file).read_text() + key_pem)
        for args in FAILING + [("up", "--yes", "--skip-preview")]:
            code, text = _run(proj, "direct", *args)
            assert code != 0, args
            assert "[ENC004]" in text and "has a problem" in text, (args, text)
            assert echoes(text, key_pem) == 0, (args, text)
        assert backend_echoes(proj, key_pem) == {}
        cert_file.write_text(cert_file.read_text().replace(key_pem, ""))
        chain_file.write_text(chain_file.read_text().replace(key_pem, ""))
    proj.pulumi("preview", "--expect-no-changes", stack="direct")


# ---- the signer key -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def signer_world(tmp_path_factory, aws_env):
    """PKI and signer stacks whose signer key is a file outside the project (PCA_IMPORT_SIGNER_KEY_FILE)."""
    class W:
        pass
    w = W()
    keys = tmp_path_factory.mktemp("keys")
    w.proj = proj = LocalProject(tmp_path_factory.mktemp("signer") / "w", engine_bin(), aws_env)
    w.root = _root("File Key Root")
    w.key_pem = private_key_pem(w.root.key)
    w.key_file = keys / "offline-root.key"
    w.key_file.write_text(w.key_pem)
    os.chmod(w.key_file, 0o600)
    proj.env["PCA_IMPORT_SIGNER_KEY_FILE"] = str(w.key_file)
    proj.init_stack("pki")
    proj.init_stack("signer")
    proj.set_object("pki", "pca-import:hierarchy", [
        {"name": "partner", "type": "SUBORDINATE", "signer": "external",
         "subject": {"commonName": "File Key Partner"}}])
    proj.config_set("signer", "pca-import:signerCertificate", w.root.pem)
    w.outputs = [proj.up("pki"), proj.up("signer"), proj.up("pki")]
    return w


def test_a_signer_key_from_a_file_appears_nowhere(signer_world):
    w = signer_world
    cas = w.proj.outputs("pki")["cas"]
    assert cas["partner"]["status"] == "ACTIVE" and pca.status(cas["partner"]["arn"]) == "ACTIVE"
    assert sum(echoes(p.stdout + p.stderr, w.key_pem) for p in w.outputs) == 0
    for stack in ("pki", "signer"):
        export = w.proj.pulumi("stack", "export", "--show-secrets", stack=stack).stdout
        assert echoes(export, w.key_pem) == 0 and "PRIVATE KEY" not in export
    assert backend_echoes(w.proj, w.key_pem) == {}
    grpc_log = Path(w.proj.work) / "grpc.log"
    code, _ = _run(w.proj, "signer", "preview", "--expect-no-changes", env={"PULUMI_DEBUG_GRPC": str(grpc_log)})
    assert code == 0 and grpc_log.exists() and echoes(grpc_log.read_text(), w.key_pem) == 0


def test_a_damaged_or_misplaced_signer_key_fails_at_preview_with_the_fix(signer_world, tmp_path):
    w = signer_world
    w.proj.edit_config("signer", lambda c: c["pca-import:signs"]["partner"].update(renewal=1))
    inside = w.proj.dir / "offline-root.key"
    inside.write_text(w.key_pem)
    other = tmp_path / "other.key"
    other.write_text(private_key_pem(new_key()))
    encrypted = tmp_path / "enc.key"
    from cryptography.hazmat.primitives import serialization
    encrypted.write_bytes(w.root.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.BestAvailableEncryption(b"s3cret")))
    damaged = tmp_path / "damaged.key"
    damaged.write_text(w.key_pem.replace(_body(w.key_pem)[1], _body(w.key_pem)[1][::-1]))
    cases = [
        ({"PCA_IMPORT_SIGNER_KEY_FILE": str(inside)}, "is inside the project directory"),
        ({"PCA_IMPORT_SIGNER_KEY_FILE": str(other)}, "resource 'partner-signed' has a problem: "
                                                     "PCA_IMPORT_SIGNER_KEY_FILE is not the key of "
                                                     "pca-import:signerCertificate (CN=File Key Root): set the "
                                                     "matching pair"),
        ({"PCA_IMPORT_SIGNER_KEY_FILE": str(encrypted)}, "is encrypted: set PCA_IMPORT_SIGNER_KEY_PASSPHRASE"),
        ({"PCA_IMPORT_SIGNER_KEY_FILE": str(damaged)}, "is not a readable private key (the PEM body is damaged)"),
        ({"PCA_IMPORT_SIGNER_KEY_FILE": str(tmp_path / "missing.key")}, "cannot read"),
        ({"PCA_IMPORT_SIGNER_KEY_FILE": "", "PCA_IMPORT_SIGNER_KEY": w.root.pem},
         "PCA_IMPORT_SIGNER_KEY holds a `CERTIFICATE` PEM block, not a private key"),
    ]
    try:
        for env, message in cases:
            code, text = _run(w.proj, "signer", "preview", env=env)
            assert code != 0 and message in text, (env, text)
            assert "Traceback" not in text and echoes(text, w.key_pem) == 0
        code, _ = _run(w.proj, "signer", "preview", env={"PCA_IMPORT_SIGNER_KEY_FILE": str(encrypted),
                                                         "PCA_IMPORT_SIGNER_KEY_PASSPHRASE": "s3cret"})
        assert code == 0
        w.proj.config_set("signer", "pca-import:signerKeyFile", str(w.key_file))  # the config form of the path
        code, text = _run(w.proj, "signer", "preview", env={"PCA_IMPORT_SIGNER_KEY_FILE": ""})
        assert code == 0, text
        w.proj.pulumi("config", "rm", "pca-import:signerKeyFile", stack="signer")
        w.proj.config_set("signer", "pca-import:signerCertificate", w.root.pem + w.key_pem)  # pasted with it
        code, text = _run(w.proj, "signer", "preview")
        assert code != 0 and "pca-import:signerCertificate: holds a private key" in text, text
        assert echoes(text, w.key_pem) == 0
    finally:
        w.proj.config_set("signer", "pca-import:signerCertificate", w.root.pem)
        inside.unlink()
        w.proj.edit_config("signer", lambda c: c["pca-import:signs"]["partner"].update(renewal=0))


def test_a_signer_key_in_secret_config_is_in_state_encrypted(signer_world):
    """What the README says about `pca-import:signerKey`: the default dynamic provider keeps the stack
    config as its inputs, so the key is in the checkpoint — encrypted; `--show-secrets` and PULUMI_DEBUG_GRPC
    logs show it."""
    w = signer_world
    proj = w.proj
    other = _root("Config Key Root")
    key_pem = private_key_pem(other.key)
    proj.init_stack("signer-cfg")
    proj.edit_config("signer-cfg", lambda c: c.update({
        "pca-import:role": "signer", "pca-import:pkiStack": "organization/pca-import/pki",
        "pca-import:signs": {"partner": {"validityDays": 30}}}))
    proj.config_set("signer-cfg", "pca-import:signerCertificate", other.pem)
    proj.config_set("signer-cfg", "pca-import:signerKey", key_pem, secret=True)
    code, text = _run(proj, "signer-cfg", "up", "--yes", "--skip-preview", env={"PCA_IMPORT_SIGNER_KEY_FILE": ""})
    assert code == 0, text
    assert echoes(text, key_pem) == 0
    assert backend_echoes(proj, key_pem) == {}  # no plaintext in any file: ciphertext only
    records = [json.loads(f.read_text()) for f in proj.state.glob(".pulumi/history/*/signer-cfg/*.history.json")]
    assert records and all("secure" in r["config"]["pca-import:signerKey"] for r in records)  # history: encrypted
    state = json.loads(proj.pulumi("stack", "export", stack="signer-cfg").stdout)
    providers = [r for r in state["deployment"]["resources"] if r["type"] == "pulumi:providers:pulumi-python"]
    assert providers and "pca-import:signerKey" in json.dumps(providers[0]["inputs"])
    shown = proj.pulumi("stack", "export", "--show-secrets", stack="signer-cfg").stdout
    assert echoes(shown, key_pem) == len(_body(key_pem)) * 2  # the provider's inputs and outputs
    grpc_log = Path(proj.work) / "grpc-cfg.log"
    _run(proj, "signer-cfg", "preview", env={"PCA_IMPORT_SIGNER_KEY_FILE": "", "PULUMI_DEBUG_GRPC": str(grpc_log)})
    assert echoes(grpc_log.read_text(), key_pem) > 0

    # Moving to a key file (README): after `config rm` and one `up`, the checkpoint no longer holds the key;
    # the history and backups of the earlier updates keep their encrypted copies.
    key_file = Path(proj.work).parent / "cfg-offline-root.key"
    key_file.write_text(key_pem)
    proj.pulumi("config", "rm", "pca-import:signerKey", stack="signer-cfg")
    code, text = _run(proj, "signer-cfg", "up", "--yes", "--skip-preview",
                      env={"PCA_IMPORT_SIGNER_KEY_FILE": str(key_file)})
    assert code == 0, text
    shown = proj.pulumi("stack", "export", "--show-secrets", stack="signer-cfg").stdout
    assert echoes(shown, key_pem) == 0 and "pca-import:signerKey" not in shown
    older = sorted(str(f.relative_to(proj.state)) for f in proj.state.rglob("*signer-cfg*")
                   if f.is_file() and "pca-import:signerKey" in f.read_text())
    assert older and not any(f.endswith("signer-cfg.json") and "/stacks/" in f for f in older), older
