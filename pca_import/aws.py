"""The AWS adapter: everything that talks to AWS Private CA, and the translation of its errors.

Clients are created per call from plain settings (region, profile, endpoint), never stored on an object
that gets pickled. botocore's standard retry mode backs off on throttling.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass
from typing import Any

from . import clock
from .engine import DEFAULT_PROFILE, validate_import
from .facts import certificate_facts
from .pem import canonical_pem
from .report import Report

ACTIONS = {
    "ImportCertificateAuthorityCertificate": "importing the CA certificate",
    "DescribeCertificateAuthority": "describing the CA",
    "GetCertificateAuthorityCsr": "fetching the CA's CSR",
    "GetCertificateAuthorityCertificate": "reading the CA's current certificate",
    "UpdateCertificateAuthority": "disabling the CA",
    "ListCertificateAuthorities": "listing the region's CAs",
}
# What a person should do about each error the API models for these calls.
ADVICE = {
    "CertificateMismatchException": "the certificate does not fit this CA or its issuer: check it was signed from this "
                                    "CA's current CSR and that the chain is the issuer's, root last "
                                    "(`pca-import validate --csr` names the exact problem)",
    "MalformedCertificateException": "a field of the certificate or chain is invalid: run `pca-import validate` on it",
    "InvalidStateException": "the CA's status does not allow this: PENDING_CERTIFICATE accepts a first import, "
                             "ACTIVE or EXPIRED a renewal (`pca-import status --ca-arn ...`)",
    "InvalidRequestException": "the request is not valid for this CA",
    "InvalidArnException": "the ARN is malformed: it must look like "
                           "arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>",
    "ResourceNotFoundException": "no such CA in this account and region: check the ARN, the region (aws:region / "
                                 "AWS_REGION) and the credentials' account",
    "RequestFailedException": "AWS could not complete the request: retry",
    "ConcurrentModificationException": "another change to this CA is in progress: retry when it has finished",
    "RequestInProgressException": "AWS is still processing the CA (e.g. its CSR): retry in a few seconds",
    "ValidationException": "a value is outside AWS's limits (certificate <= 32 KB, chain <= 2 MB)",
    "AccessDeniedException": "the credentials lack permission: grant acm-pca:* on this CA for this step",
    "UnrecognizedClientException": "the credentials are not valid for this endpoint",
    "ThrottlingException": "AWS throttled the request after retries: run again later",
}


_CLIENTS: dict = {}
_CLIENTS_LOCK = threading.Lock()


class AwsError(Exception):
    """An AWS or rule failure, phrased for a person: the CA, the step, and what to do."""

    def __init__(self, message: str, code: str = "", report: Report | None = None):
        super().__init__(message)
        self.code = code
        self.report = report


@dataclass(frozen=True)
class Settings:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    @classmethod
    def from_environment(cls, region: str | None = None, profile: str | None = None) -> "Settings":
        return cls(region=region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
                   profile=profile or os.environ.get("AWS_PROFILE") or None,
                   endpoint_url=os.environ.get("AWS_ENDPOINT_URL_ACM_PCA") or os.environ.get("AWS_ENDPOINT_URL"))


def translate(exc: Exception, arn: str, action: str) -> AwsError:
    """A botocore error as a message naming the CA, the step and the fix."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
    step = ACTIONS.get(action, action)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        detail = exc.response.get("Error", {}).get("Message", "")
        advice = ADVICE.get(code, "see the AWS message")
        return AwsError(f"AWS Private CA {arn}: {step} failed with {code} ({detail}) — {advice}", code)
    if isinstance(exc, NoRegionError):
        return AwsError(f"AWS Private CA {arn}: {step}: no AWS region — set aws:region in the stack config or "
                        "AWS_REGION", "NoRegion")
    if isinstance(exc, NoCredentialsError):
        return AwsError(f"AWS Private CA {arn}: {step}: no AWS credentials — configure AWS_PROFILE, environment "
                        "credentials or an instance role", "NoCredentials")
    if isinstance(exc, BotoCoreError):
        return AwsError(f"AWS Private CA {arn}: {step} failed: {exc} — check the network and endpoint", "BotoCore")
    return AwsError(f"AWS Private CA {arn}: {step} failed: {exc}", type(exc).__name__)


def _cert_facts(pem: str) -> dict[str, str]:
    from cryptography import x509
    return certificate_facts(x509.load_pem_x509_certificate(pem.encode()))


class PrivateCa:
    """AWS Private CA operations pca-import needs. Holds only plain settings (picklable, no clients)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_environment()

    @classmethod
    def from_environment(cls, region: str | None = None, profile: str | None = None) -> "PrivateCa":
        return cls(Settings.from_environment(region, profile))

    def client(self):
        """An acm-pca client for these settings, shared in this process (boto3 clients are thread-safe).

        Creating one costs ~50-100 ms (service model loading); a preview of 20 resources would pay it 20
        times. The cache is module state, so nothing is pickled with a provider."""
        s = self.settings
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(s)
            if client is None:
                import boto3
                from botocore.config import Config
                session = boto3.session.Session(profile_name=s.profile, region_name=s.region)
                client = session.client("acm-pca", endpoint_url=s.endpoint_url,
                                        config=Config(retries={"mode": "standard", "max_attempts": 8},
                                                      connect_timeout=10, read_timeout=60))
                _CLIENTS[s] = client
        return client

    def _call(self, client, action: str, arn: str, **kwargs) -> dict:
        method = {"ImportCertificateAuthorityCertificate": client.import_certificate_authority_certificate,
                  "DescribeCertificateAuthority": client.describe_certificate_authority,
                  "GetCertificateAuthorityCsr": client.get_certificate_authority_csr,
                  "GetCertificateAuthorityCertificate": client.get_certificate_authority_certificate,
                  "UpdateCertificateAuthority": client.update_certificate_authority}[action]
        try:
            return method(CertificateAuthorityArn=arn, **kwargs)
        except Exception as exc:  # botocore errors become actionable messages
            raise translate(exc, arn, action) from None

    # ---- reads -------------------------------------------------------------------------------------

    def describe(self, arn: str, client=None) -> dict[str, Any]:
        client = client or self.client()
        ca = self._call(client, "DescribeCertificateAuthority", arn)["CertificateAuthority"]
        cfg = ca.get("CertificateAuthorityConfiguration", {})
        return {"arn": arn, "type": ca.get("Type"), "status": ca.get("Status"),
                "key_algorithm": cfg.get("KeyAlgorithm")}

    def csr(self, arn: str, client=None) -> str:
        """The CA's CSR (PEM), as GetCertificateAuthorityCsr returns it."""
        return self._call(client or self.client(), "GetCertificateAuthorityCsr", arn)["Csr"]

    def current(self, arn: str, status: str, client=None) -> tuple[str | None, str | None]:
        """The canonical certificate and chain the CA holds now, or (None, None) before its first import."""
        if status in ("PENDING_CERTIFICATE", "CREATING", "FAILED", "DELETED"):
            return None, None
        got = self._call(client or self.client(), "GetCertificateAuthorityCertificate", arn)
        return canonical_pem(got.get("Certificate")), canonical_pem(got.get("CertificateChain"))

    def live(self, arn: str) -> dict[str, Any] | None:
        """What the CA holds now (for refresh), or None when the CA is gone (deleted or not found)."""
        client = self.client()
        try:
            ca = self.describe(arn, client)
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return None
            raise
        if ca["status"] == "DELETED":
            return None
        cert, chain = self.current(arn, ca["status"], client)
        out = {"status": ca["status"], "ca_type": ca["type"], "key_algorithm": ca["key_algorithm"],
               "certificate": cert, "certificate_chain": chain}
        if cert:
            out.update(_cert_facts(cert))
        return out

    def status(self, arn: str) -> dict[str, Any]:
        """For `pca-import status`: the CA, what it holds, and days left."""
        live = self.live(arn)
        if live is None:
            raise AwsError(f"AWS Private CA {arn}: the CA is deleted or does not exist", "ResourceNotFoundException")
        out = {"arn": arn, "type": live["ca_type"], **live}
        if live.get("not_after"):
            left = dt.datetime.fromisoformat(live["not_after"]) - clock.now()
            out["days_left"] = left.days
        return out

    # ---- the import --------------------------------------------------------------------------------

    def preflight(self, arn: str, certificate, chain, *, profile: str = DEFAULT_PROFILE,
                  expiry_warning_days: int = 30, client=None, fetch_held: bool = True
                  ) -> tuple[Report, dict[str, Any], tuple]:
        """Describe the CA, fetch its CSR (and, unless `fetch_held` is False, what it holds now), and run
        every rule with them."""
        client = client or self.client()
        ca = self.describe(arn, client)
        csr = None
        if ca["status"] not in ("CREATING", "FAILED", "DELETED"):
            csr = self.csr(arn, client)
        held = self.current(arn, ca["status"], client) if fetch_held else (None, None)
        report = validate_import(certificate, chain, csr=csr, ca_type=ca["type"], ca_status=ca["status"],
                                 profile=profile, expiry_warning_days=expiry_warning_days)
        return report, ca, held

    def import_certificate(self, arn: str, certificate, chain=None, *, profile: str = DEFAULT_PROFILE,
                           expiry_warning_days: int = 30, adopt_only_if_same: bool = True) -> dict[str, Any]:
        """Validate against the live CA, import (unless it already holds exactly this), read back.

        `adopt_only_if_same` (create): a CA holding a *different* certificate is an error that explains
        how to adopt or renew; False (update/renewal): a different certificate is replaced in place.
        """
        client = self.client()
        report, ca, (held_cert, held_chain) = self.preflight(arn, certificate, chain, profile=profile,
                                                              expiry_warning_days=expiry_warning_days, client=client)
        if not report.ok:
            raise AwsError(f"AWS Private CA {arn}: the certificate is not importable into this {ca['type']} CA "
                           f"({ca['status']}); nothing was sent:\n" + report.to_text(), "Rules", report)
        imported = False
        if held_cert is not None and held_cert == report.certificate and (held_chain or None) == report.certificate_chain:
            pass  # already holds exactly this: a retried apply or an adopted CA — no call
        elif held_cert is not None and adopt_only_if_same:
            f = _cert_facts(held_cert)
            raise AwsError(
                f"AWS Private CA {arn} already holds a different CA certificate ({f['subject']}, serial {f['serial']}, "
                f"expires {f['not_after']}). To adopt this CA, set `certificate` (and `certificate_chain`) to what it "
                f"holds — `pca-import status --ca-arn {arn}` or `aws acm-pca get-certificate-authority-certificate` "
                "prints it — and run `pulumi up`; then change `certificate` to renew in place.", "Held")
        else:
            kwargs = {"Certificate": report.certificate.encode()}
            if report.certificate_chain:
                kwargs["CertificateChain"] = report.certificate_chain.encode()
            self._call(client, "ImportCertificateAuthorityCertificate", arn, **kwargs)
            imported = True
        after = self.describe(arn, client) if imported else ca
        live_cert, live_chain = self.current(arn, after["status"], client) if imported else (held_cert, held_chain)
        out = {"imported": imported, "status": after["status"], "ca_type": after["type"],
               "key_algorithm": after["key_algorithm"], "certificate": live_cert, "certificate_chain": live_chain,
               "warnings": [f.to_text() for f in report.warnings]}
        out.update(_cert_facts(live_cert))
        return out

    def disable(self, arn: str) -> str:
        """Disable the CA (on_delete=disable). Returns what happened; a CA already gone is not an error."""
        client = self.client()
        try:
            ca = self.describe(arn, client)
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return "gone"
            raise
        if ca["status"] in ("DELETED", "DISABLED"):
            return ca["status"].lower()
        if ca["status"] != "ACTIVE":
            return f"left {ca['status']}"
        self._call(client, "UpdateCertificateAuthority", arn, Status="DISABLED")
        return "disabled"

    # ---- the region's CAs (for `pca-import tree --from-aws`) --------------------------------------

    def list_cas(self) -> list[dict[str, Any]]:
        """Every CA in the region with the certificate it holds (None before its first import)."""
        client = self.client()
        out = []
        try:
            pages = client.get_paginator("list_certificate_authorities").paginate()
            listed = [ca for page in pages for ca in page.get("CertificateAuthorities", [])]
        except Exception as exc:  # noqa: BLE001 - translated for the user
            raise translate(exc, "(all CAs in the region)", "ListCertificateAuthorities") from None
        for ca in listed:
            arn, status = ca["Arn"], ca.get("Status")
            cfg = ca.get("CertificateAuthorityConfiguration", {})
            cert, _chain = self.current(arn, status, client)
            out.append({"arn": arn, "type": ca.get("Type"), "status": status, "key_algorithm": cfg.get("KeyAlgorithm"),
                        "name": (cfg.get("Subject") or {}).get("CommonName"), "certificate": cert})
        return out
