"""Cross-account hierarchies on the emulator: every call for a CA is made with its account's role (STS
AssumeRole from the stack's credentials); accounts are kept apart; a role no account holds is refused."""
from __future__ import annotations

import uuid

import pytest

from pca_import.aws.client import AccountRole, PrivateCa, account_of
from pca_import.core.spec import ROOT_TEMPLATE, SUBORDINATE_TEMPLATES
from pca_import.devtools.local_pulumi import Emulator
from pca_import.errors import AwsError, ErrorCode

TAGS = [{"Key": "managed-by", "Value": "pca-import"}]


def _role(emulator_url, account: str, external_id: str | None = None) -> AccountRole:
    arn = f"arn:aws:iam::{account}:role/pki-{uuid.uuid4().hex[:8]}"
    Emulator(emulator_url).register_role(arn, external_id)
    return AccountRole(arn, external_id)


def test_a_ca_made_in_another_account_lives_there_and_is_invisible_from_the_stacks_own(emulator_url):
    role = _role(emulator_url, "222222222222")
    pca = PrivateCa.from_environment().as_role(role)
    arn, csr = pca.create_ca("ROOT", "EC_prime256v1", "SHA256WITHECDSA", {"CommonName": "Account B Root"}, TAGS)
    assert account_of(arn) == "222222222222"
    assert pca.describe(arn)["status"] == "PENDING_CERTIFICATE"
    with pytest.raises(AwsError) as e:
        PrivateCa.from_environment().describe(arn)  # the stack's own account does not see it
    assert e.value.code == ErrorCode.RESOURCE_NOT_FOUND


def test_a_role_no_account_holds_or_a_wrong_external_id_is_refused_with_the_fix(emulator_url):
    unknown = AccountRole("arn:aws:iam::333333333333:role/no-such-role")
    with pytest.raises(AwsError) as e:
        PrivateCa.from_environment().as_role(unknown).create_ca("ROOT", "EC_prime256v1", "SHA256WITHECDSA",
                                                                {"CommonName": "Never"}, TAGS)
    assert e.value.code == ErrorCode.ASSUME_ROLE and e.value.is_setup
    assert "arn:aws:iam::333333333333:role/no-such-role" in str(e.value) and "trust policy" in str(e.value)
    guarded = _role(emulator_url, "444444444444", external_id="ceremony-7")
    wrong = AccountRole(guarded.role_arn, "not-it")
    with pytest.raises(AwsError) as e:
        PrivateCa.from_environment().as_role(wrong).list_cas()
    assert e.value.code == ErrorCode.ASSUME_ROLE and "externalId" in str(e.value)


def test_a_subordinate_is_issued_by_the_issuers_account_and_imported_in_its_own(emulator_url):
    root_role, sub_role = _role(emulator_url, "555555555555"), _role(emulator_url, "666666666666")
    root_pca = PrivateCa.from_environment().as_role(root_role)
    sub_pca = PrivateCa.from_environment().as_role(sub_role)
    root_arn, root_csr = root_pca.create_ca("ROOT", "EC_prime256v1", "SHA256WITHECDSA", {"CommonName": "A Root"}, TAGS)
    _, root_cert, _ = root_pca.issue_ca_certificate(root_arn, root_csr, ROOT_TEMPLATE, "SHA256WITHECDSA",
                                                    {"Type": "DAYS", "Value": 365})
    root_pca.import_certificate(root_arn, root_cert)
    sub_arn, sub_csr = sub_pca.create_ca("SUBORDINATE", "EC_prime256v1", "SHA256WITHECDSA", {"CommonName": "B Sub"}, TAGS)
    _, cert, chain = root_pca.issue_ca_certificate(root_arn, sub_csr, SUBORDINATE_TEMPLATES[0], "SHA256WITHECDSA",
                                                   {"Type": "DAYS", "Value": 100})
    sub_pca.import_certificate(sub_arn, cert, chain)
    assert sub_pca.describe(sub_arn)["status"] == "ACTIVE"
    assert account_of(root_arn) == "555555555555" and account_of(sub_arn) == "666666666666"


def test_the_cli_reaches_another_account_with_role_arn(emulator_url, capsys):
    import json

    from pca_import.integrations.cli import main
    role = _role(emulator_url, "777777777777", external_id="ops")
    pca = PrivateCa.from_environment().as_role(role)
    arn, _ = pca.create_ca("ROOT", "EC_prime256v1", "SHA256WITHECDSA", {"CommonName": "CLI Account Root"}, TAGS)
    assert main(["status", "--ca-arn", arn, "--json"]) == 1  # the stack's own account does not see it
    capsys.readouterr()
    assert main(["status", "--ca-arn", arn, "--role-arn", role.role_arn, "--external-id", "ops", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "PENDING_CERTIFICATE"  # found; not ACTIVE yet: exit 1
    assert main(["tree", "--from-aws", "--role-arn", role.role_arn, "--external-id", "ops", "--format", "json"]) == 0
    assert [r["arn"] for r in json.loads(capsys.readouterr().out)] == [arn]
    assert main(["status", "--ca-arn", arn, "--role-arn", "not-a-role"]) == 2
