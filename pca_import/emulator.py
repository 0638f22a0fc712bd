"""The local Private CA: moto's server with ACM PCA made faithful where pca-import depends on it.

Run it with `pca-import emulator [--port N]` or `python -m pca_import.emulator`. boto3 talks to it over
HTTP (`AWS_ENDPOINT_URL=http://127.0.0.1:5055`). Compared with plain moto it:

* gives each CA a key of its `KeyAlgorithm` (RSA_2048/3072/4096, EC_prime256v1/secp384r1/secp521r1);
* issues proper CA certificates from the RootCACertificate/V1 and SubordinateCACertificate_PathLen{0..3}/V1
  templates (critical basic constraints CA=true with the template's path length, critical key usage
  keyCertSign/cRLSign/digitalSignature, key identifiers), honouring `Validity` and `SigningAlgorithm`,
  and returns the issuer's full chain with a subordinate certificate;
* enforces AWS's server-side import rules with AWS's exception names: CA status (InvalidStateException),
  PEM (MalformedCertificateException), sizes (ValidationException), key match and chain
  (CertificateMismatchException), and refuses to issue from a CA that is not ACTIVE;
* returns no chain for a root CA, and serves GetCertificateAuthorityCertificate for ACTIVE, DISABLED
  and EXPIRED CAs;
* counts calls per API action (GET /_pca_import/calls, POST /_pca_import/calls/reset) for benchmarks.

Still missing compared with AWS (documented in the README): CREATING -> PENDING_CERTIFICATE delay,
CRLs/OCSP, IAM and resource policies, restoration windows, ML-DSA/SM2 keys, usage modes, throttling.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import sys
import threading
from collections import Counter

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .engine import validate_import
from .facts import spki_der
from .signing import build_certificate, make_csr, new_key

TEMPLATE_PREFIX = "arn:aws:acm-pca:::template/"
ROOT_TEMPLATE = TEMPLATE_PREFIX + "RootCACertificate/V1"
SUB_TEMPLATES = {TEMPLATE_PREFIX + f"SubordinateCACertificate_PathLen{n}/V1": n for n in range(4)}
SIGNING_HASH = {"SHA256WITHRSA": "SHA256", "SHA384WITHRSA": "SHA384", "SHA512WITHRSA": "SHA512",
                "SHA256WITHECDSA": "SHA256", "SHA384WITHECDSA": "SHA384", "SHA512WITHECDSA": "SHA512"}
# rule-code prefix -> the exception AWS raises for that class of problem
AWS_EXCEPTION = {"ENC": "MalformedCertificateException", "BC": "MalformedCertificateException",
                 "EXT": "MalformedCertificateException", "KU": "MalformedCertificateException",
                 "SIZE": "ValidationException", "STAT": "InvalidStateException",
                 "KEY": "CertificateMismatchException", "CHAIN": "CertificateMismatchException",
                 "ROOT": "CertificateMismatchException", "SUB": "CertificateMismatchException",
                 "PATH": "CertificateMismatchException", "VAL": "CertificateMismatchException"}
AWS_MESSAGE = {"MalformedCertificateException": "One or more fields in the certificate are invalid.",
               "CertificateMismatchException": "The certificate authority certificate you are importing does not "
                                               "comply with conditions specified in the certificate that signed it.",
               "InvalidStateException": "The certificate authority is not in the correct state.",
               "ValidationException": "1 validation error detected."}

CALLS: Counter = Counter()
_CALLS_LOCK = threading.Lock()
_patched = False


def _error(code: str, message: str | None = None):
    from moto.core.exceptions import JsonRESTError
    return JsonRESTError(code, message or AWS_MESSAGE.get(code, code))


def _validity_end(validity: dict | None, start: dt.datetime) -> dt.datetime:
    if not validity:
        return start + dt.timedelta(days=365)
    kind, value = validity.get("Type"), validity.get("Value")
    if kind == "DAYS":
        return start + dt.timedelta(days=int(value))
    if kind == "MONTHS":
        return start + dt.timedelta(days=30 * int(value))
    if kind == "YEARS":
        return start + dt.timedelta(days=365 * int(value))
    if kind in ("END_DATE", "ABSOLUTE"):
        if kind == "END_DATE":  # YYYYMMDDHHMMSS
            return dt.datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
        return dt.datetime.fromtimestamp(int(value), dt.timezone.utc)
    raise _error("ValidationException", f"Validity.Type {kind!r} is not valid")


def apply_patches() -> None:
    """Make moto's ACM PCA behave like AWS where pca-import depends on it (idempotent)."""
    global _patched
    if _patched:
        return
    _patched = True
    from moto.acmpca import models, responses

    CA = models.CertificateAuthority
    original_init = CA.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        algorithm = self.certificate_authority_configuration.get("KeyAlgorithm", "RSA_2048")
        self._pca_key = new_key(algorithm)
        self._csr_pem = None

    CA.__init__ = __init__
    CA.key = property(lambda self: self._pca_key)

    def csr(self) -> bytes:
        if self._csr_pem is None:  # AWS returns the same CSR every time
            self._csr_pem = make_csr(self._pca_key, self.issuer).public_bytes(serialization.Encoding.PEM)
        return self._csr_pem

    CA.csr = property(csr)

    def issue(self, csr_bytes: bytes, template_arn: str | None, validity=None, signing_algorithm=None) -> str:
        csr_obj = x509.load_pem_x509_csr(base64.b64decode(csr_bytes))
        is_root = template_arn == ROOT_TEMPLATE
        if is_root and spki_der(csr_obj.public_key()) != spki_der(self._pca_key.public_key()):
            raise _error("MalformedCSRException", "RootCACertificate/V1 must sign the CA's own CSR.")
        if not is_root and self.status != "ACTIVE":
            raise _error("InvalidStateException",
                         f"The certificate authority {self.arn} is not in the correct state to issue certificates.")
        now = dt.datetime.now(dt.timezone.utc)
        not_after = _validity_end(validity, now)
        if template_arn in SUB_TEMPLATES or is_root:
            path_len = SUB_TEMPLATES.get(template_arn)
            cert = build_certificate(csr_obj.public_key(), csr_obj.subject,
                                     csr_obj.subject if is_root else self.certificate.subject, self._pca_key,
                                     ca=True, path_length=path_len, not_before=now - dt.timedelta(minutes=1),
                                     not_after=not_after, signing_hash=SIGNING_HASH.get(signing_algorithm or ""))
            pem = cert.public_bytes(serialization.Encoding.PEM)
        else:  # end-entity templates: keep moto's behaviour
            pem = self.generate_cert(subject=csr_obj.subject, public_key=csr_obj.public_key(),
                                     extensions=self._x509_extensions(csr_obj, template_arn))
        from moto.moto_api._internal import mock_random
        cert_id = str(mock_random.uuid4()).replace("-", "")
        cert_arn = f"{self.arn}/certificate/{cert_id}"
        self.issued_certificates[cert_arn] = pem
        if not is_root:
            self.issued_certificates_certificate_chains[cert_arn] = (
                self.certificate_bytes.strip() + b"\n" + (self.certificate_chain or b"")).strip()
        return cert_arn

    CA.issue_certificate = issue

    def import_cert(self, certificate: bytes, certificate_chain: bytes | None) -> None:
        if self.status not in ("PENDING_CERTIFICATE", "ACTIVE", "EXPIRED"):
            raise _error("InvalidStateException",
                         f"The certificate authority {self.arn} is in status {self.status} and cannot accept a "
                         "certificate.")
        if len(certificate) > 32768 or (certificate_chain and len(certificate_chain) > 2097152):
            raise _error("ValidationException", "1 validation error detected: Value at 'certificate' failed to "
                                                "satisfy constraint: Member must have length less than or equal "
                                                "to 32768")
        report = validate_import(certificate, certificate_chain, csr=self.csr,
                                 ca_type=self.certificate_authority_type, ca_status=self.status)
        errors = [f for f in report.findings if f.severity == "error"]
        if errors:
            prefix = next((p for p in AWS_EXCEPTION if errors[0].code.startswith(p)), "ENC")
            raise _error(AWS_EXCEPTION[prefix])
        self.certificate_bytes = certificate
        self.certificate_chain = certificate_chain or None
        cert = x509.load_pem_x509_certificate(certificate)
        self.status = "EXPIRED" if cert.not_valid_after_utc < dt.datetime.now(dt.timezone.utc) else "ACTIVE"
        from moto.core.utils import unix_time
        self.updated_at = unix_time()

    CA.import_certificate_authority_certificate = import_cert

    Backend = models.ACMPCABackend

    def get_ca_certificate(self, certificate_authority_arn):
        arn = certificate_authority_arn
        ca = self.describe_certificate_authority(arn)
        if ca.status not in ("ACTIVE", "DISABLED", "EXPIRED"):
            raise _error("InvalidStateException",
                         f"The certificate authority {arn} is in status {ca.status} and has no certificate.")
        chain = None if ca.certificate_authority_type == "ROOT" else ca.certificate_chain
        return ca.certificate_bytes, chain

    Backend.get_certificate_authority_certificate = get_ca_certificate

    def describe(self, certificate_authority_arn):
        arn = certificate_authority_arn
        if not str(arn).startswith("arn:"):
            raise _error("InvalidArnException", f"{arn} is not a valid ARN.")
        if arn not in self.certificate_authorities:
            raise models.ResourceNotFoundException(arn)
        return self.certificate_authorities[arn]

    Backend.describe_certificate_authority = describe

    def delete(self, certificate_authority_arn):
        arn = certificate_authority_arn
        ca = self.describe_certificate_authority(arn)
        if ca.status == "ACTIVE":
            raise _error("InvalidStateException", "A CA must be disabled before it can be deleted.")
        ca.status = "DELETED"

    Backend.delete_certificate_authority = delete

    R = responses.ACMPCAResponse

    def issue_certificate(self) -> str:
        params = json.loads(self.body)
        ca = self.acmpca_backend.describe_certificate_authority(params.get("CertificateAuthorityArn"))
        arn = ca.issue_certificate(params["Csr"].encode(), params.get("TemplateArn"), params.get("Validity"),
                                   params.get("SigningAlgorithm"))
        return json.dumps({"CertificateArn": arn})

    def import_ca_certificate(self) -> str:
        params = json.loads(self.body)
        cert = base64.b64decode(params.get("Certificate") or "")
        chain = base64.b64decode(params["CertificateChain"]) if params.get("CertificateChain") else None
        self.acmpca_backend.import_certificate_authority_certificate(
            certificate_authority_arn=params.get("CertificateAuthorityArn"), certificate=cert,
            certificate_chain=chain)
        return "{}"

    def describe_ca(self) -> str:
        params = json.loads(self.body)
        ca = self.acmpca_backend.describe_certificate_authority(params.get("CertificateAuthorityArn"))
        doc = ca.to_json()
        if ca.certificate_bytes:
            doc["NotBefore"] = ca.certificate.not_valid_before_utc.timestamp()
            doc["NotAfter"] = ca.certificate.not_valid_after_utc.timestamp()
        return json.dumps({"CertificateAuthority": doc})

    def get_ca_certificate_response(self) -> str:
        params = json.loads(self.body)
        cert, chain = self.acmpca_backend.get_certificate_authority_certificate(params.get("CertificateAuthorityArn"))
        out = {"Certificate": cert.decode()}
        if chain:
            out["CertificateChain"] = chain.decode()
        return json.dumps(out)

    R.issue_certificate = issue_certificate
    R.import_certificate_authority_certificate = import_ca_certificate
    R.describe_certificate_authority = describe_ca
    R.get_certificate_authority_certificate = get_ca_certificate_response


class CallCounter:
    """WSGI middleware: counts ACM PCA actions (X-Amz-Target) and serves the counts."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_pca_import/calls"):
            with _CALLS_LOCK:
                if path.endswith("/reset"):
                    CALLS.clear()
                body = json.dumps(dict(CALLS)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("ACMPrivateCA."):
            with _CALLS_LOCK:
                CALLS[target.split(".", 1)[1]] += 1
        return self.app(environ, start_response)


def make_app():
    apply_patches()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    return CallCounter(DomainDispatcherApplication(create_backend_app))


def serve(port: int = 5055, host: str = "127.0.0.1") -> None:
    from werkzeug.serving import run_simple
    print(f"pca-import emulator: AWS Private CA on http://{host}:{port} "
          f"(export AWS_ENDPOINT_URL=http://{host}:{port})", file=sys.stderr, flush=True)
    run_simple(host, port, make_app(), threaded=True, use_reloader=False)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m pca_import.emulator")
    p.add_argument("--port", type=int, default=5055)
    p.add_argument("--host", default="127.0.0.1")
    a = p.parse_args(argv)
    serve(a.port, a.host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
