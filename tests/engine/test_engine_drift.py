"""Drift that matters, on the real engine and the local Private CA: each out-of-band change of what the PKI stack
manages is seen by `pulumi refresh --expect-no-changes` and set right by `pulumi up` (or refused with the
reason), and every row ends with a quiet `preview --expect-no-changes` and `refresh --expect-no-changes`.

One stack (root -> issuing, and `kept`, declared `enabled: false`) is shared by the rows, in file order; each row
changes one thing with boto3, as an operator would, and leaves the stack quiet for the next."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest
from cryptography import x509

import pca
from certfactory import ca
from pca_import.aws.client import OWNER_TAG
from pca_import.core.x509build import pem, sign_csr
from pca_import.devtools.local_pulumi import Emulator, LocalProject, engine_bin

pytestmark = pytest.mark.engine

STACK = "pki"
ME = "pca-import/pki/issuing-cert"
RIVAL = "pca-import/rival/issuing-cert"
OFFLINE_ROOT = ca("Drift Engine Offline Root")
HIERARCHY = [
    {"name": "root", "type": "ROOT", "subject": {"commonName": "Drift Root"}},
    {"name": "issuing", "type": "SUBORDINATE", "parent": "root", "subject": {"commonName": "Drift Issuing"}},
    {"name": "kept", "type": "SUBORDINATE", "parent": "root", "subject": {"commonName": "Drift Kept"},
     "enabled": False},
]


class World:
    pass


@pytest.fixture(scope="module")
def world(tmp_path_factory, emulator_url):
    from calls import Calls
    w = World()
    w.calls = Calls(emulator_url)
    w.proj = LocalProject(tmp_path_factory.mktemp("drift"), engine_bin(), Emulator(emulator_url).aws_env)
    w.proj.init_stack(STACK)

    def configure(c):
        c.pop("pca-import:signerStack", None)  # no external signer stack: pasted certificates only
        c["pca-import:hierarchy"] = [dict(entry) for entry in HIERARCHY]
    w.proj.edit_config(STACK, configure)
    w.proj.up(STACK)
    return w


def _cas(w) -> dict:
    return w.proj.outputs(STACK)["cas"]


def _refresh(w, check: bool = True) -> subprocess.CompletedProcess:
    return w.proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack=STACK, check=check)


def _refresh_sees_drift(w) -> str:
    proc = _refresh(w, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "no changes were expected" in text, text
    assert "Traceback" not in text
    return text


def _quiet(w) -> None:
    w.proj.pulumi("preview", "--expect-no-changes", stack=STACK)
    _refresh(w)


def _tags(arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in pca.client().list_tags(CertificateAuthorityArn=arn).get("Tags", [])}


def _live_serial(arn: str) -> str:
    got = pca.client().get_certificate_authority_certificate(CertificateAuthorityArn=arn)["Certificate"]
    return format(x509.load_pem_x509_certificate(got.encode()).serial_number, "x")


def test_set_up_is_quiet_and_a_no_change_refresh_costs_four_calls_per_ca(world):
    cas = _cas(world)
    assert {n: (c["status"], c["enabled"]) for n, c in cas.items()} == {
        "root": ("ACTIVE", True), "issuing": ("ACTIVE", True), "kept": ("DISABLED", False)}
    assert pca.status(cas["kept"]["arn"]) == "DISABLED"
    world.proj.pulumi("preview", "--expect-no-changes", stack=STACK)
    world.calls.reset()
    _refresh(world)
    made = world.calls.get()
    print(f"no-change refresh, 3 CAs: {made}")
    # per CA: the CA resource's Describe; the import's Describe, GetCertificateAuthorityCertificate and ListTags
    assert made == {"DescribeCertificateAuthority": 6, "GetCertificateAuthorityCertificate": 3, "ListTags": 3}


def test_reimport_out_of_band_is_seen_and_up_restores_the_declared_certificate(world):
    cas = _cas(world)
    arn, declared = cas["issuing"]["arn"], cas["issuing"]["serial"]
    rogue, rogue_chain = pca.issue(cas["root"]["arn"], cas["issuing"]["csr"],
                                   "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1", days=30)
    pca.import_raw(arn, rogue, rogue_chain)
    assert _live_serial(arn) != declared
    _refresh_sees_drift(world)
    world.calls.reset()
    world.proj.up(STACK)
    assert world.calls.get().get("ImportCertificateAuthorityCertificate") == 1
    assert _live_serial(arn) == declared
    _quiet(world)


def test_disabled_out_of_band_is_a_change_of_enabled_and_up_enables_it_with_one_call(world):
    arn = _cas(world)["issuing"]["arn"]
    pca.client().update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    text = _refresh_sees_drift(world)
    assert "[diff: ~enabled]" in text  # the changed property is named, and only it
    # after the refresh the state says DISABLED: `tree --stack` and `status` tell the truth before any up
    tree = subprocess.run([sys.executable, "-m", "pca_import", "tree", "--stack", STACK, "--cwd",
                           str(world.proj.dir), "--format", "json"], capture_output=True, text=True,
                          env=world.proj.env, timeout=120)
    assert tree.returncode == 0, tree.stderr
    issuing = next(r for r in json.loads(tree.stdout) if r["name"] == "issuing")
    assert issuing["status"] == "DISABLED" and "DISABLED, declared enabled" in issuing["problems"]
    status = subprocess.run([sys.executable, "-m", "pca_import", "status", "--ca-arn", arn], capture_output=True,
                            text=True, env=world.proj.env, timeout=60)
    assert status.returncode == 1 and "declared enabled" in status.stderr
    world.calls.reset()
    world.proj.up(STACK)
    made = world.calls.get()
    assert made.get("UpdateCertificateAuthority") == 1 and "ImportCertificateAuthorityCertificate" not in made
    assert pca.status(arn) == "ACTIVE" and _cas(world)["issuing"]["status"] == "ACTIVE"
    _quiet(world)


def test_a_ca_declared_disabled_and_enabled_out_of_band_is_disabled_again(world):
    arn = _cas(world)["kept"]["arn"]
    pca.client().update_certificate_authority(CertificateAuthorityArn=arn, Status="ACTIVE")
    _refresh_sees_drift(world)
    world.proj.up(STACK)
    assert pca.status(arn) == "DISABLED" and _cas(world)["kept"]["status"] == "DISABLED"
    _quiet(world)


def test_owner_tag_removed_out_of_band_is_written_again(world):
    arn = _cas(world)["issuing"]["arn"]
    pca.client().untag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": OWNER_TAG, "Value": ME}])
    _refresh_sees_drift(world)
    world.calls.reset()
    world.proj.up(STACK)
    assert _tags(arn)[OWNER_TAG] == ME
    assert "ImportCertificateAuthorityCertificate" not in world.calls.get()
    _quiet(world)


def test_owner_tag_changed_to_another_owner_is_refused_until_that_owner_releases_it(world):
    arn = _cas(world)["issuing"]["arn"]
    pca.client().tag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": OWNER_TAG, "Value": RIVAL}])
    _refresh_sees_drift(world)
    world.calls.reset()
    proc = world.proj.up(STACK, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and RIVAL in text and "adopt_owned_by" in text and "Traceback" not in text
    assert not {"ImportCertificateAuthorityCertificate", "TagCertificateAuthority",
                "UpdateCertificateAuthority"} & set(world.calls.get())
    assert _tags(arn)[OWNER_TAG] == RIVAL
    # the other owner releases the CA (deleting its resource does that): the next up marks it again
    pca.client().untag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": OWNER_TAG, "Value": RIVAL}])
    world.proj.up(STACK)
    assert _tags(arn)[OWNER_TAG] == ME
    _quiet(world)


def test_deleted_out_of_band_is_seen_and_up_creates_a_new_ca(world):
    arn = _cas(world)["issuing"]["arn"]
    c = pca.client()
    c.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    c.delete_certificate_authority(CertificateAuthorityArn=arn)
    _refresh_sees_drift(world)
    world.proj.up(STACK)
    new = _cas(world)["issuing"]
    assert new["arn"] != arn and new["status"] == "ACTIVE" and pca.status(new["arn"]) == "ACTIVE"
    _quiet(world)


def _set_brief(w, certificate: str | None) -> None:
    def edit(c):
        entry = {"name": "brief", "type": "SUBORDINATE", "signer": "external", "subject": {"commonName": "Drift Brief"}}
        if certificate:
            entry.update(certificate=certificate, certificateChain=OFFLINE_ROOT.pem)
        c["pca-import:hierarchy"] = [dict(e) for e in HIERARCHY] + [entry]
    w.proj.edit_config(STACK, edit)


def test_expiry_is_seen_up_refuses_the_expired_certificate_and_a_renewal_puts_it_right(world):
    _set_brief(world, None)
    world.proj.up(STACK)  # the CA and its CSR
    csr = x509.load_pem_x509_csr(world.proj.outputs(STACK)["external_csrs"]["brief"].encode())
    ends = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=45)
    _set_brief(world, pem(sign_csr(csr, OFFLINE_ROOT.cert, OFFLINE_ROOT.key, not_after=ends)))
    world.proj.up(STACK)
    arn = _cas(world)["brief"]["arn"]
    assert pca.status(arn) == "ACTIVE"
    time.sleep(max(0.0, (ends - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1)
    assert pca.status(arn) == "EXPIRED"  # as AWS reports it
    _refresh_sees_drift(world)
    world.calls.reset()
    proc = world.proj.up(STACK, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "VAL001" in text and "Traceback" not in text  # refused, with the reason
    assert "ImportCertificateAuthorityCertificate" not in world.calls.get()
    _set_brief(world, pem(sign_csr(csr, OFFLINE_ROOT.cert, OFFLINE_ROOT.key, days=365)))  # the renewal
    world.proj.up(STACK)
    assert pca.status(arn) == "ACTIVE" and _cas(world)["brief"]["status"] == "ACTIVE"
    _quiet(world)


def test_a_malformed_pca_import_now_is_one_message_under_preview(world):
    world.proj.env["PCA_IMPORT_NOW"] = "next tuesday"
    try:
        proc = world.proj.pulumi("preview", stack=STACK, check=False)
    finally:
        del world.proj.env["PCA_IMPORT_NOW"]
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "PCA_IMPORT_NOW='next tuesday' is not an ISO 8601 time" in text
    assert "Traceback" not in text
