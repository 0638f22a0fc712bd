"""Renewal on the real engine and the emulator: a three-level Private CA hierarchy (its third level in another
region) plus an externally signed CA, with PCA_IMPORT_NOW (program and provider processes) moved into each
renewal window in turn. Tests run in file order and share one world; each window ends with a second `up`
showing no changes and a quiet refresh."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography import x509

from pca_import.aws.client import region_of
from pca_import.devtools.local_pulumi import LocalProject, engine_bin
from pca_import.core.pem import canonical_pem
from pca_import.core.x509build import build_certificate, name, new_key, pem, private_key_pem

pytestmark = pytest.mark.engine

HIERARCHY = [
    {"name": "root", "type": "ROOT", "validityDays": 3000, "subject": {"commonName": "Renewal Root"}},
    {"name": "policy", "type": "SUBORDINATE", "parent": "root", "renewBeforeDays": 60,
     "subject": {"commonName": "Renewal Policy"}},
    {"name": "issuing", "type": "SUBORDINATE", "parent": "policy", "subject": {"commonName": "Renewal Issuing"},
     "region": "eu-west-1"},  # issued by policy in us-east-1, imported in eu-west-1
    {"name": "partner", "type": "SUBORDINATE", "signer": "external", "renewBeforeDays": 40,
     "subject": {"commonName": "Renewal Partner"}},
]


class World:
    pass


def _cert(pem_text: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem_text.encode())


def _end(w, ca: str) -> dt.datetime:
    return dt.datetime.fromisoformat(w.proj.outputs("pki")["cas"][ca]["not_after"])


def _at(w, when: dt.datetime) -> None:
    w.proj.env["PCA_IMPORT_NOW"] = when.isoformat()


def _quiet(w, *stacks: str) -> None:
    """A second `up` would change nothing, and a refresh of the PKI stack finds nothing to record (the signer
    stack's refresh re-reads its StackReference, which changes with every PKI `up`: engine behaviour)."""
    for stack in stacks:
        w.proj.pulumi("preview", "--expect-no-changes", stack=stack)
    w.proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pki")


def _said(proc) -> str:
    """What a person sees: the engine's output and the providers' messages (their stderr)."""
    return proc.stdout + proc.stderr


def _ops(w, stack: str = "pki") -> dict[str, str]:
    preview = json.loads(w.proj.pulumi("preview", "--json", stack=stack).stdout)
    return {s["urn"].rsplit("::", 1)[1]: s["op"] for s in preview["steps"] if s["op"] not in ("same", "read")}


@pytest.fixture(scope="module")
def world(tmp_path_factory, emulator_url):
    w = World()
    env = {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    w.proj = proj = LocalProject(tmp_path_factory.mktemp("renewal"), engine_bin(), env)
    key = new_key("EC_secp384r1")
    offline = build_certificate(key.public_key(), name("Renewal Offline Root"), name("Renewal Offline Root"), key,
                                path_length=1, days=9000)
    proj.init_stack("pki")
    proj.init_stack("signer")
    proj.config_set("signer", "pca-import:signerCertificate", pem(offline))
    proj.config_set("signer", "pca-import:signerKey", private_key_pem(key), secret=True)
    proj.set_object("pki", "pca-import:hierarchy", HIERARCHY)
    proj.up("pki")
    proj.up("signer")
    proj.up("pki")
    w.first = proj.outputs("pki")["cas"]
    return w


def test_a_grandchild_with_default_validity_is_capped_at_its_parent(world):
    cas = world.first
    assert {n: c["status"] for n, c in cas.items()} == {n["name"]: "ACTIVE" for n in HIERARCHY}
    assert cas["issuing"]["not_after"] == cas["policy"]["not_after"]  # 1825 days would outlive policy by seconds
    assert cas["policy"]["renew_before_days"] == 60 and cas["issuing"]["renew_before_days"] == 30
    assert region_of(cas["issuing"]["arn"]) == "eu-west-1" and region_of(cas["policy"]["arn"]) == "us-east-1"
    assert not any(c["renewal_due"] for c in cas.values())
    _quiet(world, "pki", "signer")


def test_intermediate_renews_capped_by_its_parent_and_the_childs_chain_follows(world):
    w = world
    policy_end, root_end = _end(w, "policy"), _end(w, "root")
    _at(w, policy_end - dt.timedelta(days=50))  # policy (60) is due; issuing (30) and partner (40) are not
    story = _said(w.proj.pulumi("preview", "--diff", stack="pki"))
    assert (f"policy: renews: expires {policy_end.date()}, within renewBeforeDays 60; validity 1825 days capped "
            f"at its issuer's expiry {root_end.date()}") in story
    assert "issuing: its chain follows its issuer's new certificate" in story
    ops = _ops(w)
    assert ops == {"policy-issued": "update", "policy-cert": "update", "issuing-issued": "update",
                   "issuing-cert": "update"}, ops
    w.proj.up("pki")
    cas = w.proj.outputs("pki")["cas"]
    assert cas["policy"]["arn"] == w.first["policy"]["arn"] and cas["policy"]["serial"] != w.first["policy"]["serial"]
    assert cas["policy"]["not_after"] == cas["root"]["not_after"]  # capped by its parent
    assert cas["issuing"]["serial"] == w.first["issuing"]["serial"]  # not due: same certificate, new chain
    chain = canonical_pem(cas["issuing"]["complete_chain"])
    assert canonical_pem(cas["policy"]["complete_chain"]) in chain
    _quiet(w, "pki")


def test_external_renewal_through_the_signer_stack_with_no_config_change(world):
    w = world
    partner_end = _end(w, "partner")
    _at(w, partner_end - dt.timedelta(days=35))  # partner (40) is due; issuing (30) is not
    before = w.proj.outputs("pki")["cas"]["partner"]
    up = w.proj.up("pki")
    assert "partner: renewal due (expires" in up.stdout + up.stderr
    assert w.proj.outputs("pki")["cas"]["partner"]["renewal_due"] is True
    story = _said(w.proj.pulumi("preview", stack="signer"))
    assert f"partner: signs again: expires {partner_end.date()}, within renewBeforeDays 40" in story
    assert _ops(w, "signer") == {"partner-signed": "update"}
    w.proj.up("signer")
    w.proj.up("pki")
    after = w.proj.outputs("pki")["cas"]["partner"]
    assert after["arn"] == before["arn"] and after["serial"] != before["serial"] and after["renewal_due"] is False
    _quiet(w, "signer", "pki")


def test_grandchild_renews_capped_by_its_parent(world):
    w = world
    issuing_end, policy_end = _end(w, "issuing"), _end(w, "policy")
    _at(w, issuing_end - dt.timedelta(days=20))
    assert _ops(w) == {"issuing-issued": "update", "issuing-cert": "update"}
    w.proj.up("pki")
    assert _end(w, "issuing") == policy_end
    _quiet(w, "pki")


def test_a_renewal_aws_would_refuse_is_reported_at_preview_and_not_made(world):
    w = world
    root_end = _end(w, "root")
    _at(w, root_end - dt.timedelta(days=45))  # policy (60) is due, but root (30) ends within policy's window
    proc = w.proj.pulumi("preview", "--expect-no-changes", stack="pki")
    assert (f"policy: due (expires {root_end.date()}, within renewBeforeDays 60) but not renewed: its issuer "
            f"expires {root_end.date()}, within its renewBeforeDays 60: AWS refuses a validity past the issuer"
            ) in _said(proc)


def test_root_renews_with_the_same_key_and_every_descendant_chain_follows(world):
    w = world
    before = w.proj.outputs("pki")["cas"]
    root_end = _end(w, "root")
    _at(w, root_end - dt.timedelta(days=20))  # root, policy and issuing are all due: parent before child
    story = _said(w.proj.pulumi("preview", stack="pki"))
    assert f"root: renews: expires {root_end.date()}, within renewBeforeDays 30; validity 3000 days" in story
    w.proj.up("pki")
    cas = w.proj.outputs("pki")["cas"]
    for n in ("root", "policy", "issuing"):
        assert cas[n]["arn"] == before[n]["arn"] and cas[n]["serial"] != before[n]["serial"], n
    old_root, new_root = _cert(before["root"]["complete_chain"]), _cert(cas["root"]["complete_chain"])
    assert old_root.public_key() == new_root.public_key()  # the same key: a Private CA's key never changes
    assert new_root.not_valid_after_utc > old_root.not_valid_after_utc
    root_pem = canonical_pem(cas["root"]["complete_chain"])
    for n in ("policy", "issuing"):
        assert root_pem in canonical_pem(cas[n]["complete_chain"]), n
    assert canonical_pem(cas["policy"]["complete_chain"]) in canonical_pem(cas["issuing"]["complete_chain"])
    _quiet(w, "pki", "signer")
