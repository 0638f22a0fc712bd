"""Helpers that drive the emulator through boto3, as a person would drive AWS."""
from __future__ import annotations

import boto3
from cryptography import x509

from pca_import.core.spec import default_signing_algorithm
from pca_import.core.x509build import pem, sign_csr

ROOT_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"


def client():
    return boto3.client("acm-pca")


def create_ca(ca_type: str, cn: str, key_algorithm: str = "EC_prime256v1") -> tuple[str, str]:
    c = client()
    signing = default_signing_algorithm(key_algorithm)
    arn = c.create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": key_algorithm, "SigningAlgorithm": signing,
                                           "Subject": {"CommonName": cn}},
        CertificateAuthorityType=ca_type)["CertificateAuthorityArn"]
    return arn, c.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]


def issue(issuer_arn: str, csr: str, template: str, days: int = 1825,
          issuer_key_algorithm: str = "EC_prime256v1") -> tuple[str, str | None]:
    c = client()
    signing = default_signing_algorithm(issuer_key_algorithm)  # the issuer's key family, as AWS requires
    cert_arn = c.issue_certificate(CertificateAuthorityArn=issuer_arn, Csr=csr.encode(), SigningAlgorithm=signing,
                                   TemplateArn=template, Validity={"Type": "DAYS", "Value": days})["CertificateArn"]
    got = c.get_certificate(CertificateAuthorityArn=issuer_arn, CertificateArn=cert_arn)
    return got["Certificate"], got.get("CertificateChain")


def pca_root(cn: str = "PCA Root", key_algorithm: str = "EC_prime256v1") -> tuple[str, str]:
    """A ROOT CA hosted by the emulator, with its self-signed certificate (not yet imported)."""
    arn, csr = create_ca("ROOT", cn, key_algorithm)
    cert, _ = issue(arn, csr, ROOT_TEMPLATE, days=3650, issuer_key_algorithm=key_algorithm)
    return arn, cert


def import_raw(arn: str, cert: str, chain: str | None = None) -> None:
    kwargs = {"CertificateAuthorityArn": arn, "Certificate": cert.encode()}
    if chain:
        kwargs["CertificateChain"] = chain.encode()
    client().import_certificate_authority_certificate(**kwargs)


def status(arn: str) -> str:
    return client().describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]["Status"]


def external_sign(csr_pem: str, issuer, days: int = 3650, path_length=None) -> str:
    """Sign a PCA CSR with an offline CA (a certfactory.CA)."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    return pem(sign_csr(csr, issuer.cert, issuer.key, days=days, path_length=path_length))
