"""The local Private CA behaves like AWS where pca-import depends on it (over HTTP, through boto3)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

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


# ---- malformed requests: AWS-shaped JSON errors (HTTP 400, `__type`, `message`), never an HTML 500 --------

AWS_JSON = "application/x-amz-json-1.1"
ARN_PATTERN_FAIL = "not-an-arn"
GOOD_ARN = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000"
VALIDITY = {"Type": "DAYS", "Value": 30}


def raw_call(url: str, action: str, body) -> tuple[int, str, dict | str]:
    """POST one ACM PCA action as AWS's JSON protocol does; `body` is a dict (sent as JSON) or raw text."""
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(url + "/", data=data, method="POST", headers={
        "X-Amz-Target": f"ACMPrivateCA.{action}", "Content-Type": AWS_JSON,
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/acm-pca/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        resp = urllib.request.urlopen(req, timeout=30)
        status, ctype, text = resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
    except urllib.error.HTTPError as exc:
        status, ctype, text = exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()
    try:
        return status, ctype, json.loads(text)
    except ValueError:
        return status, ctype, text


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


class Ctx:
    """CAs the malformed requests are aimed at (created once over HTTP)."""

    def __init__(self):
        self.rsa_arn, rsa_cert = pca.pca_root("Malformed RSA Root", "RSA_2048")
        pca.import_raw(self.rsa_arn, rsa_cert)
        self.ec_arn, self.ec_csr = pca.create_ca("SUBORDINATE", "Malformed EC Sub")
        self.csr_b64 = _b64(self.ec_csr)


def _issue(ctx, **over):
    body = {"CertificateAuthorityArn": ctx.rsa_arn, "Csr": ctx.csr_b64, "SigningAlgorithm": "SHA256WITHRSA",
            "TemplateArn": SUB1, "Validity": VALIDITY}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def _create(**over):
    cfg = {"KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA", "Subject": {"CommonName": "M"}}
    cfg.update(over.pop("cfg", {}))
    body = {"CertificateAuthorityConfiguration": {k: v for k, v in cfg.items() if v is not None},
            "CertificateAuthorityType": "ROOT"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


# (id, action, body or body(ctx), the exception AWS answers with)
MALFORMED = [
    # bodies that are not a JSON object
    *[(f"non-json-{a}", a, "{not json", "SerializationException") for a in (
        "CreateCertificateAuthority", "DescribeCertificateAuthority", "GetCertificateAuthorityCsr",
        "GetCertificateAuthorityCertificate", "ImportCertificateAuthorityCertificate", "IssueCertificate",
        "GetCertificate", "UpdateCertificateAuthority", "DeleteCertificateAuthority", "ListTags",
        "TagCertificateAuthority")],
    ("json-array-body", "DescribeCertificateAuthority", "[1, 2]", "SerializationException"),
    ("empty-body", "DescribeCertificateAuthority", "", "ValidationException"),
    # missing required parameters
    ("describe-no-arn", "DescribeCertificateAuthority", {}, "ValidationException"),
    ("csr-no-arn", "GetCertificateAuthorityCsr", {}, "ValidationException"),
    ("ca-cert-no-arn", "GetCertificateAuthorityCertificate", {}, "ValidationException"),
    ("import-no-arn", "ImportCertificateAuthorityCertificate", {"Certificate": _b64("x")}, "ValidationException"),
    ("import-no-certificate", "ImportCertificateAuthorityCertificate", lambda c: {"CertificateAuthorityArn": c.ec_arn},
     "ValidationException"),
    ("issue-no-csr", "IssueCertificate", lambda c: _issue(c, Csr=None), "ValidationException"),
    ("issue-no-validity", "IssueCertificate", lambda c: _issue(c, Validity=None), "ValidationException"),
    ("issue-no-signing-algorithm", "IssueCertificate", lambda c: _issue(c, SigningAlgorithm=None),
     "ValidationException"),
    ("issue-no-arn", "IssueCertificate", lambda c: _issue(c, CertificateAuthorityArn=None), "ValidationException"),
    ("get-cert-no-cert-arn", "GetCertificate", lambda c: {"CertificateAuthorityArn": c.rsa_arn},
     "ValidationException"),
    ("create-no-config", "CreateCertificateAuthority", {"CertificateAuthorityType": "ROOT"}, "ValidationException"),
    ("create-no-subject", "CreateCertificateAuthority", _create(cfg={"Subject": None}), "ValidationException"),
    ("create-no-type", "CreateCertificateAuthority", _create(CertificateAuthorityType=None), "ValidationException"),
    ("update-no-arn", "UpdateCertificateAuthority", {"Status": "DISABLED"}, "ValidationException"),
    ("delete-no-arn", "DeleteCertificateAuthority", {}, "ValidationException"),
    ("tag-no-tags", "TagCertificateAuthority", lambda c: {"CertificateAuthorityArn": c.ec_arn}, "ValidationException"),
    # wrong JSON types
    ("arn-is-a-number", "DescribeCertificateAuthority", {"CertificateAuthorityArn": 42}, "SerializationException"),
    ("csr-is-a-number", "IssueCertificate", lambda c: _issue(c, Csr=7), "SerializationException"),
    ("certificate-is-an-object", "ImportCertificateAuthorityCertificate",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Certificate": {"pem": "x"}}, "SerializationException"),
    ("validity-is-a-string", "IssueCertificate", lambda c: _issue(c, Validity="30 days"), "SerializationException"),
    ("validity-value-is-a-string", "IssueCertificate", lambda c: _issue(c, Validity={"Type": "DAYS", "Value": "30"}),
     "SerializationException"),
    ("validity-value-is-a-float", "IssueCertificate", lambda c: _issue(c, Validity={"Type": "DAYS", "Value": 1.5}),
     "SerializationException"),
    ("subject-is-a-list", "CreateCertificateAuthority", _create(cfg={"Subject": ["CN=x"]}), "SerializationException"),
    ("tags-is-an-object", "TagCertificateAuthority",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Tags": {"Key": "a"}}, "SerializationException"),
    ("status-is-a-bool", "UpdateCertificateAuthority", lambda c: {"CertificateAuthorityArn": c.ec_arn, "Status": True},
     "SerializationException"),
    # blobs that are not base64
    ("certificate-not-base64", "ImportCertificateAuthorityCertificate",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Certificate": "-----BEGIN CERT!!"}, "SerializationException"),
    ("chain-not-base64", "ImportCertificateAuthorityCertificate",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Certificate": _b64("x"), "CertificateChain": "%%%"},
     "SerializationException"),
    ("csr-not-base64", "IssueCertificate", lambda c: _issue(c, Csr="not base64!"), "SerializationException"),
    # blobs that decode but are not what they should be
    ("csr-not-a-csr", "IssueCertificate", lambda c: _issue(c, Csr=_b64("hello")), "MalformedCSRException"),
    ("csr-empty", "IssueCertificate", lambda c: _issue(c, Csr=""), "ValidationException"),
    ("csr-bad-pem", "IssueCertificate",
     lambda c: _issue(c, Csr=_b64("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")),
     "MalformedCSRException"),
    ("certificate-empty", "ImportCertificateAuthorityCertificate",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Certificate": ""}, "ValidationException"),
    # algorithms
    ("issue-md5", "IssueCertificate", lambda c: _issue(c, SigningAlgorithm="MD5WITHRSA"), "ValidationException"),
    ("issue-ecdsa-on-rsa-ca", "IssueCertificate", lambda c: _issue(c, SigningAlgorithm="SHA256WITHECDSA"),
     "InvalidArgsException"),
    ("issue-ml-dsa-on-rsa-ca", "IssueCertificate", lambda c: _issue(c, SigningAlgorithm="ML_DSA_65"),
     "InvalidArgsException"),
    ("create-unknown-key", "CreateCertificateAuthority", _create(cfg={"KeyAlgorithm": "RSA_1024"}),
     "ValidationException"),
    ("create-md5", "CreateCertificateAuthority", _create(cfg={"SigningAlgorithm": "MD5WITHRSA"}),
     "ValidationException"),
    ("create-rsa-signing-on-ec-key", "CreateCertificateAuthority", _create(cfg={"SigningAlgorithm": "SHA256WITHRSA"}),
     "InvalidArgsException"),
    ("create-unknown-type", "CreateCertificateAuthority", _create(CertificateAuthorityType="INTERMEDIATE"),
     "ValidationException"),
    # validity
    ("validity-unknown-type", "IssueCertificate", lambda c: _issue(c, Validity={"Type": "WEEKS", "Value": 2}),
     "ValidationException"),
    ("validity-zero", "IssueCertificate", lambda c: _issue(c, Validity={"Type": "DAYS", "Value": 0}),
     "ValidationException"),
    ("validity-negative", "IssueCertificate", lambda c: _issue(c, Validity={"Type": "DAYS", "Value": -5}),
     "ValidationException"),
    ("validity-overflow", "IssueCertificate", lambda c: _issue(c, Validity={"Type": "YEARS", "Value": 10 ** 12}),
     "ValidationException"),
    ("validity-end-date-garbage", "IssueCertificate",
     lambda c: _issue(c, Validity={"Type": "END_DATE", "Value": 20261399999999}), "ValidationException"),
    ("validity-end-date-past", "IssueCertificate",
     lambda c: _issue(c, Validity={"Type": "END_DATE", "Value": 20200101000000}), "ValidationException"),
    ("validity-absolute-past", "IssueCertificate",
     lambda c: _issue(c, Validity={"Type": "ABSOLUTE", "Value": 1000}), "ValidationException"),
    # ARNs
    ("describe-bad-arn", "DescribeCertificateAuthority", {"CertificateAuthorityArn": ARN_PATTERN_FAIL},
     "InvalidArnException"),
    ("describe-arn-too-long", "DescribeCertificateAuthority", {"CertificateAuthorityArn": GOOD_ARN + "x" * 200},
     "ValidationException"),
    ("describe-missing-ca", "DescribeCertificateAuthority", {"CertificateAuthorityArn": GOOD_ARN},
     "ResourceNotFoundException"),
    ("issue-bad-arn", "IssueCertificate", lambda c: _issue(c, CertificateAuthorityArn=ARN_PATTERN_FAIL),
     "InvalidArnException"),
    ("import-bad-arn", "ImportCertificateAuthorityCertificate",
     {"CertificateAuthorityArn": ARN_PATTERN_FAIL, "Certificate": _b64("x")}, "InvalidArnException"),
    ("get-cert-bad-cert-arn", "GetCertificate",
     lambda c: {"CertificateAuthorityArn": c.rsa_arn, "CertificateArn": ARN_PATTERN_FAIL}, "InvalidArnException"),
    ("get-cert-unknown-cert", "GetCertificate",
     lambda c: {"CertificateAuthorityArn": c.rsa_arn, "CertificateArn": c.rsa_arn + "/certificate/0123abcd"},
     "ResourceNotFoundException"),
    ("issue-bad-template-arn", "IssueCertificate", lambda c: _issue(c, TemplateArn="template/RootCACertificate"),
     "InvalidArnException"),
    ("csr-on-missing-ca", "GetCertificateAuthorityCsr", {"CertificateAuthorityArn": GOOD_ARN},
     "ResourceNotFoundException"),
    # states and enums
    ("update-unknown-status", "UpdateCertificateAuthority",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Status": "PAUSED"}, "ValidationException"),
    ("update-to-expired", "UpdateCertificateAuthority",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Status": "EXPIRED"}, "InvalidArgsException"),
    ("delete-short-window", "DeleteCertificateAuthority",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "PermanentDeletionTimeInDays": 3}, "ValidationException"),
    ("tag-empty-key", "TagCertificateAuthority",
     lambda c: {"CertificateAuthorityArn": c.ec_arn, "Tags": [{"Key": "", "Value": "v"}]}, "ValidationException"),
    ("unknown-action", "MakeCoffee", {}, "UnknownOperationException"),
]


@pytest.fixture(scope="module")
def ctx(emulator_url):
    return Ctx()


@pytest.mark.parametrize("case", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_requests_get_the_aws_error_as_json(emulator_url, ctx, case):
    _id, action, body, expected = case
    status, ctype, doc = raw_call(emulator_url, action, body(ctx) if callable(body) else body)
    assert (status, ctype.split(";")[0]) == (400, AWS_JSON), doc
    assert doc["__type"] == expected and doc["message"], doc


# ---- the same through boto3, as a program would meet them -----------------------------------------------

def _message(exc_info) -> str:
    return exc_info.value.response["Error"]["Message"]


def test_signing_algorithm_must_fit_the_ca_key_family(emulator_url):
    c = pca.client()
    rsa_arn, rsa_cert = pca.pca_root("Family RSA Root", "RSA_2048")
    pca.import_raw(rsa_arn, rsa_cert)
    _, csr = pca.create_ca("SUBORDINATE", "Family Sub")
    issue = dict(CertificateAuthorityArn=rsa_arn, Csr=csr.encode(), TemplateArn=SUB1,
                 Validity={"Type": "DAYS", "Value": 30})
    with pytest.raises(ClientError) as e:  # boto3 does not check enums: the service does
        c.issue_certificate(SigningAlgorithm="MD5WITHRSA", **issue)
    assert _code(e) == "ValidationException" and "'signingAlgorithm'" in _message(e)
    with pytest.raises(ClientError) as e:
        c.issue_certificate(SigningAlgorithm="SHA256WITHECDSA", **issue)
    assert _code(e) == "InvalidArgsException"
    assert _message(e).startswith("Signing algorithm SHA256WITHECDSA cannot be used with key type RSA_2048. "
                                  "Valid signing algorithms are: SHA256WITHRSA, SHA384WITHRSA, SHA512WITHRSA")
    with pytest.raises(ClientError) as e:
        c.issue_certificate(SigningAlgorithm="ML_DSA_44", **issue)
    assert _code(e) == "InvalidArgsException"
    with pytest.raises(ClientError) as e:
        c.create_certificate_authority(CertificateAuthorityType="ROOT", CertificateAuthorityConfiguration={
            "KeyAlgorithm": "ML_DSA_44", "SigningAlgorithm": "ML_DSA_65", "Subject": {"CommonName": "x"}})
    assert _code(e) == "InvalidArgsException" and "Valid signing algorithms are: ML_DSA_44." in _message(e)
    with pytest.raises(ClientError) as e:  # AWS offers SM2; the emulator says plainly that it does not
        c.create_certificate_authority(CertificateAuthorityType="ROOT", CertificateAuthorityConfiguration={
            "KeyAlgorithm": "SM2", "SigningAlgorithm": "SM3WITHSM2", "Subject": {"CommonName": "x"}})
    assert _code(e) == "InvalidArgsException" and "not emulated" in _message(e)
    pss_arn = c.issue_certificate(SigningAlgorithm="SHA384WITHRSA_PSS", **issue)["CertificateArn"]
    cert = x509.load_pem_x509_certificate(
        c.get_certificate(CertificateAuthorityArn=rsa_arn, CertificateArn=pss_arn)["Certificate"].encode())
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS
    assert isinstance(cert.signature_algorithm_parameters, padding.PSS)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)


def test_malformed_values_through_boto3_are_client_errors(emulator_url):
    c = pca.client()
    arn, cert = pca.pca_root("Boto Malformed Root")
    pca.import_raw(arn, cert)
    csr = pca.create_ca("SUBORDINATE", "Boto Malformed Sub")[1]
    with pytest.raises(ClientError) as e:
        c.issue_certificate(CertificateAuthorityArn=arn, Csr=b"not a csr", TemplateArn=SUB1,
                            SigningAlgorithm="SHA256WITHECDSA", Validity={"Type": "DAYS", "Value": 1})
    assert _code(e) == "MalformedCSRException"
    with pytest.raises(ClientError) as e:
        c.issue_certificate(CertificateAuthorityArn=arn, Csr=csr.encode(), TemplateArn=SUB1,
                            SigningAlgorithm="SHA256WITHECDSA", Validity={"Type": "END_DATE", "Value": 20200101000000})
    assert _code(e) == "ValidationException" and "not in the future" in _message(e)
    with pytest.raises(ClientError) as e:  # longer than the issuing CA has left (the root: 3650 days)
        c.issue_certificate(CertificateAuthorityArn=arn, Csr=csr.encode(), TemplateArn=SUB1,
                            SigningAlgorithm="SHA256WITHECDSA", Validity={"Type": "DAYS", "Value": 3651})
    assert _code(e) == "ValidationException" and "cannot outlive its issuer" in _message(e)
    with pytest.raises(ClientError) as e:
        c.get_certificate(CertificateAuthorityArn=arn, CertificateArn=arn + "/certificate/00ff")
    assert _code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        c.update_certificate_authority(CertificateAuthorityArn=arn, Status="EXPIRED")
    assert _code(e) == "InvalidArgsException"
    with pytest.raises(ClientError) as e:
        c.describe_certificate_authority(CertificateAuthorityArn="arn:aws:s3:::bucket")
    assert _code(e) == "InvalidArnException"


# ---- post-quantum CAs: ML-DSA keys, ML-DSA signatures, imports that verify -------------------------------

@pytest.mark.parametrize("level, key_type", [(44, mldsa.MLDSA44PublicKey), (65, mldsa.MLDSA65PublicKey),
                                             (87, mldsa.MLDSA87PublicKey)])
def test_ml_dsa_root_and_subordinate(emulator_url, level, key_type):
    algorithm = f"ML_DSA_{level}"
    root_arn, root_cert = pca.pca_root(f"PQ Root {level}", algorithm)
    pca.import_raw(root_arn, root_cert)
    root = x509.load_pem_x509_certificate(root_cert.encode())
    assert isinstance(root.public_key(), key_type)
    assert root.signature_algorithm_oid == getattr(SignatureAlgorithmOID, f"ML_DSA_{level}")
    assert pca.status(root_arn) == "ACTIVE"
    sub_arn, sub_csr = pca.create_ca("SUBORDINATE", f"PQ Sub {level}", algorithm)
    cert, chain_pem = pca.issue(root_arn, sub_csr, SUB1, days=30, issuer_key_algorithm=algorithm)
    sub = x509.load_pem_x509_certificate(cert.encode())
    root.public_key().verify(sub.signature, sub.tbs_certificate_bytes)  # raises unless ML-DSA signed it
    assert chain_pem.strip() == root_cert.strip()
    pca.import_raw(sub_arn, cert, chain_pem)  # the emulator's server-side rules verify the ML-DSA signature
    assert pca.status(sub_arn) == "ACTIVE"


# ---- the command: a port is checked, not wrapped around ---------------------------------------------------

@pytest.mark.parametrize("argv", [["-m", "pca_import", "emulator"], ["-m", "pca_import.aws.emulator.server"]])
@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_emulator_refuses_a_port_outside_1_to_65535(argv, port):
    proc = subprocess.run([sys.executable, *argv, "--port", port], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "use 1-65535" in proc.stderr and "Traceback" not in proc.stderr


def test_emulator_says_when_its_port_is_taken(emulator_url):
    port = emulator_url.rsplit(":", 1)[1]
    proc = subprocess.run([sys.executable, "-m", "pca_import", "emulator", "--port", port], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "Traceback" not in proc.stderr


def test_an_emulator_fault_is_an_aws_shaped_500_not_an_html_page(monkeypatch):
    """A bug behind the checks still answers as AWS does for its own faults: JSON InternalFailure."""
    from moto.acmpca import responses
    from werkzeug.test import Client

    from pca_import.aws.emulator.server import make_app

    def broken(self):
        raise RuntimeError("emulator bug")

    client = Client(make_app())
    monkeypatch.setattr(responses.ACMPCAResponse, "list_tags", broken)
    resp = client.post("/", data=json.dumps({"CertificateAuthorityArn": GOOD_ARN}), headers={
        "X-Amz-Target": "ACMPrivateCA.ListTags", "Content-Type": AWS_JSON,
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/acm-pca/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    assert resp.status_code == 500 and resp.headers["Content-Type"] == AWS_JSON
    assert json.loads(resp.data)["__type"] == "InternalFailure"


def test_an_action_the_emulator_lacks_says_so_as_json(emulator_url, ctx):
    status, ctype, doc = raw_call(emulator_url, "RestoreCertificateAuthority", {"CertificateAuthorityArn": ctx.ec_arn})
    assert (status, ctype.split(";")[0], doc["__type"]) == (501, AWS_JSON, "NotImplemented")
    assert "does not implement" in doc["message"]


def _random_value(rnd, shape, ctx):
    """A value for a model shape: mostly of the right type and often valid, sometimes anything at all."""
    if rnd.random() < 0.08:
        return rnd.choice([None, 1, -1, 1.5, True, "s", [], {}, "", "%%%", 10 ** 20])
    kind = shape.type_name
    if kind == "structure":
        return {n: _random_value(rnd, m, ctx) for n, m in shape.members.items() if rnd.random() < 0.7}
    if kind == "list":
        return [_random_value(rnd, shape.member, ctx) for _ in range(rnd.randint(0, 3))]
    if kind == "string":
        if shape.name == "Arn":
            return rnd.choice([ctx.rsa_arn, ctx.ec_arn, GOOD_ARN, "x", ctx.rsa_arn + "/certificate/ab", SUB1])
        return rnd.choice((getattr(shape, "enum", None) or ["", "a", "ab" * 40, "é"]) + ["BOGUS"])
    if kind == "blob":
        return rnd.choice([_b64("x"), ctx.csr_b64, "", "!!"])
    if kind in ("integer", "long"):
        return rnd.choice([0, 1, 30, -3, 20301231235959, 491231235959, 10 ** 15])
    return rnd.choice([True, False, None])


def test_random_requests_from_the_model_never_get_a_server_error(emulator_url):
    """600 requests generated from AWS's model (seeded): every answer is JSON with AWS's content type; no 5xx
    other than 501 for an action the emulator does not implement."""
    import random

    from pca_import.aws.emulator.request_model import service_model
    ctx = Ctx()  # its own CAs: random requests disable, delete and tag them
    model, rnd = service_model(), random.Random(2026)
    for _ in range(600):
        action = rnd.choice(model.operation_names)
        body = _random_value(rnd, model.operation_model(action).input_shape, ctx)
        status, ctype, doc = raw_call(emulator_url, action, body)
        assert ctype.split(";")[0] == AWS_JSON and isinstance(doc, dict), (action, body, status, doc)
        assert status < 500 or (status, doc["__type"]) == (501, "NotImplemented"), (action, body, status, doc)
        assert status == 200 or doc.get("__type"), (action, body, status, doc)
