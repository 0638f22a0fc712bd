"""Ownership: each CA a CaCertificateImport manages carries `pca-import:owner = <project>/<stack>/<resource>`;
another stack or resource is refused (at preview and at apply) unless it adopts the CA explicitly, and
`pca-import import` is refused unless --force. Against the emulator over HTTP."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import pca
from certfactory import ca, chain
from pca_import.errors import OwnedByAnother
from pca_import.core.options import ImportOptions
from pca_import.resources.ca_import import CaCertificateImportProvider

ROOT = ca("Ownership Root")
A, B = "pca-import/pki/partner-cert", "pca-import/rival/partner-cert"


def owner_tag(arn: str):
    tags = pca.client().list_tags(CertificateAuthorityArn=arn)["Tags"]
    return {t["Key"]: t["Value"] for t in tags}.get("pca-import:owner")


def cli(*args):
    p = subprocess.run([sys.executable, "-m", "pca_import", *args], capture_output=True, text=True, env=os.environ)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def owned(emulator_url):
    """A CA imported and owned by stack `pki`'s resource `partner-cert`."""
    arn, csr = pca.create_ca("SUBORDINATE", "Owned CA")
    props = {"certificate_authority_arn": arn, "certificate": pca.external_sign(csr, ROOT, days=300),
             "certificate_chain": chain(ROOT), "owner": A}
    outs = CaCertificateImportProvider().create(props).outs
    return arn, csr, props, outs


def test_create_marks_the_ca_with_its_owner(owned):
    arn, _, _, outs = owned
    assert owner_tag(arn) == A and outs["owner"] == A


def test_a_second_stack_is_refused_at_preview_and_apply_naming_the_owner_and_the_fix(owned, calls):
    arn, csr, props, _ = owned
    rival = dict(props, owner=B)
    failures = CaCertificateImportProvider().check({}, rival).failures
    assert [f.property for f in failures] == ["certificate_authority_arn"]
    reason = failures[0].reason
    assert f"is managed by {A}" in reason and f"not by {B}" in reason and f"adopt_owned_by='{A}'" in reason
    with pytest.raises(OwnedByAnother) as exc:
        CaCertificateImportProvider().create(rival)
    assert exc.value.owner == A and "adopt_owned_by" in str(exc.value)
    # a renewal by the rival is refused just the same, and nothing is imported
    renewed = dict(rival, certificate=pca.external_sign(csr, ROOT, days=500))
    with pytest.raises(OwnedByAnother):
        CaCertificateImportProvider().update(arn, dict(props, owner=B), renewed)
    assert "ImportCertificateAuthorityCertificate" not in calls.get() and owner_tag(arn) == A


def test_the_owner_is_checked_at_preview_even_before_the_certificate_is_known(owned):
    from pulumi.output import UNKNOWN
    arn, _, props, _ = owned
    failures = CaCertificateImportProvider().check({}, dict(props, owner=B, certificate=UNKNOWN)).failures
    assert len(failures) == 1 and A in failures[0].reason


def test_adopting_explicitly_takes_the_ca_over(owned):
    arn, _, props, _ = owned
    takeover = dict(props, owner=B, adopt_owned_by=A)
    assert CaCertificateImportProvider().check({}, takeover).failures == []
    outs = CaCertificateImportProvider().create(takeover).outs
    assert outs["owner"] == B and owner_tag(arn) == B
    # now the former owner is the one refused
    assert B in CaCertificateImportProvider().check({}, props).failures[0].reason


def test_adopting_from_the_wrong_owner_is_still_refused(owned):
    _, _, props, _ = owned
    failures = CaCertificateImportProvider().check({}, dict(props, owner=B, adopt_owned_by="x/y/z")).failures
    assert failures and A in failures[0].reason


def test_deleting_the_resource_releases_the_ca(owned):
    arn, _, props, outs = owned
    CaCertificateImportProvider().delete(arn, outs)  # on_delete: retain
    assert owner_tag(arn) is None and pca.status(arn) == "ACTIVE"
    assert CaCertificateImportProvider().check({}, dict(props, owner=B)).failures == []
    assert CaCertificateImportProvider().create(dict(props, owner=B)).outs["owner"] == B


def test_a_resource_from_before_ownership_is_marked_at_its_next_update(emulator_url, calls):
    arn, csr = pca.create_ca("SUBORDINATE", "Legacy CA")
    legacy = {"certificate_authority_arn": arn, "certificate": pca.external_sign(csr, ROOT),
              "certificate_chain": chain(ROOT)}
    provider = CaCertificateImportProvider()
    outs = provider.create(legacy).outs  # no owner input: nothing is tagged
    assert owner_tag(arn) is None
    news = dict(legacy, owner=A)
    d = provider.diff(arn, outs, news)
    assert d.changes and d.replaces == []
    calls.reset()
    assert provider.update(arn, outs, news).outs["owner"] == A and owner_tag(arn) == A
    assert "ImportCertificateAuthorityCertificate" not in calls.get()


def test_cli_import_into_a_stack_owned_ca_is_refused_without_force(owned, tmp_path, calls):
    arn, csr, props, _ = owned
    (tmp_path / "c.pem").write_text(pca.external_sign(csr, ROOT, days=600))
    (tmp_path / "chain.pem").write_text(chain(ROOT))
    args = ["import", "--ca-arn", arn, "--certificate", str(tmp_path / "c.pem"), "--chain", str(tmp_path / "chain.pem"),
            "--renew"]
    code, _, err = cli(*args)
    assert code == 1 and f"is managed by {A}" in err and "--force" in err and "Traceback" not in err
    assert cli(*args, "--dry-run")[0] == 1 and cli(*args, "--dry-run", "--force")[0] == 0
    assert "ImportCertificateAuthorityCertificate" not in calls.get()
    code, out, err = cli(*args, "--force")
    assert code == 0 and out.startswith("imported:"), err
    assert owner_tag(arn) == A  # the CLI never takes ownership
    code, out, _ = cli("status", "--ca-arn", arn, "--json")
    assert json.loads(out)["owner"] == A


def test_cli_renews_with_renew(emulator_url, tmp_path, calls):
    arn, csr = pca.create_ca("SUBORDINATE", "CLI Renewed CA")
    first = pca.external_sign(csr, ROOT, days=100)
    pca.import_raw(arn, first, chain(ROOT))
    (tmp_path / "c.pem").write_text(pca.external_sign(csr, ROOT, days=800))
    (tmp_path / "chain.pem").write_text(chain(ROOT))
    args = ["import", "--ca-arn", arn, "--certificate", str(tmp_path / "c.pem"), "--chain", str(tmp_path / "chain.pem")]
    code, _, err = cli(*args)
    assert code == 1 and "already holds a different CA certificate" in err and "pass --renew" in err
    assert "pulumi" not in err.lower()
    code, out, err = cli(*args, "--renew", "--json")
    assert code == 0, err
    assert json.loads(out)["imported"] is True and json.loads(out)["status"] == "ACTIVE"
    assert 790 <= json.loads(cli("status", "--ca-arn", arn, "--json")[1])["days_left"] <= 800


def test_expiry_warning_days_zero_round_trips_with_no_diff(emulator_url):
    arn, csr = pca.create_ca("SUBORDINATE", "Zero Days CA")
    props = {"certificate_authority_arn": arn, "certificate": pca.external_sign(csr, ROOT),
             "certificate_chain": chain(ROOT), "expiry_warning_days": 0, "owner": "p/s/zero"}
    provider = CaCertificateImportProvider()
    checked = provider.check({}, props)
    assert checked.failures == [] and checked.inputs["expiry_warning_days"] == 0
    outs = provider.create(checked.inputs).outs
    assert outs["expiry_warning_days"] == 0
    assert not provider.diff(arn, outs, checked.inputs).changes
    assert provider.read(arn, outs).outs["expiry_warning_days"] == 0


@pytest.mark.parametrize("props,problem", [
    ({}, None), ({"expiry_warning_days": 0}, None), ({"rule_profile": "lenient"}, "rule_profile"),
    ({"on_delete": "destroy"}, "on_delete"), ({"expiry_warning_days": True}, "expiry_warning_days"),
    ({"expiry_warning_days": -1}, "expiry_warning_days"), ({"expiry_warning_days": 10**9}, "expiry_warning_days"),
    ({"expiry_warning_days": 2.5}, "expiry_warning_days"), ({"adopt_owned_by": ""}, "adopt_owned_by")])
def test_import_options(props, problem):
    options, problems = ImportOptions.from_props(props)
    assert [p for p, _ in problems] == ([problem] if problem else [])
    if "expiry_warning_days" in props and not problem:
        assert options.expiry_warning_days == props["expiry_warning_days"]
    assert ImportOptions.from_props(options.as_props()) == (options, [])


def test_a_renamed_resource_or_stack_moves_its_own_tag(owned):
    """The state remembers the owner this resource wrote: a rename (alias, stack rename) is not a rival."""
    arn, _, props, outs = owned
    renamed = dict(props, owner="pca-import/pki-renamed/partner-cert")
    provider = CaCertificateImportProvider()
    assert provider.check(props, renamed).failures == []  # olds: the inputs it was created with
    assert provider.diff(arn, outs, renamed).changes
    assert provider.update(arn, outs, renamed).outs["owner"] == renamed["owner"]
    assert owner_tag(arn) == renamed["owner"]
