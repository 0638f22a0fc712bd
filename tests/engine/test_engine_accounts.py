"""A hierarchy across accounts and regions, as organisations run it: the root in its own account, a
PCA-signed subordinate in a second (issued by the root's account, imported with its own), an externally signed
CA in a third; two regions. Real engine, the emulator's STS and its accounts kept apart."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from cryptography import x509

import pca
from certfactory import ca, chain
from pca_import.aws.client import AccountRole, PrivateCa, account_of, region_of
from pca_import.devtools.local_pulumi import Emulator, LocalProject, engine_bin
from pca_import.errors import AwsError

pytestmark = pytest.mark.engine
ROOT_ACCT, ISSUING_ACCT, PARTNER_ACCT = "111111111111", "222222222222", "333333333333"


@pytest.fixture(scope="module")
def org(tmp_path_factory, emulator_url):
    emu = Emulator(emulator_url)
    tag = uuid.uuid4().hex[:6]
    roles = {acct: f"arn:aws:iam::{acct}:role/pki-{tag}" for acct in (ROOT_ACCT, ISSUING_ACCT, PARTNER_ACCT)}
    emu.register_role(roles[ROOT_ACCT], external_id="root-ceremony")
    emu.register_role(roles[ISSUING_ACCT])
    emu.register_role(roles[PARTNER_ACCT])
    files = tmp_path_factory.mktemp("signed")
    proj = LocalProject(tmp_path_factory.mktemp("accounts"), engine_bin(), emu.aws_env)
    proj.init_stack("pki")
    hierarchy = [
        {"name": "root", "type": "ROOT", "keyAlgorithm": "EC_secp384r1",
         "account": {"roleArn": roles[ROOT_ACCT], "externalId": "root-ceremony"}},
        {"name": "issuing", "type": "SUBORDINATE", "parent": "root", "region": "eu-west-1", "renewBeforeDays": 30,
         "account": {"roleArn": roles[ISSUING_ACCT]}},
        {"name": "partner", "type": "SUBORDINATE", "signer": "external",
         "certificateFile": str(files / "partner.pem"), "chainFile": str(files / "partner-chain.pem"),
         "account": {"roleArn": roles[PARTNER_ACCT], "sessionName": "pca-import-partner"}}]
    proj.edit_config("pki", lambda c: (c.pop("pca-import:signerStack", None),
                                      c.__setitem__("pca-import:hierarchy", hierarchy)))
    proj.up("pki")
    offline = ca(f"Accounts Offline Root {tag}", path_length=1)
    csr = proj.outputs("pki")["external_csrs"]["partner"]
    (files / "partner.pem").write_text(pca.external_sign(csr, offline, days=2500, path_length=0))
    (files / "partner-chain.pem").write_text(chain(offline))
    proj.up("pki")
    return proj, roles, hierarchy


def test_each_ca_lives_in_its_account_and_region_and_is_active(org):
    proj, roles, _ = org
    cas = proj.outputs("pki")["cas"]
    where = {n: (account_of(c["arn"]), region_of(c["arn"]), c["status"]) for n, c in cas.items()}
    assert where == {"root": (ROOT_ACCT, "us-east-1", "ACTIVE"), "issuing": (ISSUING_ACCT, "eu-west-1", "ACTIVE"),
                     "partner": (PARTNER_ACCT, "us-east-1", "ACTIVE")}
    with pytest.raises(AwsError):  # the stack's own account does not hold them
        PrivateCa.from_environment().describe(cas["root"]["arn"])
    issuing = PrivateCa.from_environment().as_role(AccountRole(roles[ISSUING_ACCT])).for_arn(cas["issuing"]["arn"])
    assert issuing.describe(cas["issuing"]["arn"])["status"] == "ACTIVE"  # with its account's role it is there
    assert cas["issuing"]["signed_by"].startswith("root")
    proj.pulumi("preview", "--expect-no-changes", stack="pki")
    proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pki")


def test_renewal_is_issued_by_the_roots_account_and_imported_in_the_issuings(org):
    proj, _, _ = org
    before = proj.outputs("pki")["cas"]["issuing"]
    not_after = dt.datetime.fromisoformat(before["not_after"])
    proj.env["PCA_IMPORT_NOW"] = (not_after - dt.timedelta(days=10)).isoformat()
    try:
        proj.up("pki")
        after = proj.outputs("pki")["cas"]["issuing"]
        assert after["arn"] == before["arn"] and after["serial"] != before["serial"]  # renewed in place
        proj.pulumi("preview", "--expect-no-changes", stack="pki")
    finally:
        proj.env.pop("PCA_IMPORT_NOW")


def test_a_role_that_cannot_be_assumed_fails_the_preview_naming_the_ca_the_role_and_the_fix(org):
    proj, roles, hierarchy = org
    bad = [dict(h) for h in hierarchy]
    bad[2] = {**bad[2], "account": {"roleArn": f"arn:aws:iam::{PARTNER_ACCT}:role/not-a-role"}}
    proj.edit_config("pki", lambda c: c.__setitem__("pca-import:hierarchy", bad))
    try:
        proc = proj.pulumi("preview", stack="pki", check=False)
        text = proc.stdout + proc.stderr
        assert proc.returncode != 0 and "Traceback" not in text
        assert f"arn:aws:iam::{PARTNER_ACCT}:role/not-a-role" in text and "trust policy" in text
    finally:
        proj.edit_config("pki", lambda c: c.__setitem__("pca-import:hierarchy", hierarchy))
    proj.pulumi("preview", "--expect-no-changes", stack="pki")


def test_certificates_chain_across_accounts(org):
    proj, _, _ = org
    cas = proj.outputs("pki")["cas"]
    chain_pem = cas["issuing"]["complete_chain"]
    certs = x509.load_pem_x509_certificates(chain_pem.encode())
    assert certs[0].issuer == certs[1].subject  # issuing (account B) under root (account A)
