"""CaCertificateImportProvider against the local Private CA over HTTP: the three import scenarios,
preview with unknowns, diffs, renewal, drift, deletion, idempotency and error translation."""
from __future__ import annotations

import base64

import pytest

from paths import REPO
from botocore.exceptions import ClientError
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import UNKNOWN

import pca
from certfactory import ca, chain
from pca_import.aws.client import ADVICE, AwsError, PrivateCa, translate
from pca_import.resources.ca_import import CaCertificateImportProvider

SUB0 = "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"
OFFLINE_ROOT = ca("Offline Root")
OFFLINE_INTER = ca("Offline Intermediate", OFFLINE_ROOT)


@pytest.fixture
def provider(emulator_url):
    return CaCertificateImportProvider()


def props(arn, cert, chain_pem=None, **kw):
    p = {"certificate_authority_arn": arn, "certificate": cert, "certificate_chain": chain_pem}
    p.update(kw)
    return p


def create_ok(provider, p):
    assert provider.check({}, p).failures == []
    return provider.create(p)


def test_root_hosted_by_pca(provider, calls):
    arn, cert = pca.pca_root()
    result = create_ok(provider, props(arn, cert))
    assert result.id == arn
    assert result.outs["status"] == "ACTIVE" and result.outs["ca_type"] == "ROOT"
    assert result.outs["certificate_chain"] is None and result.outs["complete_chain"] == result.outs["certificate"]
    assert pca.status(arn) == "ACTIVE"
    assert calls.get().get("ImportCertificateAuthorityCertificate") == 1


def test_subordinate_under_pca_parent(provider):
    parent_arn, parent_cert = pca.pca_root("PCA Parent Root")
    provider.create(props(parent_arn, parent_cert))
    arn, csr = pca.create_ca("SUBORDINATE", "PCA Issuing")
    cert, chain_pem = pca.issue(parent_arn, csr, SUB0)
    out = create_ok(provider, props(arn, cert, chain_pem)).outs
    assert out["status"] == "ACTIVE" and out["ca_type"] == "SUBORDINATE"
    assert out["issuer"] == "CN=PCA Parent Root"
    assert out["complete_chain"] == out["certificate"] + out["certificate_chain"]


def test_subordinate_under_external_parent(provider):
    arn, csr = pca.create_ca("SUBORDINATE", "Partner CA")
    cert = pca.external_sign(csr, OFFLINE_INTER)
    out = create_ok(provider, props(arn, cert, chain(OFFLINE_INTER, OFFLINE_ROOT))).outs
    assert out["status"] == "ACTIVE" and out["issuer"] == "CN=Offline Intermediate"


def test_preview_with_unknown_inputs_does_not_fail(provider):
    arn, csr = pca.create_ca("SUBORDINATE", "Awaiting")
    assert provider.check({}, props(UNKNOWN, UNKNOWN, UNKNOWN)).failures == []
    # the chain still unknown: no "chain required" failure for a subordinate certificate
    cert = pca.external_sign(csr, OFFLINE_INTER)
    assert provider.check({}, props(arn, cert, UNKNOWN)).failures == []
    d = provider.diff(arn, props(arn, cert), props(arn, UNKNOWN))
    assert d.changes and d.replaces == []


def test_bad_certificate_fails_check_with_rule_codes_and_places(provider, calls):
    arn, csr = pca.create_ca("SUBORDINATE", "Misordered")
    cert = pca.external_sign(csr, OFFLINE_INTER)
    failures = provider.check({}, props(arn, cert, chain(OFFLINE_ROOT, OFFLINE_INTER))).failures
    assert [f.property for f in failures] == [""]  # named, the engine would print the whole PEM above the finding
    assert failures[0].reason.startswith("[CHAIN002] chain")
    assert "CN=Offline Root" in failures[0].reason and "(input `certificate_chain`)" in failures[0].reason
    assert "ImportCertificateAuthorityCertificate" not in calls.get()


def test_whitespace_only_change_is_no_diff(provider):
    arn, cert = pca.pca_root("Whitespace Root")
    outs = provider.create(props(arn, cert)).outs
    messy = "\r\n" + cert.replace("\n", "\r\n") + "\n\n  "
    d = provider.diff(arn, outs, props(arn, messy, "", rule_profile="default", on_delete="retain",
                                       expiry_warning_days=30))
    assert not d.changes and d.replaces == []


def test_new_arn_replaces(provider):
    arn, cert = pca.pca_root("Replace Root")
    outs = provider.create(props(arn, cert)).outs
    d = provider.diff(arn, outs, props(arn.replace("certificate-authority/", "certificate-authority/x"), cert))
    assert d.replaces == ["certificate_authority_arn"]


def test_renewal_is_an_in_place_update_keeping_the_arn(provider, calls):
    arn, csr = pca.create_ca("SUBORDINATE", "Renewing CA")
    first = pca.external_sign(csr, OFFLINE_INTER, days=400)
    outs = provider.create(props(arn, first, chain(OFFLINE_INTER, OFFLINE_ROOT))).outs
    renewed = pca.external_sign(csr, OFFLINE_INTER, days=800)
    news = props(arn, renewed, chain(OFFLINE_INTER, OFFLINE_ROOT))
    assert provider.check(outs, news).failures == []
    d = provider.diff(arn, outs, news)
    assert d.changes and d.replaces == []
    calls.reset()
    new_outs = provider.update(arn, outs, news).outs
    assert new_outs["certificate_authority_arn"] == arn and new_outs["serial"] != outs["serial"]
    assert new_outs["not_after"] > outs["not_after"]
    assert calls.get()["ImportCertificateAuthorityCertificate"] == 1


def test_different_key_is_refused_before_any_import(provider, calls):
    arn, _csr = pca.create_ca("SUBORDINATE", "Wrong Key CA")
    _other_arn, other_csr = pca.create_ca("SUBORDINATE", "Wrong Key CA")
    cert = pca.external_sign(other_csr, OFFLINE_INTER)  # signed for another CA's key
    p = props(arn, cert, chain(OFFLINE_INTER, OFFLINE_ROOT))
    failures = provider.check({}, p).failures
    assert any("[KEY001]" in f.reason for f in failures)
    with pytest.raises(Exception, match="KEY001"):
        provider.create(p)
    assert "ImportCertificateAuthorityCertificate" not in calls.get()
    assert pca.status(arn) == "PENDING_CERTIFICATE"


def test_out_of_band_reimport_is_seen_by_read(provider):
    arn, csr = pca.create_ca("SUBORDINATE", "Drifting CA")
    declared = pca.external_sign(csr, OFFLINE_INTER)
    outs = provider.create(props(arn, declared, chain(OFFLINE_INTER, OFFLINE_ROOT))).outs
    assert provider.read(arn, outs).outs == outs  # nothing changed: refresh shows no diff
    other = pca.external_sign(csr, OFFLINE_INTER, days=500)
    pca.import_raw(arn, other, chain(OFFLINE_INTER, OFFLINE_ROOT))
    live = provider.read(arn, outs)
    assert live.outs["serial"] != outs["serial"] and live.outs["certificate"] != outs["certificate"]
    # the next up sees the declared certificate differ from the live one, and restores it
    d = provider.diff(arn, live.outs, props(arn, declared, chain(OFFLINE_INTER, OFFLINE_ROOT)))
    assert d.changes and d.replaces == []
    restored = provider.update(arn, live.outs, props(arn, declared, chain(OFFLINE_INTER, OFFLINE_ROOT))).outs
    assert restored["serial"] == outs["serial"]


def test_disabled_ca_shows_in_read(provider):
    arn, cert = pca.pca_root("Disabled Root")
    outs = provider.create(props(arn, cert)).outs
    pca.client().update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    live = provider.read(arn, outs)
    assert live.id == arn and live.outs["status"] == "DISABLED" and live.outs["certificate"] == outs["certificate"]


def test_deleted_ca_reads_as_gone(provider):
    arn, cert = pca.pca_root("Doomed Root")
    outs = provider.create(props(arn, cert)).outs
    pca.client().update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    pca.client().delete_certificate_authority(CertificateAuthorityArn=arn)
    assert provider.read(arn, outs).id == ""
    missing = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert provider.read(missing, dict(outs, certificate_authority_arn=missing)).id == ""


def test_retried_create_makes_no_second_import(provider, calls):
    arn, cert = pca.pca_root("Retried Root")
    first = provider.create(props(arn, cert)).outs
    second = provider.create(props(arn, cert)).outs
    assert first == second
    assert calls.get()["ImportCertificateAuthorityCertificate"] == 1


def test_create_on_a_ca_holding_another_certificate_explains_adoption(provider):
    arn, csr = pca.create_ca("SUBORDINATE", "Held CA")
    pca.import_raw(arn, pca.external_sign(csr, OFFLINE_INTER), chain(OFFLINE_INTER, OFFLINE_ROOT))
    other = pca.external_sign(csr, OFFLINE_INTER, days=99)
    with pytest.raises(Exception) as exc:
        provider.create(props(arn, other, chain(OFFLINE_INTER, OFFLINE_ROOT)))
    assert "already holds a different CA certificate" in str(exc.value) and "adopt" in str(exc.value)


def test_delete_honours_on_delete(provider):
    arn, cert = pca.pca_root("Retained Root")
    outs = provider.create(props(arn, cert)).outs
    provider.delete(arn, outs)
    assert pca.status(arn) == "ACTIVE"
    provider.delete(arn, dict(outs, on_delete="disable"))
    assert pca.status(arn) == "DISABLED"
    pca.client().delete_certificate_authority(CertificateAuthorityArn=arn)
    provider.delete(arn, dict(outs, on_delete="disable"))  # already gone: no error


def test_emulator_errors_are_translated_with_ca_step_and_fix(emulator_url):
    p = PrivateCa.from_environment()
    missing = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000"
    with pytest.raises(AwsError) as exc:
        p.describe(missing)
    assert exc.value.code == "ResourceNotFoundException" and missing in str(exc.value) and "region" in str(exc.value)
    with pytest.raises(AwsError) as exc:
        p.describe("not-an-arn")
    assert exc.value.code == "InvalidArnException"
    arn, csr = pca.create_ca("SUBORDINATE", "Raw CA")
    with pytest.raises(AwsError) as exc:  # bypassing the rules, as a hand-made call would
        p._call(p.client(), "ImportCertificateAuthorityCertificate", arn, Certificate=b"junk")
    assert exc.value.code == "MalformedCertificateException" and "importing the CA certificate" in str(exc.value)
    wrong = pca.external_sign(pca.create_ca("SUBORDINATE", "Raw CA")[1], OFFLINE_INTER)
    with pytest.raises(AwsError) as exc:
        p._call(p.client(), "ImportCertificateAuthorityCertificate", arn, Certificate=wrong.encode(),
                CertificateChain=chain(OFFLINE_INTER, OFFLINE_ROOT).encode())
    assert exc.value.code == "CertificateMismatchException" and "CSR" in str(exc.value)


@pytest.mark.parametrize("code", sorted(ADVICE))
def test_every_modelled_error_has_a_message_naming_ca_step_and_fix(code):
    err = ClientError({"Error": {"Code": code, "Message": "terse"}}, "ImportCertificateAuthorityCertificate")
    msg = str(translate(err, "arn:aws:acm-pca:eu-west-1:1:certificate-authority/abc",
                        "ImportCertificateAuthorityCertificate"))
    assert "certificate-authority/abc" in msg and "importing the CA certificate" in msg
    assert code in msg and ADVICE[code] in msg


def test_serialized_provider_is_a_small_reference():
    blob = serialize_provider(CaCertificateImportProvider())
    raw = base64.b64decode(blob)
    assert len(blob) < 300 and b"pca_import.provider" in raw and b"CaCertificateImportProvider" in raw


def test_a_create_on_a_pending_ca_takes_four_calls_after_its_check(provider, calls):
    """check (preview) reads the CSR once per CA and process; create then needs Describe, ListTags, the import
    and the owner tag — no read-back of a first import."""
    arn, csr = pca.create_ca("SUBORDINATE", "Four Calls CA")
    p = props(arn, pca.external_sign(csr, OFFLINE_INTER), chain(OFFLINE_INTER, OFFLINE_ROOT), owner="p/s/four")
    assert provider.check({}, p).failures == []
    calls.reset()
    outs = provider.create(p).outs
    assert sum(calls.get().values()) <= 4, calls.get()
    assert outs["status"] == "ACTIVE" and outs["certificate"] == provider.read(arn, outs).outs["certificate"]


def test_the_readme_iam_list_names_every_action_the_adapter_calls():
    import re
    from pca_import.aws.client import ACTIONS
    readme = (REPO / "docs" / "aws.md").read_text()
    iam = readme[readme.index("IAM for the import resource"):][:800]
    listed = set(re.findall(r"`(?:acm-pca:)?([A-Z][A-Za-z]+)`", iam))
    assert set(ACTIONS) <= listed, set(ACTIONS) - listed


def test_a_private_key_in_an_input_fails_check_on_no_property(provider):
    """ENC004 and every other failure about an input holding a key go on no property: the engine prints a
    named property's value with its failure, and this value is a private key."""
    from certfactory import private_key_pem
    key_pem = private_key_pem("Offline Root")
    arn = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x"
    provider._live_checks = False
    for holder, p in (("certificate", props(arn, OFFLINE_INTER.pem + key_pem, OFFLINE_ROOT.pem)),
                      ("certificate_chain", props(arn, OFFLINE_INTER.pem, OFFLINE_ROOT.pem + key_pem)),
                      ("certificate", props(arn, key_pem))):
        failures = provider.check({}, p).failures
        assert "ENC004" in " ".join(f.reason for f in failures)
        assert holder not in {f.property for f in failures}
        assert "" in {f.property for f in failures}
        assert not any(line in f.reason for f in failures for line in key_pem.splitlines()[1:-1])


def test_a_preview_of_an_unchanged_import_reads_nothing_from_aws_and_a_changed_one_reads_the_ca(provider, calls):
    """Pull-request previews: inputs unchanged since the last apply cost no AWS call (drift is refresh's job);
    a changed certificate is checked against the live CA again."""
    arn, cert = pca.pca_root()
    checked = provider.check({}, props(arn, cert)).inputs  # as the engine stores them after the apply
    create_ok(provider, props(arn, cert))
    calls.reset()
    again = provider.check(checked, props(arn, "\r\n" + cert.replace("\n", "\r\n")))  # only whitespace differs
    assert again.failures == [] and calls.get() == {}
    other = ca("Another Root")
    changed = provider.check(checked, props(arn, other.pem))
    assert "KEY001" in " ".join(f.reason for f in changed.failures)  # the live CSR was read: not its key
    assert calls.get().get("GetCertificateAuthorityCsr", 0) + calls.get().get("DescribeCertificateAuthority", 0) > 0


def test_a_refresh_that_finds_other_certificates_clears_the_kept_verdict(provider):
    """The verdict kept in state judges the certificates it names: a refresh that reads others in the CA clears it,
    and adopting what AWS holds as the declared certificate is then judged anew (its warnings, not the old ones)."""
    arn, csr = pca.create_ca("SUBORDINATE", "Verdict CA")
    declared = props(arn, pca.external_sign(csr, OFFLINE_INTER), chain(OFFLINE_INTER, OFFLINE_ROOT))
    checked = provider.check({}, declared).inputs
    outs = provider.create(checked).outs
    assert outs["verdict"]["validity"][0][1] == "certificate"
    assert provider.read(arn, outs).outs["verdict"] == outs["verdict"]  # the same certificates: kept
    other = pca.external_sign(csr, OFFLINE_INTER, days=10)
    pca.import_raw(arn, other, chain(OFFLINE_INTER, OFFLINE_ROOT))
    refreshed = provider.read(arn, outs)
    assert refreshed.outs["verdict"] is None and refreshed.inputs["verdict"] is None
    adopted = provider.check(refreshed.inputs, {**refreshed.inputs, "certificate": other})
    assert not adopted.failures
    ends = {location: end for _label, location, end in adopted.inputs["verdict"]["validity"]}
    assert ends["certificate"] != outs["verdict"]["validity"][0][2]  # the certificate AWS holds, judged now
