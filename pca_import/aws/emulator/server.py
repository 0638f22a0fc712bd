"""The local Private CA: moto's server with ACM PCA made faithful where pca-import depends on it.

Run it with `pca-import emulator [--port N]` or `python -m pca_import.aws.emulator`. boto3 talks to it over
HTTP (`AWS_ENDPOINT_URL=http://127.0.0.1:5055`, the default port). Compared with plain moto it:

* checks every request against AWS's API model first (`emulator_validation`): a malformed one gets AWS's
  JSON error (SerializationException, ValidationException, InvalidArnException, UnknownOperationException)
  with HTTP 400, never an HTML 500; an action moto lacks is a JSON NotImplemented (501), a fault behind the
  checks a JSON InternalFailure (500); responses carry AWS's content type;
* gives each CA a key of its `KeyAlgorithm` (RSA_2048/3072/4096, EC_prime256v1/secp384r1/secp521r1,
  ML_DSA_44/65/87) and refuses a `SigningAlgorithm` of another key family (InvalidArgsException);
* issues proper CA certificates from the RootCACertificate/V1 and SubordinateCACertificate_PathLen{0..3}/V1
  templates (critical basic constraints CA=true with the template's path length, critical key usage
  keyCertSign/cRLSign/digitalSignature, key identifiers), honouring `Validity` and `SigningAlgorithm`,
  and returns the issuer's full chain with a subordinate certificate; an unreadable CSR is a
  MalformedCSRException, an impossible validity a ValidationException;
* enforces AWS's server-side import rules with AWS's exception names: CA status (InvalidStateException),
  PEM (MalformedCertificateException), sizes (ValidationException), key match and chain
  (CertificateMismatchException), and refuses to issue from a CA that is not ACTIVE;
* returns no chain for a root CA, and serves GetCertificateAuthorityCertificate for ACTIVE, DISABLED
  and EXPIRED CAs; reports EXPIRED for an ACTIVE CA once its certificate has expired, as AWS does;
* serves KMS with `Sign`/`Verify` as AWS does them (emulator/kms.py: `MessageType=DIGEST` signs the digest
  as given, where moto hashes it again; a disabled or pending-deletion key is refused);
* counts calls per API action (GET /_pca_import/calls, POST /_pca_import/calls/reset) for benchmarks.

Still missing compared with AWS (documented in the README): CREATING -> PENDING_CERTIFICATE delay,
CRLs/OCSP, IAM and resource policies, restoration windows, SM2 keys, usage modes, throttling.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import sys
import threading
import traceback
from collections import Counter

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pca_import.aws.emulator import DEFAULT_HOST, DEFAULT_PORT, add_arguments, port_number
from pca_import.aws.emulator.request_model import CONTENT_TYPE, TARGET_PREFIX, RequestError, service_model, validate_request
from pca_import.core.validate import validate_import
from pca_import.core.facts import spki_der
from pca_import.core.spec import (FIRST_IMPORT_STATUSES, RENEWAL_STATUSES, ROOT_TEMPLATE, SIGNING_ALGORITHMS,
                                  SUBORDINATE_TEMPLATES, allowed_signing_algorithms, signing_hash_name)
from pca_import.core.rules.registry import BY_CODE
from pca_import.core.x509build import KEY_ALGORITHMS, build_certificate, make_csr, new_key

SUB_TEMPLATES = {arn: n for n, arn in SUBORDINATE_TEMPLATES.items()}
# SigningAlgorithm -> (hash, RSASSA-PSS) as the emulator signs with it; ML-DSA signs without a separate hash
# (SM2: cryptography cannot sign with it, so the emulator offers none)
SIGNING = {algorithm: (signing_hash_name(algorithm), algorithm.endswith("_PSS"))
           for family, algorithms in SIGNING_ALGORITHMS.items() if family != "SM2" for algorithm in algorithms}
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


def check_signing_algorithm(key_algorithm: str, signing_algorithm: str) -> None:
    allowed = allowed_signing_algorithms(key_algorithm)
    if signing_algorithm not in allowed:  # AWS's words
        raise _error("InvalidArgsException", f"Signing algorithm {signing_algorithm} cannot be used with key type "
                                             f"{key_algorithm}. Valid signing algorithms are: {', '.join(allowed)}.")


def _validity_end(validity: dict, start: dt.datetime) -> dt.datetime:
    """The NotAfter a `Validity` asks for; ValidationException when it is impossible (past, unreadable, too far)."""
    kind, value = validity["Type"], validity["Value"]  # present and typed: checked against the model
    try:
        if kind == "DAYS":
            end = start + dt.timedelta(days=value)
        elif kind == "MONTHS":
            end = start + dt.timedelta(days=30 * value)
        elif kind == "YEARS":
            end = start + dt.timedelta(days=365 * value)
        elif kind == "ABSOLUTE":  # seconds since the epoch
            end = dt.datetime.fromtimestamp(value, dt.timezone.utc)
        else:  # END_DATE: UTCTime YYMMDDHHMMSS (YY < 50 is 20YY) or GeneralizedTime YYYYMMDDHHMMSS
            text = str(value)
            if len(text) == 12:
                text = ("20" if int(text[:2]) < 50 else "19") + text
            end = dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        raise _error("ValidationException", f"Validity {kind} {value} is not a date a certificate can have "
                                            "(after now, before the year 10000).") from None
    if end <= start:
        raise _error("ValidationException", f"Validity {kind} {value} ends at {end:%Y-%m-%d %H:%M:%S} UTC, "
                                            "which is not in the future.")
    return end


def load_csr(csr_b64: str) -> x509.CertificateSigningRequest:
    """The CSR of an IssueCertificate request (base64 of PEM); MalformedCSRException when it is not one."""
    try:
        csr = x509.load_pem_x509_csr(base64.b64decode(csr_b64))
        csr.public_key()
        valid = csr.is_signature_valid
    except Exception:  # cryptography raises ValueError, UnsupportedAlgorithm, ... for damaged input
        raise _error("MalformedCSRException", "The certificate signing request is invalid: it is not a PEM "
                                              "PKCS#10 request.") from None
    if not valid:
        raise _error("MalformedCSRException", "The certificate signing request is invalid: its signature does not "
                                              "verify with its own public key.")
    return csr


def _epoch(value) -> float | None:
    """A moto timestamp as AWS's JSON has it (seconds since the epoch): moto <= 5.2.5 keeps floats, 5.2.6
    naive UTC datetimes."""
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).timestamp()
    return None


def _now_like(sample):
    """Now, in the type moto uses for a CA's timestamps (see `_epoch`)."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.replace(tzinfo=None) if isinstance(sample, dt.datetime) else now.timestamp()


def describe_document(ca) -> dict:
    """DescribeCertificateAuthority's `CertificateAuthority`, built here from the CA's plain attributes (moto
    5.2.6 dropped `CertificateAuthority.to_json()`; its serialisers change between releases)."""
    doc = {"Arn": ca.arn, "OwnerAccount": ca.account_id,
           "CertificateAuthorityConfiguration": ca.certificate_authority_configuration,
           "Type": ca.certificate_authority_type, "Status": ca.status, "CreatedAt": _epoch(ca.created_at),
           "LastStateChangeAt": _epoch(getattr(ca, "updated_at", None)),
           "RevocationConfiguration": getattr(ca, "revocation_configuration", None),
           "UsageMode": getattr(ca, "usage_mode", None),
           "KeyStorageSecurityStandard": getattr(ca, "security_standard", None)}
    if ca.certificate_bytes:
        doc["NotBefore"] = ca.certificate.not_valid_before_utc.timestamp()
        doc["NotAfter"] = ca.certificate.not_valid_after_utc.timestamp()
    return {k: v for k, v in doc.items() if v is not None}


def apply_patches() -> None:
    """Make moto's ACM PCA behave like AWS where pca-import depends on it (idempotent)."""
    global _patched
    if _patched:
        return
    _patched = True
    from pca_import.aws.emulator import kms
    kms.apply_patches()
    from moto.acmpca import models, responses

    CA = models.CertificateAuthority
    original_init = CA.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.key_algorithm = self.certificate_authority_configuration["KeyAlgorithm"]
        self._pca_key = new_key(self.key_algorithm)
        self._csr_pem = None

    CA.__init__ = __init__
    CA.key = property(lambda self: self._pca_key)

    def get_status(self) -> str:
        # AWS reports EXPIRED for a CA whose certificate has expired: computed when read, as time passes
        status = self.__dict__.get("_pca_status")
        if status == "ACTIVE" and getattr(self, "certificate_bytes", b""):
            try:
                expired = self.certificate.not_valid_after_utc <= dt.datetime.now(dt.timezone.utc)
            except ValueError:
                expired = False
            if expired:
                return "EXPIRED"
        return status

    def set_status(self, value: str) -> None:
        self.__dict__["_pca_status"] = value

    CA.status = property(get_status, set_status)

    def csr(self) -> bytes:
        if self._csr_pem is None:  # AWS returns the same CSR every time
            self._csr_pem = make_csr(self._pca_key, self.issuer).public_bytes(serialization.Encoding.PEM)
        return self._csr_pem

    CA.csr = property(csr)

    def issue(self, csr_b64: str, template_arn: str | None, validity: dict, signing_algorithm: str) -> str:
        csr_obj = load_csr(csr_b64)
        check_signing_algorithm(self.key_algorithm, signing_algorithm)
        is_root = template_arn == ROOT_TEMPLATE
        if is_root and spki_der(csr_obj.public_key()) != spki_der(self._pca_key.public_key()):
            raise _error("MalformedCSRException", "RootCACertificate/V1 must sign the CA's own CSR.")
        if not is_root and self.status != "ACTIVE":
            raise _error("InvalidStateException",
                         f"The certificate authority {self.arn} is not in the correct state to issue certificates.")
        now = dt.datetime.now(dt.timezone.utc)
        not_after = _validity_end(validity, now)
        if not is_root and not_after > self.certificate.not_valid_after_utc:  # AWS: at most the CA's own time left
            ends, ca_ends = (f"{t:%Y-%m-%d %H:%M:%S} UTC" for t in (not_after, self.certificate.not_valid_after_utc))
            raise _error("ValidationException", f"Validity {validity['Type']} {validity['Value']} ends at {ends}, "
                                                f"after the issuing CA's certificate expires ({ca_ends}): a "
                                                "certificate cannot outlive its issuer.")
        if template_arn in SUB_TEMPLATES or is_root:
            path_len = SUB_TEMPLATES.get(template_arn)
            digest, pss = SIGNING[signing_algorithm]
            cert = build_certificate(csr_obj.public_key(), csr_obj.subject,
                                     csr_obj.subject if is_root else self.certificate.subject, self._pca_key,
                                     ca=True, path_length=path_len, not_before=now - dt.timedelta(minutes=1),
                                     not_after=not_after, signing_hash=digest, rsa_pss=pss)
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
        # sizes were checked against the model (ValidationException) before this runs; DISABLED is refused
        # here, the stricter reading of AWS's pages (STAT002 only warns)
        if self.status not in FIRST_IMPORT_STATUSES + RENEWAL_STATUSES:
            raise _error("InvalidStateException",
                         f"The certificate authority {self.arn} is in status {self.status} and cannot accept a "
                         "certificate.")
        report = validate_import(certificate, certificate_chain, csr=self.csr,
                                 ca_type=self.certificate_authority_type, ca_status=self.status)
        errors = [f for f in report.findings if f.severity == "error"]
        if errors:  # the exception each rule declares AWS raises for it
            raise _error(next((BY_CODE[f.code].aws_exception for f in errors
                               if f.code in BY_CODE and BY_CODE[f.code].aws_exception),
                              "MalformedCertificateException"))
        self.certificate_bytes = certificate
        self.certificate_chain = certificate_chain or None
        cert = x509.load_pem_x509_certificate(certificate)
        self.status = "EXPIRED" if cert.not_valid_after_utc < dt.datetime.now(dt.timezone.utc) else "ACTIVE"
        self.updated_at = _now_like(self.created_at)

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
        arn = certificate_authority_arn  # its form is checked against the model before any handler runs
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

    original_update = Backend.update_certificate_authority

    def update(self, certificate_authority_arn, revocation_configuration, status):
        if status is not None and status not in ("ACTIVE", "DISABLED"):
            raise _error("InvalidArgsException", f"Status {status} cannot be set by a request: a CA's status is "
                                                 "changed to ACTIVE or DISABLED.")
        return original_update(self, certificate_authority_arn, revocation_configuration, status)

    Backend.update_certificate_authority = update
    original_get_certificate = Backend.get_certificate

    def get_certificate(self, certificate_authority_arn, certificate_arn):
        ca = self.describe_certificate_authority(certificate_authority_arn)
        if certificate_arn not in ca.issued_certificates:
            raise models.ResourceNotFoundException(certificate_arn)
        return original_get_certificate(self, certificate_authority_arn, certificate_arn)

    Backend.get_certificate = get_certificate

    R = responses.ACMPCAResponse

    original_create = R.create_certificate_authority

    def create_certificate_authority(self) -> str:
        cfg = json.loads(self.body)["CertificateAuthorityConfiguration"]
        check_signing_algorithm(cfg["KeyAlgorithm"], cfg["SigningAlgorithm"])
        if cfg["KeyAlgorithm"] not in KEY_ALGORITHMS:
            raise _error("InvalidArgsException",
                         f"pca-import emulator: KeyAlgorithm {cfg['KeyAlgorithm']} is not emulated (AWS offers it; the "
                         f"emulator has {', '.join(KEY_ALGORITHMS)}).")
        return original_create(self)

    def issue_certificate(self) -> str:
        params = json.loads(self.body)
        ca = self.acmpca_backend.describe_certificate_authority(params["CertificateAuthorityArn"])
        arn = ca.issue_certificate(params["Csr"], params.get("TemplateArn"), params["Validity"],
                                   params["SigningAlgorithm"])
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
        return json.dumps({"CertificateAuthority": describe_document(ca)})

    def get_ca_certificate_response(self) -> str:
        params = json.loads(self.body)
        cert, chain = self.acmpca_backend.get_certificate_authority_certificate(params.get("CertificateAuthorityArn"))
        out = {"Certificate": cert.decode()}
        if chain:
            out["CertificateChain"] = chain.decode()
        return json.dumps(out)

    original_list = R.list_certificate_authorities

    def list_certificate_authorities(self) -> str:
        from moto.core.exceptions import InvalidToken
        try:
            return original_list(self)
        except InvalidToken:
            raise _error("InvalidNextTokenException", "The token specified in the NextToken argument is not valid. "
                                                      "Use the token returned from your previous call.") from None

    R.create_certificate_authority = create_certificate_authority
    R.list_certificate_authorities = list_certificate_authorities
    R.issue_certificate = issue_certificate
    R.import_certificate_authority_certificate = import_ca_certificate
    R.describe_certificate_authority = describe_ca
    R.get_certificate_authority_certificate = get_ca_certificate_response


INTERNAL_FAILURE = "The request processing has failed because of an unknown error, exception or failure."


def _request_body(environ) -> bytes:
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length.isdigit():
        return stream.read(int(length))
    return stream.read() if environ.get("wsgi.input_terminated") else b""


def _reply(start_response, status: str, body: bytes, headers=()) -> list[bytes]:
    start_response(status, [*headers, ("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
    return [body]


class AwsFront:
    """WSGI middleware in front of moto: counts ACM PCA actions (and serves the counts), checks each request
    against AWS's API model, and answers as AWS does -- JSON with AWS's content type, never an HTML page."""

    def __init__(self, app, implemented: frozenset[str]):
        self.app, self.implemented = app, implemented

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_pca_import/calls"):
            with _CALLS_LOCK:
                if path.endswith("/reset"):
                    CALLS.clear()
                body = json.dumps(dict(CALLS)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path.startswith("/_pca_import/roles"):
            return _register_role(environ, start_response)
        if "/sts/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
            refused = _assume_role_refused(environ)
            if refused is not None:
                start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(refused)))])
                return [refused]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(TARGET_PREFIX):
            return self.app(environ, start_response)
        with _CALLS_LOCK:
            CALLS[target[len(TARGET_PREFIX):]] += 1
        body = _request_body(environ)
        try:
            validate_request(target, body)
            if target[len(TARGET_PREFIX):] not in self.implemented:
                raise RequestError("NotImplemented", f"pca-import emulator: {target[len(TARGET_PREFIX):]} is an AWS "
                                                     "Private CA action the emulator does not implement.", 501)
        except RequestError as exc:
            return _reply(start_response, f"{exc.status} {'Not Implemented' if exc.status == 501 else 'Bad Request'}",
                          exc.body(), [("X-Amzn-ErrorType", exc.code)])
        body = body if body.strip() else b"{}"  # AWS reads an empty body as {}; moto's handlers need the JSON
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        answer: dict = {}

        def capture(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return lambda _data: None

        try:
            result = self.app(environ, capture)
            try:
                out = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
        except Exception:  # an emulator bug: shown here, answered as AWS answers its own faults
            traceback.print_exc()
            answer, out = {"status": "500 INTERNAL SERVER ERROR", "headers": []}, b""
        status, headers = answer["status"], answer["headers"]
        if status.startswith("5") and not out.lstrip().startswith(b"{"):
            err = RequestError("InternalFailure", INTERNAL_FAILURE, 500)
            return _reply(start_response, "500 Internal Server Error", err.body(), [("X-Amzn-ErrorType", err.code)])
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        return _reply(start_response, status, out, kept)


# Roles the emulated accounts hold, as an account's administrator creates them in AWS (outside pca-import):
# role ARN -> the ExternalId its trust policy requires (None: none). moto's AssumeRole grants any role, which
# would let a mistyped `roleArn` pass; here only a registered role can be assumed, as in AWS.
ROLES: dict[str, str | None] = {}
_ROLES_LOCK = threading.Lock()


def _register_role(environ, start_response):
    """`POST /_pca_import/roles {"roleArn": ..., "externalId": ...}` registers a role; GET lists them."""
    if environ.get("REQUEST_METHOD") == "POST":
        doc = json.loads(_request_body(environ) or b"{}")
        with _ROLES_LOCK:
            ROLES[doc["roleArn"]] = doc.get("externalId")
    with _ROLES_LOCK:
        body = json.dumps(sorted(ROLES)).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _assume_role_refused(environ) -> bytes | None:
    """STS AssumeRole of a role no account holds, or without the ExternalId its trust policy requires: AWS's
    AccessDenied (403, STS's XML). Any other STS request passes through (the body is put back)."""
    from urllib.parse import parse_qs
    body = _request_body(environ)
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if form.get("Action") != "AssumeRole":
        return None
    role = form.get("RoleArn", "")
    with _ROLES_LOCK:
        known, external_id = role in ROLES, ROLES.get(role)
    if known and (external_id is None or form.get("ExternalId") == external_id):
        return None
    message = f"User is not authorized to perform: sts:AssumeRole on resource: {role}"
    return ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f'<Code>AccessDenied</Code><Message>{message}</Message></Error>'
            '<RequestId>pca-import-emulator</RequestId></ErrorResponse>').encode()


def make_app():
    apply_patches()
    from moto.acmpca.responses import ACMPCAResponse
    from moto.core.utils import camelcase_to_underscores
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    implemented = frozenset(op for op in service_model().operation_names
                            if hasattr(ACMPCAResponse, camelcase_to_underscores(op)))
    return AwsFront(DomainDispatcherApplication(create_backend_app), implemented)




def serve(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> int:
    """Serve until interrupted; 1 with a message when the address cannot be used."""
    from werkzeug.serving import make_server
    port = port_number(str(port))
    try:  # bind first: a taken port is reported before moto is loaded
        server = make_server(host, port, None, threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug prints the reason and exits
        reason = f": {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else " (reason above)"
        print(f"pca-import emulator: cannot listen on {host}:{port}{reason}; choose another --port or --host",
              file=sys.stderr)
        return 1
    server.app = make_app()
    print(f"pca-import emulator: AWS Private CA on http://{host}:{port} "
          f"(export AWS_ENDPOINT_URL=http://{host}:{port})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0



def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m pca_import.aws.emulator")
    add_arguments(p)
    a = p.parse_args(argv)
    return serve(a.port, a.host)


if __name__ == "__main__":
    sys.exit(main())
