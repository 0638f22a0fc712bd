"""Small dynamic resources on boto3 for where the pulumi-aws plugin cannot run (offline, air-gapped, the
local emulator): a Private CA and a CA certificate issued by a Private CA parent.

Against real AWS with the plugin available, the hierarchy uses pulumi-aws (`aws.acmpca.CertificateAuthority`,
`aws.acmpca.Certificate`) instead; see `hierarchy.py`.
"""
from __future__ import annotations

from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource

from .aws import AwsError, translate
from .provider import AwsProvider
from .signing import AWS_SUBJECT_KEYS

TEMPLATE_ROOT = "arn:aws:acm-pca:::template/RootCACertificate/V1"


def subordinate_template(path_length: int) -> str:
    return f"arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen{path_length}/V1"


def signing_algorithm_for(key_algorithm: str) -> str:
    """The SigningAlgorithm a CA with this key signs with (AWS refuses one of another key family)."""
    if key_algorithm.startswith("ML_DSA_"):
        return key_algorithm  # ML_DSA_44/65/87 sign only with their own parameter set
    if key_algorithm.startswith("EC_"):
        return "SHA384WITHECDSA" if key_algorithm in ("EC_secp384r1", "EC_secp521r1") else "SHA256WITHECDSA"
    return "SHA256WITHRSA"


class PrivateCaProvider(AwsProvider):
    """CreateCertificateAuthority / DescribeCertificateAuthority / disable + DeleteCertificateAuthority."""

    def diff(self, _id, olds, news):
        keys = ("ca_type", "key_algorithm", "subject")
        replaces = [k for k in keys if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def create(self, props):
        pca = self._pca()
        client = pca.client()
        subject = {AWS_SUBJECT_KEYS[k]: v for k, v in (props.get("subject") or {}).items()}
        try:
            arn = client.create_certificate_authority(
                CertificateAuthorityConfiguration={"KeyAlgorithm": props["key_algorithm"],
                                                   "SigningAlgorithm": signing_algorithm_for(props["key_algorithm"]),
                                                   "Subject": subject},
                CertificateAuthorityType=props["ca_type"],
                Tags=[{"Key": "managed-by", "Value": "pca-import"}])["CertificateAuthorityArn"]
            client.get_waiter("certificate_authority_csr_created").wait(
                CertificateAuthorityArn=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
        except Exception as exc:  # an ActionableError: the provider host shows its message, no traceback
            raise translate(exc, f"(new {props['ca_type']} CA)", "CreateCertificateAuthority", pca.settings) from None
        return CreateResult(id_=arn, outs={**props, "arn": arn, "csr": csr})

    def read(self, id_, props):
        try:
            ca = self._pca().describe(id_)
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return ReadResult(id_="", outs={})
            raise
        if ca["status"] == "DELETED":
            return ReadResult(id_="", outs={})
        return ReadResult(id_=id_, outs=props)

    def delete(self, id_, props):
        pca = self._pca()
        try:
            if pca.disable(id_) == "gone":
                return
            client = pca.client()
            ca = pca.describe(id_, client)
            if ca["status"] != "DELETED":
                client.delete_certificate_authority(CertificateAuthorityArn=id_, PermanentDeletionTimeInDays=7)
        except Exception as exc:
            raise translate(exc, id_, "DeleteCertificateAuthority", pca.settings) from None


class PrivateCertificateAuthority(Resource):
    """A Private CA created with boto3. Outputs: arn, csr (its CSR, PEM)."""

    arn: pulumi.Output[str]
    csr: pulumi.Output[str]

    def __init__(self, name: str, *, ca_type: str, key_algorithm: str, subject: dict,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(PrivateCaProvider(), name, {"ca_type": ca_type, "key_algorithm": key_algorithm,
                                                     "subject": subject, "arn": None, "csr": None}, opts)


class IssuedCaCertificateProvider(AwsProvider):
    """IssueCertificate with a CA template, then GetCertificate (waiting until it is issued)."""

    def diff(self, _id, olds, news):
        keys = ("issuer_arn", "csr", "template_arn", "signing_algorithm", "validity_days")
        replaces = [k for k in keys if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def create(self, props):
        pca = self._pca()
        client = pca.client()
        issuer = props["issuer_arn"]
        try:
            cert_arn = client.issue_certificate(
                CertificateAuthorityArn=issuer, Csr=props["csr"].encode(), TemplateArn=props["template_arn"],
                SigningAlgorithm=props["signing_algorithm"],
                Validity={"Type": "DAYS", "Value": int(props["validity_days"])})["CertificateArn"]
            client.get_waiter("certificate_issued").wait(CertificateAuthorityArn=issuer, CertificateArn=cert_arn,
                                                         WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            got = client.get_certificate(CertificateAuthorityArn=issuer, CertificateArn=cert_arn)
        except Exception as exc:
            raise translate(exc, issuer, "IssueCertificate", pca.settings) from None
        outs = {**props, "certificate_arn": cert_arn, "certificate": got["Certificate"],
                "certificate_chain": got.get("CertificateChain")}
        return CreateResult(id_=cert_arn, outs=outs)

    def delete(self, id_, props):
        pass  # an issued certificate cannot be un-issued; it is superseded by the next one


class IssuedCaCertificate(Resource):
    """A CA certificate issued by a Private CA parent (or by a root for itself) from a CA's CSR."""

    certificate: pulumi.Output[str]
    certificate_chain: pulumi.Output[Optional[str]]
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, *, issuer_arn, csr, template_arn: str, signing_algorithm: str,
                 validity_days: int, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(IssuedCaCertificateProvider(), name, {
            "issuer_arn": issuer_arn, "csr": csr, "template_arn": template_arn,
            "signing_algorithm": signing_algorithm, "validity_days": validity_days,
            "certificate": None, "certificate_chain": None, "certificate_arn": None}, opts)
