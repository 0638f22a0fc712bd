"""End to end with the real Pulumi engine (file backend), the local Private CA emulator over HTTP, and
this project's program and stack files. Tests run in file order and share one world, as a real infra
repo's history would."""
from __future__ import annotations

import json

import pytest

import pca
from certfactory import CA
from pca_import.devtools.local_pulumi import LocalProject, engine_bin
from pca_import.core.x509build import build_certificate, name, new_key, private_key_pem

pytestmark = pytest.mark.engine


class World:
    pass


def _offline_root() -> CA:
    key = new_key("EC_secp384r1")
    cert = build_certificate(key.public_key(), name("E2E Offline Root"), name("E2E Offline Root"), key,
                             path_length=1, days=7300)
    return CA(cert, key)


@pytest.fixture(scope="module")
def world(tmp_path_factory, emulator_url):
    w = World()
    from calls import Calls
    w.calls = Calls(emulator_url)
    env = {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    w.proj = proj = LocalProject(tmp_path_factory.mktemp("e2e"), engine_bin(), env)
    w.files = tmp_path_factory.mktemp("signed")
    w.root = _offline_root()
    w.key_pem = private_key_pem(w.root.key)
    proj.init_stack("pki")
    proj.init_stack("signer")
    proj.config_set("signer", "pca-import:signerCertificate", w.root.pem)
    proj.config_set("signer", "pca-import:signerKey", w.key_pem, secret=True)
    proj.edit_config("pki", lambda c: c["pca-import:hierarchy"].append(
        {"name": "manual", "type": "SUBORDINATE", "signer": "external",
         "subject": {"commonName": "Manual CA"},
         "certificateFile": str(w.files / "manual.pem"), "chainFile": str(w.files / "manual-chain.pem")}))
    proj.up("pki")
    proj.up("signer")
    proj.up("pki")
    return w


def _out(w, stack="pki"):
    return w.proj.outputs(stack)


def test_up_builds_the_whole_hierarchy(world):
    cas = _out(world)["cas"]
    assert {n: c["status"] for n, c in cas.items()} == {
        "root": "ACTIVE", "issuing": "ACTIVE", "partner": "ACTIVE", "manual": "AWAITING_CERTIFICATE"}
    for n in ("root", "issuing", "partner"):
        assert pca.status(cas[n]["arn"]) == "ACTIVE"
    assert "BEGIN CERTIFICATE REQUEST" in _out(world)["external_csrs"]["manual"]
    assert cas["partner"]["signed_by"].startswith("external (stack")


def test_second_up_shows_no_changes(world):
    for stack in ("pki", "signer"):
        world.proj.pulumi("preview", "--expect-no-changes", stack=stack)
    world.proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pki")


def test_signer_key_is_absent_from_both_state_files_and_outputs(world):
    body = [line for line in world.key_pem.splitlines() if "-----" not in line]
    states = world.proj.state_files()
    assert len(states) >= 2
    for f in states:
        text = f.read_text()
        assert not any(line in text for line in body), f"key material in {f}"
        assert "PRIVATE KEY" not in text
    signer_out = json.dumps(_out(world, "signer"))
    assert "PRIVATE KEY" not in signer_out and not any(line in signer_out for line in body)


def _manual_files(world, cert: str, chain: str) -> None:
    (world.files / "manual.pem").write_text(cert)
    (world.files / "manual-chain.pem").write_text(chain)


def test_bad_certificate_fails_at_preview_with_rule_codes_and_no_import_call(world):
    csr = _out(world)["external_csrs"]["manual"]
    world.manual_cert = pca.external_sign(csr, world.root)
    _manual_files(world, world.manual_cert, "")  # a subordinate without its chain
    world.calls.reset()
    proc = world.proj.pulumi("preview", stack="pki", check=False)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "SUB002" in text and "certificate_chain" in text
    assert "Traceback" not in text
    assert "ImportCertificateAuthorityCertificate" not in world.calls.get()


def test_a_failing_preview_prints_the_finding_first_and_no_pem(world):
    """The engine prints a named property's value before its failure: no PEM may reach the output."""
    _manual_files(world, world.manual_cert, world.manual_cert)  # the chain holds the certificate itself
    proc = world.proj.pulumi("preview", stack="pki", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "[CHAIN001]" in text
    assert "-----BEGIN" not in text and "MII" not in text
    # The finding is the first error of the Diagnostics section, or the second after the engine's own one-line
    # "Resource monitor has terminated" on the stack (the engine prints the two in the order they arrive).
    diagnostics = [line.strip() for line in text[text.index("Diagnostics:"):].splitlines()[1:] if line.strip()]
    finding = next(i for i, line in enumerate(diagnostics) if "[CHAIN001]" in line)
    assert finding <= 3 and [line for line in diagnostics[:finding] if line.startswith("error:")] in (
        [], ["error: Resource monitor has terminated, shutting down"]), diagnostics[:6]


def test_manual_signed_files_are_imported(world):
    _manual_files(world, world.manual_cert, world.root.pem)
    world.proj.up("pki")
    assert _out(world)["cas"]["manual"]["status"] == "ACTIVE"


def test_whitespace_only_edit_to_a_pem_shows_no_diff(world):
    messy = "\r\n\r\n" + world.manual_cert.replace("\n", "\r\n") + "\r\n\r\n  \n"
    _manual_files(world, messy, world.root.pem + "\n\n")
    world.proj.pulumi("preview", "--expect-no-changes", stack="pki")


def test_renewal_with_the_same_key_is_an_update_that_keeps_the_arn(world):
    before = _out(world)["cas"]["partner"]
    world.proj.edit_config("signer", lambda c: c["pca-import:signs"]["partner"].update(renewal=1))
    world.proj.up("signer")
    preview = json.loads(world.proj.pulumi("preview", "--json", stack="pki").stdout)
    ops = {s["urn"].rsplit("::", 1)[1]: s["op"] for s in preview["steps"]}
    assert ops["partner-cert"] == "update", ops
    assert ops.get("partner-ca", "same") == "same"
    world.proj.up("pki")
    after = _out(world)["cas"]["partner"]
    assert after["arn"] == before["arn"] and after["serial"] != before["serial"]
    assert pca.status(after["arn"]) == "ACTIVE"


def test_out_of_band_reimport_is_caught_by_refresh_and_up_restores(world):
    cas = _out(world)["cas"]
    arn = cas["manual"]["arn"]
    declared_serial = cas["manual"]["serial"]
    rogue = pca.external_sign(_out(world)["external_csrs"]["manual"], world.root, days=30)
    pca.import_raw(arn, rogue, world.root.pem)
    proc = world.proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pki", check=False)
    assert proc.returncode != 0
    world.proj.up("pki")  # the failed refresh recorded the live certificate: a plain up restores
    live = pca.client().get_certificate_authority_certificate(CertificateAuthorityArn=arn)["Certificate"]
    from cryptography import x509
    assert format(x509.load_pem_x509_certificate(live.encode()).serial_number, "x") == declared_serial
    world.proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pki")


def test_ca_deleted_out_of_band_shows_as_gone(world):
    arn = _out(world)["cas"]["manual"]["arn"]
    c = pca.client()
    c.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    c.delete_certificate_authority(CertificateAuthorityArn=arn)
    proc = world.proj.pulumi("refresh", "--yes", "--skip-preview", stack="pki")
    assert "deleted" in proc.stdout
    state = json.loads(world.proj.pulumi("stack", "export", stack="pki").stdout)
    ids = {r.get("id") for r in state["deployment"]["resources"]}
    assert arn not in ids
    preview = json.loads(world.proj.pulumi("preview", "--json", stack="pki").stdout)
    ops = {s["urn"].rsplit("::", 1)[1]: s["op"] for s in preview["steps"]}
    assert ops["manual-ca"] == "create"  # the next up would create the CA again


def test_destroy_honours_on_delete(world, tmp_path):
    """Two adopted CAs (existing ARNs): destroy leaves `retain` ACTIVE and disables `disable`."""
    proj = world.proj
    proj.init_stack("adopt")
    arns = {}
    for n in ("kept", "disabled"):
        arn, csr = pca.create_ca("SUBORDINATE", f"Adopted {n}")
        cert = pca.external_sign(csr, world.root)
        (tmp_path / f"{n}.pem").write_text(cert)
        (tmp_path / f"{n}-chain.pem").write_text(world.root.pem)
        arns[n] = arn
    proj.set_object("adopt", "pca-import:hierarchy", [
        {"name": n, "type": "SUBORDINATE", "signer": "external", "arn": arns[n],
         "onDelete": "retain" if n == "kept" else "disable",
         "certificateFile": str(tmp_path / f"{n}.pem"), "chainFile": str(tmp_path / f"{n}-chain.pem")}
        for n in ("kept", "disabled")])
    proj.up("adopt")
    assert pca.status(arns["kept"]) == pca.status(arns["disabled"]) == "ACTIVE"
    proj.pulumi("destroy", "--yes", "--skip-preview", stack="adopt")
    assert pca.status(arns["kept"]) == "ACTIVE"
    assert pca.status(arns["disabled"]) == "DISABLED"


def test_bad_hierarchy_config_is_a_clear_error(world):
    proj = world.proj
    proj.init_stack("broken")
    proj.set_object("broken", "pca-import:hierarchy", [{"name": "sub", "type": "SUBORDINATE", "parent": "nope"}])
    proc = proj.pulumi("preview", stack="broken", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "pca-import:hierarchy[0] (sub): `parent` 'nope'" in text
    assert "Traceback" not in text


def test_apply_errors_read_as_messages_not_tracebacks(world, tmp_path):
    """A CA that already holds another certificate: `up` fails with the adoption advice, no traceback."""
    proj = world.proj
    proj.init_stack("held")
    arn, csr = pca.create_ca("SUBORDINATE", "Held Elsewhere")
    pca.import_raw(arn, pca.external_sign(csr, world.root, days=90), world.root.pem)
    (tmp_path / "c.pem").write_text(pca.external_sign(csr, world.root, days=200))
    (tmp_path / "chain.pem").write_text(world.root.pem)
    proj.set_object("held", "pca-import:hierarchy", [
        {"name": "held", "type": "SUBORDINATE", "signer": "external", "arn": arn,
         "certificateFile": str(tmp_path / "c.pem"), "chainFile": str(tmp_path / "chain.pem")}])
    proc = proj.up("held", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "already holds a different CA certificate" in text
    assert "Traceback" not in text and 'File "' not in text


def test_tree_draws_the_stack_with_the_automation_api(world):
    """`pca-import tree --stack pki` reads the `cas` output through the Automation API and draws the hierarchy."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "pca_import", "tree", "--stack", "pki", "--cwd", str(world.proj.dir)],
                          env=world.proj.env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("root  ROOT ACTIVE")
    assert any(ln.startswith(("├── issuing", "└── issuing")) for ln in lines)
    partner = next(ln for ln in lines if ln.startswith("partner"))
    assert "signed by external (stack" in partner
    proc = subprocess.run([sys.executable, "-m", "pca_import", "tree", "--stack", "nope", "--cwd", str(world.proj.dir)],
                          env=world.proj.env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "cannot read stack 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    # a stack without the per-CA map (the signer exports only `signed`): what tree reads, and how to point it there
    proc = subprocess.run([sys.executable, "-m", "pca_import", "tree", "--stack", "signer", "--cwd",
                           str(world.proj.dir)], env=world.proj.env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no `cas` output (its outputs: `signed`)" in proc.stderr and "--output NAME" in proc.stderr
