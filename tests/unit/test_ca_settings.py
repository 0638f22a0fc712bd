"""The CA resources check what they will ask Private CA for at preview: every mistake named with its fix."""
from __future__ import annotations

from pca_import.core.ca_settings import ca_problems, issue_problems
from pca_import.core.spec import ROOT_TEMPLATE, SUBORDINATE_TEMPLATES
from pca_import.core.x509build import make_csr, name, new_key, pem, sign_csr
from pca_import.resources.ca import IssuedCaCertificateProvider, PrivateCaProvider


def _fields(problems):
    return {f for f, _ in problems}


def test_a_snake_case_subject_key_is_named_with_the_key_to_use():
    problems = ca_problems("ROOT", "EC_prime256v1", {"common_name": "Root"})
    assert _fields(problems) == {"subject.common_name", "subject.commonName"}
    assert "use `commonName`" in dict(problems)["subject.common_name"]


def test_good_settings_have_no_problem():
    assert ca_problems("SUBORDINATE", "RSA_2048", {"commonName": "Sub", "country": "NO"}) == []
    assert issue_problems(SUBORDINATE_TEMPLATES[0], "SHA256WITHECDSA", 365, "EC_prime256v1") == []


def test_type_key_lengths_and_country_are_checked():
    problems = ca_problems("INTERMEDIATE", "EC_secp256k1", {"commonName": "x" * 65, "country": "N0"})
    assert _fields(problems) == {"ca_type", "key_algorithm", "subject.commonName", "subject.country"}


def test_issue_checks_template_signing_family_and_validity():
    problems = issue_problems("arn:aws:acm-pca:::template/EndEntityCertificate/V1", "SHA256WITHRSA", 0,
                              "EC_prime256v1")
    assert _fields(problems) == {"template_arn", "signing_algorithm", "validity_days"}
    assert issue_problems(validity_days=True) and issue_problems(validity_days=36501)


def test_the_ca_resource_fails_check_instead_of_a_keyerror_at_up():
    result = PrivateCaProvider().check({}, {"ca_type": "ROOT", "key_algorithm": "EC_prime256v1",
                                            "subject": {"common_name": "Root"}})
    assert {f.property for f in result.failures} == {""}  # a subject is not printed back
    assert any("subject.common_name" in f.reason and "commonName" in f.reason for f in result.failures)


def test_unknown_values_are_skipped_at_preview():
    from pulumi.output import Unknown
    result = PrivateCaProvider().check({}, {"ca_type": "ROOT", "key_algorithm": Unknown(), "subject": Unknown()})
    assert result.failures == []


def test_the_issued_certificate_checks_the_signing_algorithm_against_the_issuers_key():
    root_key = new_key("EC_secp384r1")
    root = sign_csr(make_csr(root_key, name("Root")), None, root_key, path_length=1, days=30)
    sub_csr = pem(make_csr(new_key("RSA_2048"), name("Sub")))
    news = {"issuer_arn": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x", "csr": sub_csr,
            "template_arn": SUBORDINATE_TEMPLATES[0], "signing_algorithm": "SHA256WITHRSA", "validity_days": 10,
            "issuer_chain": pem(root)}
    failures = IssuedCaCertificateProvider().check({}, news).failures
    assert [f.property for f in failures] == ["signing_algorithm"] and "EC_secp384r1" in failures[0].reason
    ok = IssuedCaCertificateProvider().check({}, {**news, "signing_algorithm": "SHA384WITHECDSA"}).failures
    assert ok == []
    root_self = {**news, "template_arn": ROOT_TEMPLATE, "issuer_chain": None, "signing_algorithm": "SHA256WITHECDSA"}
    assert [f.property for f in IssuedCaCertificateProvider().check({}, root_self).failures] == ["signing_algorithm"]
