"""The local Private CA behaves like AWS where pca-import depends on it (over HTTP, through boto3)."""
from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import pca
from certfactory import ca, chain

SUB1 = "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen1/V1"
OFFLINE = ca("Emulator Offline Root")


def _code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


@pytest.mark.parametrize("algorithm, key_type, size", [
    ("RSA_3072", rsa.RSAPublicKey, 3072), ("EC_secp384r1", ec.EllipticCurvePublicKey, 384)])
def test_ca_keys_follow_key_algorithm_and_the_csr_is_stable(emulator_url, algorithm, key_type, size):
    arn, csr = pca.create_ca("ROOT", f"Key {algorithm}", algorithm)
    key = x509.load_pem_x509_csr(csr.encode()).public_key()
    assert isinstance(key, key_type) and key.key_size == size
    again = pca.client().get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    assert again == csr


def test_templates_make_real_ca_certificates_honouring_validity_and_signing_algorithm(emulator_url):
    parent_arn, parent_cert = pca.pca_root("Template Root", "EC_secp384r1")
    pca.import_raw(parent_arn, parent_cert)
    root = x509.load_pem_x509_certificate(parent_cert.encode())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length is None
    arn, csr = pca.create_ca("SUBORDINATE", "Template Sub")
    c = pca.client()
    cert_arn = c.issue_certificate(CertificateAuthorityArn=parent_arn, Csr=csr.encode(), TemplateArn=SUB1,
                                   SigningAlgorithm="SHA384WITHECDSA",
                                   Validity={"Type": "DAYS", "Value": 42})["CertificateArn"]
    got = c.get_certificate(CertificateAuthorityArn=parent_arn, CertificateArn=cert_arn)
    cert = x509.load_pem_x509_certificate(got["Certificate"].encode())
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert bc.critical and bc.value.ca and bc.value.path_length == 1
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)
    days = (cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)).days
    assert 41 <= days <= 42
    assert got["CertificateChain"].strip() == parent_cert.strip()
    assert "CertificateChain" not in c.get_certificate_authority_certificate(CertificateAuthorityArn=parent_arn)


def test_server_side_import_rules_use_aws_exception_names(emulator_url):
    c = pca.client()
    arn, csr = pca.create_ca("SUBORDINATE", "Strict CA")
    other_csr = pca.create_ca("SUBORDINATE", "Strict CA")[1]
    with pytest.raises(ClientError) as e:
        pca.import_raw(arn, pca.external_sign(other_csr, OFFLINE), OFFLINE.pem)
    assert _code(e) == "CertificateMismatchException"
    with pytest.raises(ClientError) as e:
        pca.import_raw(arn, pca.external_sign(csr, OFFLINE), chain(OFFLINE, OFFLINE))
    assert _code(e) == "CertificateMismatchException"
    with pytest.raises(ClientError) as e:
        pca.import_raw(arn, "x" * 40000)
    assert _code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:  # a subordinate template from a CA that is not ACTIVE
        c.issue_certificate(CertificateAuthorityArn=arn, Csr=other_csr.encode(), TemplateArn=SUB1,
                            SigningAlgorithm="SHA256WITHECDSA", Validity={"Type": "DAYS", "Value": 1})
    assert _code(e) == "InvalidStateException"
    pca.import_raw(arn, pca.external_sign(csr, OFFLINE), OFFLINE.pem)
    c.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    c.delete_certificate_authority(CertificateAuthorityArn=arn)
    with pytest.raises(ClientError) as e:
        pca.import_raw(arn, pca.external_sign(csr, OFFLINE), OFFLINE.pem)
    assert _code(e) == "InvalidStateException"


def test_an_active_ca_must_be_disabled_before_deletion(emulator_url):
    arn, cert = pca.pca_root("Undeletable Root")
    pca.import_raw(arn, cert)
    with pytest.raises(ClientError) as e:
        pca.client().delete_certificate_authority(CertificateAuthorityArn=arn)
    assert _code(e) == "InvalidStateException"
