"""A no-change preview: what was judged at the last successful apply is not judged again, unless time changed the
verdict — and the provider then never loads cryptography (the reason a pull-request preview of a large hierarchy
costs little more than trivial resources of the same shape)."""
from __future__ import annotations

import datetime as dt

import pytest
from certfactory import ca, chain, csr_for

from pca_import.core.pem import validity_periods
from pca_import.core.spec import ROOT_TEMPLATE
from pca_import.provider import CaCertificateImportProvider

ARN = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"
UTC = dt.timezone.utc


@pytest.mark.parametrize("not_before, not_after", [
    (dt.datetime(2020, 1, 2, 3, 4, 5), dt.datetime(2049, 12, 31, 23, 59, 59)),  # UTCTime both
    (dt.datetime(2025, 6, 1), dt.datetime(2050, 1, 1)),  # GeneralizedTime from 2050 (RFC 5280 4.1.2.5)
    (dt.datetime(1950, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)),  # the edges of both forms
])
def test_validity_read_from_the_der_is_what_cryptography_reads(not_before, not_after):
    root = ca(f"Validity {not_after.year}", not_before=not_before, not_after=not_after)
    sub = ca("Validity Sub", root, not_before=not_before + dt.timedelta(days=1), not_after=not_after)
    assert validity_periods(chain(sub, root)) == [(c.cert.not_valid_before_utc, c.cert.not_valid_after_utc)
                                                  for c in (sub, root)]


@pytest.mark.parametrize("text", [
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",  # not a certificate's layout
    "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",  # not base64
])
def test_validity_of_what_is_no_certificate_is_left_to_the_full_parser(text):
    assert validity_periods(text) is None


def _checked(provider, news: dict) -> dict:
    result = provider.check({}, news)
    assert not result.failures, [f.reason for f in result.failures]
    return result.inputs


def _applied(sub, root) -> tuple[CaCertificateImportProvider, dict]:
    """A provider that previews offline, and the inputs a successful apply of `sub` under `root` left in state."""
    provider = CaCertificateImportProvider()
    provider._live_checks = False
    return provider, _checked(provider, {"certificate_authority_arn": ARN, "certificate": sub.pem,
                                         "certificate_chain": root.pem})


def test_an_unchanged_import_is_not_judged_again_but_a_changed_one_is(monkeypatch):
    root = ca("Unchanged Root")
    sub = ca("Unchanged Sub", root)
    provider, state = _applied(sub, root)
    import pca_import.core.validate as validate

    def judged(*_a, **_k):
        raise AssertionError("the rule engine ran for inputs judged at the last apply")
    monkeypatch.setattr(validate, "validate_import", judged)
    same = provider.check(state, {**state, "certificate": "\n" + sub.pem.replace("\n", "\r\n")})  # layout only
    assert not same.failures
    assert same.inputs["certificate"] == state["certificate"]  # the state keeps the canonical PEM it had
    other = ca("Another Sub", root)
    with pytest.raises(AssertionError, match="rule engine ran"):
        provider.check(state, {**state, "certificate": other.pem})


def test_an_unchanged_import_that_has_expired_since_is_judged_again(monkeypatch):
    root = ca("Expiring Root", days=400)
    sub = ca("Expiring Sub", root, days=30)
    provider, state = _applied(sub, root)
    monkeypatch.setenv("PCA_IMPORT_NOW", (dt.datetime.now(UTC) + dt.timedelta(days=60)).isoformat())
    result = provider.check(state, dict(state))
    assert any("[VAL001]" in f.reason for f in result.failures), [f.reason for f in result.failures]


def test_a_new_root_issue_is_still_checked_against_its_key(tmp_path):
    """The issued certificate's check skips only inputs it judged before: a signing algorithm of the wrong key
    family for a new certificate is still refused at preview."""
    from pca_import.ca_resources import IssuedCaCertificateProvider
    csr = csr_for("Family Root", "Family Root")  # an EC key
    news = {"issuer_arn": ARN, "csr": csr, "template_arn": ROOT_TEMPLATE, "signing_algorithm": "SHA256WITHRSA",
            "validity_days": 365}
    assert IssuedCaCertificateProvider().check({}, news).failures
    olds = {**news, "signing_algorithm": "SHA256WITHECDSA"}
    assert IssuedCaCertificateProvider().check(olds, news).failures  # changed since: judged again


@pytest.mark.parametrize("extra", ["key", "text", "der-block"])
def test_an_unchanged_certificate_with_something_added_is_judged_in_full(extra, monkeypatch):
    """The canonical comparison sees only the certificates: a key, text or any other block added to the same
    certificates is judged in full (a key appended to an input is ENC004, never kept in state)."""
    from certfactory import private_key_pem
    root = ca("Appended Root")
    sub = ca("Appended Sub", root)
    provider, state = _applied(sub, root)
    added = {"key": private_key_pem("Appended Sub"), "text": "issued by the ceremony of 2026-12-01\n",
             "der-block": "-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n"}[extra]
    import pca_import.core.validate as validate
    runs = []
    real = validate.validate_import
    monkeypatch.setattr(validate, "validate_import", lambda *a, **k: runs.append(1) or real(*a, **k))
    for where in ("certificate", "certificate_chain"):
        before = len(runs)
        result = provider.check(state, {**state, where: state[where] + added})
        assert len(runs) == before + 1  # the rule engine ran
        codes = " ".join(f.reason for f in result.failures)
        if extra == "key":
            assert "[ENC004]" in codes
        elif extra == "der-block":
            assert "[ENC00" in codes
        else:  # text outside the blocks is a notice, not a failure; the state keeps the canonical PEM
            assert not result.failures and result.inputs[where] == state[where]


def test_a_certificate_whose_validity_is_no_date_is_left_to_the_full_parser():
    """Month 13 in notAfter (the same length, so the DER stays well formed): not read as some other date."""
    from pca_import.core.pem import der_to_pem
    good = ca("Month Root", not_before=dt.datetime(2020, 1, 1), not_after=dt.datetime(2040, 1, 1))
    bad = good.der.replace(b"400101000000Z", b"401301000000Z", 1)
    assert bad != good.der
    assert validity_periods(der_to_pem(bad)) is None
    assert validity_periods(good.pem) == [(good.cert.not_valid_before_utc, good.cert.not_valid_after_utc)]


def test_an_unchanged_import_keeps_only_canonical_pem_in_state_even_from_an_older_state():
    """A state written by an older version kept the raw input (here a chain with a key pasted after it): the same
    certificates, now given clean, are stored as their canonical PEM — the key does not stay in state."""
    from certfactory import private_key_pem
    root = ca("Legacy Root")
    sub = ca("Legacy Sub", root)
    provider, state = _applied(sub, root)
    clean = dict(state)
    legacy = {**state, "certificate_chain": root.pem + private_key_pem("Legacy Root")}
    result = provider.check(legacy, clean)
    assert not result.failures
    assert "PRIVATE KEY" not in result.inputs["certificate_chain"]
    assert result.inputs["certificate_chain"] == state["certificate_chain"]


@pytest.mark.parametrize("parent_urn, expected", [
    (None, "urn:pulumi:dev::proj::pulumi-python:dynamic:Resource::r"),
    ("urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev",  # the stack given as parent: left out, as the engine does
     "urn:pulumi:dev::proj::pulumi-python:dynamic:Resource::r"),
    ("urn:pulumi:dev::proj::pca-import:index:PkiHierarchy::pki",
     "urn:pulumi:dev::proj::pca-import:index:PkiHierarchy$pulumi-python:dynamic:Resource::r"),
    ("urn:pulumi:dev::proj::acme:x:Outer$pca-import:index:PkiHierarchy::pki",
     "urn:pulumi:dev::proj::acme:x:Outer$pca-import:index:PkiHierarchy$pulumi-python:dynamic:Resource::r"),
])
def test_the_old_urn_an_alias_names(parent_urn, expected):
    from pca_import.resources.types import legacy_urn
    assert legacy_urn("r", parent_urn, "dev", "proj") == expected


def test_an_unchanged_import_without_a_kept_verdict_is_judged_and_gets_one(monkeypatch):
    """A state made before verdicts were kept (or one a refresh cleared): the same inputs are judged once more, so
    the next state has a verdict the program can show warnings from."""
    root = ca("Verdictless Root")
    sub = ca("Verdictless Sub", root)
    provider, state = _applied(sub, root)
    old = {k: v for k, v in state.items() if k != "verdict"}
    result = provider.check(old, dict(old))
    assert not result.failures and [e[1] for e in result.inputs["verdict"]["validity"]] == ["certificate", "chain[0]"]


@pytest.mark.parametrize("verdict", [None, "text", {"validity": []}, {"findings": [{"code": "X"}], "validity": []},
                                     {"findings": [], "validity": [["label", "certificate", "no date"]]}])
def test_what_is_not_a_kept_verdict_makes_the_program_judge_again(verdict):
    from pca_import.resources.resource import _from_verdict
    assert _from_verdict("imp", verdict, 30) is None
