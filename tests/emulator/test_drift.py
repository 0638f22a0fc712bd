"""Drift of what a CaCertificateImport manages, against the local Private CA over HTTP: the CA's declared state
(`enabled`), its owner tag and its expiry, as the provider's read (refresh), diff and update see them."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from cryptography import x509

import pca
from certfactory import ca
from pca_import.aws.client import OWNER_TAG
from pca_import.core.x509build import pem, sign_csr
from pca_import.errors import OwnedByAnother
from pca_import.resources.ca_import import CaCertificateImportProvider

OFFLINE_ROOT = ca("Drift Offline Root")
ME = "pca-import/pki/drift-cert"


@pytest.fixture
def provider(emulator_url):
    return CaCertificateImportProvider()


def _declared(provider, cn: str, **kw) -> tuple[str, dict, dict]:
    """A subordinate CA signed offline and imported by the provider: (arn, inputs, outputs)."""
    arn, csr = pca.create_ca("SUBORDINATE", cn)
    props = {"certificate_authority_arn": arn, "certificate": pca.external_sign(csr, OFFLINE_ROOT),
             "certificate_chain": OFFLINE_ROOT.pem, "owner": ME, **kw}
    checked = provider.check({}, props)
    assert checked.failures == []
    return arn, checked.inputs, provider.create(checked.inputs).outs


def _refresh(provider, arn: str, outs: dict):
    """What `pulumi refresh` does: read, then diff the refreshed outputs against the declared inputs."""
    read = provider.read(arn, outs)
    return read, provider.diff(arn, read.outs, outs)


def _tags(arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in pca.client().list_tags(CertificateAuthorityArn=arn).get("Tags", [])}


def test_a_ca_disabled_out_of_band_is_a_change_of_enabled_and_update_enables_it_with_one_call(provider, calls):
    arn, inputs, outs = _declared(provider, "Drift Disabled")
    assert outs["status"] == "ACTIVE" and outs["enabled"] is True
    pca.client().update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    read, diff = _refresh(provider, arn, outs)
    assert read.outs["status"] == "DISABLED" and read.inputs["enabled"] is False and diff.changes
    calls.reset()
    updated = provider.update(arn, read.outs, inputs).outs
    assert updated["status"] == "ACTIVE" and pca.status(arn) == "ACTIVE"
    made = calls.get()
    assert made.get("UpdateCertificateAuthority") == 1 and "ImportCertificateAuthorityCertificate" not in made
    assert not _refresh(provider, arn, updated)[1].changes


def test_enabled_false_keeps_the_ca_disabled_and_an_enable_out_of_band_is_drift(provider):
    arn, inputs, outs = _declared(provider, "Drift Kept Disabled", enabled=False)
    assert outs["status"] == "DISABLED" and pca.status(arn) == "DISABLED"
    assert not _refresh(provider, arn, outs)[1].changes
    pca.client().update_certificate_authority(CertificateAuthorityArn=arn, Status="ACTIVE")
    read, diff = _refresh(provider, arn, outs)
    assert read.outs["status"] == "ACTIVE" and diff.changes
    assert provider.update(arn, read.outs, inputs).outs["status"] == "DISABLED"
    assert pca.status(arn) == "DISABLED"


def test_declaring_enabled_false_on_an_existing_ca_disables_it(provider):
    arn, inputs, outs = _declared(provider, "Drift Incident")
    news = provider.check(inputs, {**inputs, "enabled": False}).inputs
    assert provider.diff(arn, outs, news).changes
    assert provider.update(arn, outs, news).outs["status"] == "DISABLED" and pca.status(arn) == "DISABLED"


def test_enabled_must_be_a_boolean(provider):
    arn, csr = pca.create_ca("SUBORDINATE", "Drift Bad Enabled")
    failures = provider.check({}, {"certificate_authority_arn": arn, "certificate": pca.external_sign(csr, OFFLINE_ROOT),
                                   "certificate_chain": OFFLINE_ROOT.pem, "enabled": "yes"}).failures
    assert [f.property for f in failures] == ["enabled"]


def test_owner_tag_removed_out_of_band_is_drift_and_update_writes_it_again_without_an_import(provider, calls):
    arn, inputs, outs = _declared(provider, "Drift Untagged")
    assert outs["owner_tag"] == ME
    pca.client().untag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": OWNER_TAG, "Value": ME}])
    read, diff = _refresh(provider, arn, outs)
    assert read.outs["owner_tag"] == "" and diff.changes
    calls.reset()
    updated = provider.update(arn, read.outs, inputs).outs
    assert _tags(arn)[OWNER_TAG] == ME and updated["owner_tag"] == ME
    assert "ImportCertificateAuthorityCertificate" not in calls.get()
    assert not _refresh(provider, arn, updated)[1].changes


def test_owner_tag_changed_to_another_owner_is_drift_and_update_refuses_it(provider, calls):
    arn, inputs, outs = _declared(provider, "Drift Taken")
    other = "pca-import/rival/taken-cert"
    pca.client().tag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": OWNER_TAG, "Value": other}])
    read, diff = _refresh(provider, arn, outs)
    assert read.outs["owner_tag"] == other and diff.changes
    calls.reset()
    with pytest.raises(OwnedByAnother) as exc:
        provider.update(arn, read.outs, inputs)
    assert other in str(exc.value) and "adopt_owned_by" in str(exc.value)
    made = calls.get()
    assert not {"ImportCertificateAuthorityCertificate", "TagCertificateAuthority",
                "UpdateCertificateAuthority"} & set(made)
    assert _tags(arn)[OWNER_TAG] == other


def test_a_refresh_costs_three_calls_per_ca(provider, calls):
    arn, _inputs, outs = _declared(provider, "Drift Calls")
    calls.reset()
    provider.read(arn, outs)
    assert calls.get() == {"DescribeCertificateAuthority": 1, "GetCertificateAuthorityCertificate": 1, "ListTags": 1}


def test_the_emulator_reports_expired_and_a_refresh_shows_it_until_a_renewal(provider):
    arn, csr = pca.create_ca("SUBORDINATE", "Drift Expiring")
    ends = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=4)
    short = pem(sign_csr(x509.load_pem_x509_csr(csr.encode()), OFFLINE_ROOT.cert, OFFLINE_ROOT.key, not_after=ends))
    props = {"certificate_authority_arn": arn, "certificate": short, "certificate_chain": OFFLINE_ROOT.pem,
             "owner": ME}
    inputs = provider.check({}, props).inputs
    outs = provider.create(inputs).outs
    assert outs["status"] == "ACTIVE"
    time.sleep(max(0.0, (ends - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.5)
    assert pca.status(arn) == "EXPIRED"
    read, diff = _refresh(provider, arn, outs)
    assert read.outs["status"] == "EXPIRED" and diff.changes
    # up cannot put it right with the same certificate: the preview refuses it (VAL001), and so would the update
    assert {f.reason.split("]")[0].lstrip("[") for f in provider.check(read.outs, inputs).failures} == {"VAL001"}
    renewed = {**inputs, "certificate": pca.external_sign(csr, OFFLINE_ROOT)}
    news = provider.check(read.outs, renewed).inputs
    assert provider.update(arn, read.outs, news).outs["status"] == "ACTIVE"
    assert pca.status(arn) == "ACTIVE"


def test_a_ca_created_disabled_costs_one_more_call_than_an_enabled_one(provider, calls):
    arn, csr = pca.create_ca("SUBORDINATE", "Drift Created Disabled")
    props = {"certificate_authority_arn": arn, "certificate": pca.external_sign(csr, OFFLINE_ROOT),
             "certificate_chain": OFFLINE_ROOT.pem, "owner": ME, "enabled": False}
    inputs = provider.check({}, props).inputs
    calls.reset()
    assert provider.create(inputs).outs["status"] == "DISABLED"
    # Describe, ListTags, ImportCertificateAuthorityCertificate, TagCertificateAuthority, UpdateCertificateAuthority
    assert sum(calls.get().values()) == 5 and calls.get()["UpdateCertificateAuthority"] == 1
