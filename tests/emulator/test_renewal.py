"""Renewal: the pure decision and caps (renewal.py), the config (`renewBeforeDays`), and the issuing
providers' diff/update on the emulator with the clock moved by PCA_IMPORT_NOW."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

import pca
from pca_import.core.spec import SUBORDINATE_TEMPLATES
from pca_import.resources.ca import IssuedCaCertificateProvider
from pca_import.resources.hierarchy.program import HierarchyError, parse_hierarchy
from pca_import.resources.hierarchy.config import parse_renew_before_days
from pca_import.core.renewal import end_date_value, issuer_too_short, new_validity, renewal_due

UTC = dt.timezone.utc
NOW = dt.datetime(2030, 1, 1, tzinfo=UTC)


def _d(days: float) -> dt.datetime:
    return NOW + dt.timedelta(days=days)


# ---- the decision ----------------------------------------------------------------------------------

@pytest.mark.parametrize("left, window, due", [
    (91, 90, False), (90, 90, True), (10, 90, True), (-1, 90, True), (1, 0, False), (0, 0, True)])
def test_due_within_the_window_and_when_expired(left, window, due):
    assert renewal_due(_d(left), NOW, window).due is due


def test_the_reason_names_the_date_and_the_window():
    assert renewal_due(dt.datetime(2030, 3, 1, tzinfo=UTC), NOW, 90).reason == \
        "expires 2030-03-01, within renewBeforeDays 90"
    assert renewal_due(_d(-1), NOW, 90).reason == "expired 2029-12-31"
    assert renewal_due(None, NOW, 90).due is False


def test_validity_is_capped_at_the_issuer_and_says_so():
    v = new_validity(NOW, 1825, _d(100))
    assert v.capped and v.end == _d(100) and "capped at its issuer's expiry 2030-04-11" in v.describe()
    v = new_validity(NOW, 30, _d(100))
    assert not v.capped and v.end == _d(30)
    assert not new_validity(NOW, 36500, None).capped  # a root has no issuer above it


def test_a_renewal_the_issuer_cannot_outlive_is_not_made():
    assert issuer_too_short(NOW, _d(60), 90) and "AWS refuses a validity past the issuer" in \
        issuer_too_short(NOW, _d(60), 90)
    assert "expired" in issuer_too_short(NOW, _d(-1), 90)
    assert issuer_too_short(NOW, _d(91), 90) is None and issuer_too_short(NOW, None, 90) is None


def test_end_date_is_yyyymmddhhmmss_utc():
    assert end_date_value(dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)) == 20310203040506


# ---- the config -------------------------------------------------------------------------------------

ROOT = {"name": "root", "type": "ROOT"}


def test_renew_before_days_per_ca_and_hierarchy_wide():
    nodes = {n.name: n for n in parse_hierarchy([
        {**ROOT, "renewBeforeDays": 365}, {"name": "sub", "type": "SUBORDINATE", "parent": "root"}], 60)}
    assert nodes["root"].renew_before_days == 365 and nodes["sub"].renew_before_days == 60
    assert parse_hierarchy([ROOT])[0].renew_before_days == 30


def test_a_window_not_shorter_than_the_validity_is_a_config_error():
    with pytest.raises(HierarchyError) as info:
        parse_hierarchy([ROOT, {"name": "sub", "type": "SUBORDINATE", "parent": "root", "validityDays": 90,
                                "renewBeforeDays": 90}])
    assert info.value.problems == [
        "pca-import:hierarchy[1] (sub).renewBeforeDays: renewBeforeDays 90 is not shorter than validityDays 90: "
        "every certificate would be due at once (a renewal at every `up`): use fewer days than the validity, "
        "e.g. `renewBeforeDays: 9`"]
    with pytest.raises(HierarchyError, match=r"\(default\) 400 is not shorter than validityDays 365"):
        parse_hierarchy([{**ROOT, "validityDays": 365}], 400)


def test_a_child_with_a_larger_window_than_its_parent_is_told_it_will_wait():
    from pca_import.resources.hierarchy.config import renewal_hints
    nodes = parse_hierarchy([{**ROOT, "renewBeforeDays": 30},
                             {"name": "policy", "type": "SUBORDINATE", "parent": "root", "renewBeforeDays": 60},
                             {"name": "issuing", "type": "SUBORDINATE", "parent": "policy"}])
    assert renewal_hints(nodes) == [
        "pca-import:hierarchy (policy).renewBeforeDays: 60 is larger than its parent root's 30: once its certificate "
        "ends with root's, it falls due before root does and waits for root to renew first; give root at least "
        "renewBeforeDays: 60 to renew both in time"]
    assert renewal_hints(parse_hierarchy([ROOT, {"name": "sub", "type": "SUBORDINATE", "parent": "root"}])) == []


@pytest.mark.parametrize("raw", ["abc", -1, True, 40000])
def test_hierarchy_wide_default_is_checked(raw):
    with pytest.raises(HierarchyError, match="pca-import:renewBeforeDays"):
        parse_renew_before_days(raw)


def test_hierarchy_wide_default_from_pulumi_config_text():
    assert parse_renew_before_days("90") == 90 and parse_renew_before_days(None) == 30


# ---- the provider on the emulator --------------------------------------------------------------------

def _not_after(pem_text: str) -> dt.datetime:
    return x509.load_pem_x509_certificate(pem_text.encode()).not_valid_after_utc


@pytest.fixture
def parent(emulator_url):
    """An ACTIVE Private CA root (10 years) and a subordinate CA waiting for its certificate."""
    root_arn, root_cert = pca.pca_root("Renewal Root")
    pca.import_raw(root_arn, root_cert)
    sub_arn, sub_csr = pca.create_ca("SUBORDINATE", "Renewal Sub")
    return root_arn, root_cert, sub_arn, sub_csr


def _props(root_arn, root_cert, sub_csr, days=1825, rbd=90):
    return {"issuer_arn": root_arn, "csr": sub_csr, "template_arn": SUBORDINATE_TEMPLATES[0],
            "signing_algorithm": "SHA256WITHECDSA", "validity_days": days, "renew_before_days": rbd,
            "issuer_chain": root_cert, "ca_name": "sub"}


def test_create_caps_at_the_issuer_and_aws_accepts_it(parent, calls):
    root_arn, root_cert, _, csr = parent
    outs = IssuedCaCertificateProvider().create(_props(root_arn, root_cert, csr, days=36500)).outs
    assert _not_after(outs["certificate"]) == _not_after(root_cert)
    assert calls.get()["IssueCertificate"] == 1


def test_not_due_no_change_due_renews_in_place_same_key(parent, monkeypatch, capsys):
    root_arn, root_cert, _, csr = parent
    p = IssuedCaCertificateProvider()
    props = _props(root_arn, root_cert, csr, days=365)
    olds = p.create(props).outs
    assert not p.diff("id", olds, props).changes
    end = _not_after(olds["certificate"])
    monkeypatch.setenv("PCA_IMPORT_NOW", (end - dt.timedelta(days=30)).isoformat())
    d = p.diff("id", olds, props)
    assert d.changes and not d.replaces  # an update, never a replace
    assert f"sub: renews: expires {end.date()}, within renewBeforeDays 90; validity 365 days" in capsys.readouterr().err
    news = p.update("id", olds, props).outs
    new_cert = x509.load_pem_x509_certificate(news["certificate"].encode())
    old_cert = x509.load_pem_x509_certificate(olds["certificate"].encode())
    assert new_cert.serial_number != old_cert.serial_number
    assert new_cert.public_key() == old_cert.public_key()
    assert new_cert.not_valid_after_utc > end
    assert not p.diff("id", news, props).changes  # a second up: nothing


def test_chain_follows_the_issuer_without_a_new_issuance(parent, calls):
    root_arn, root_cert, _, csr = parent
    p = IssuedCaCertificateProvider()
    props = _props(root_arn, root_cert, csr)
    olds = p.create(props).outs
    renewed_root, _ = pca.issue(root_arn, pca.client().get_certificate_authority_csr(
        CertificateAuthorityArn=root_arn)["Csr"], pca.ROOT_TEMPLATE, days=3650)
    news_in = {**props, "issuer_chain": renewed_root}
    d = p.diff("id", olds, news_in)
    assert d.changes and not d.replaces
    calls.reset()
    news = p.update("id", olds, news_in).outs
    assert news["certificate"] == olds["certificate"] and news["certificate_chain"] == renewed_root
    assert calls.get().get("IssueCertificate", 0) == 0


def test_due_but_the_issuer_ends_first_is_reported_and_not_renewed(parent, monkeypatch, capsys):
    root_arn, root_cert, _, csr = parent
    p = IssuedCaCertificateProvider()
    props = _props(root_arn, root_cert, csr, days=36500, rbd=120)  # capped at the root's end
    olds = p.create(props).outs
    monkeypatch.setenv("PCA_IMPORT_NOW", (_not_after(root_cert) - dt.timedelta(days=100)).isoformat())
    d = p.diff("id", olds, props)
    assert not d.changes
    err = capsys.readouterr().err
    assert "sub: due (expires" in err and "but not renewed" in err and "AWS refuses a validity past the issuer" in err


def test_a_certificate_issued_before_renewal_existed_updates_once_without_a_call(parent, calls):
    """State written by an older pca-import has no renew_before_days, issuer_chain or ca_name: the first up
    records them (an update, no issuance), the next one shows nothing."""
    root_arn, root_cert, _, csr = parent
    p = IssuedCaCertificateProvider()
    props = _props(root_arn, root_cert, csr)
    olds = {k: v for k, v in p.create(props).outs.items() if k not in ("renew_before_days", "issuer_chain", "ca_name")}
    d = p.diff("id", olds, props)
    assert d.changes and not d.replaces
    calls.reset()
    news = p.update("id", olds, props).outs
    assert news["certificate"] == olds["certificate"] and calls.get() == {}
    assert not p.diff("id", news, props).changes


def test_a_new_certificate_under_an_existing_issuer_says_it_is_capped(parent, capsys):
    root_arn, root_cert, _, csr = parent
    IssuedCaCertificateProvider().check({}, _props(root_arn, root_cert, csr, days=36500))
    assert f"sub: validity 36500 days capped at its issuer's expiry {_not_after(root_cert).date()}" in \
        capsys.readouterr().err
