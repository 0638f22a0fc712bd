"""The rule engine: run every rule against one import request and collect every finding.

Pure: bytes and facts in, a `Report` out. No boto3, no pulumi, no I/O.
"""
from __future__ import annotations

import datetime as dt

from .facts import Facts
from .report import ERROR, Finding, Report
from .rules import RULES

PROFILES = ("default", "strict")
DEFAULT_PROFILE = "default"
CRASH_CODE = "FATAL"


def _available(f: Facts) -> frozenset[str]:
    """Which facts the rules' `needs` can rely on for this request."""
    have = []
    if f.cert is not None:
        have.append("certificate")
    if f.chain and f.chain_parsed:
        have.append("chain")
    if f.csr_bytes:
        have.append("csr")
    if f.ca_status:
        have.append("status")
    return frozenset(have)



def validate_import(certificate: bytes | str | None, chain: bytes | str | None = None, *,
                    csr: bytes | str | None = None, ca_type: str | None = None, ca_status: str | None = None,
                    profile: str = DEFAULT_PROFILE, now: dt.datetime | None = None,
                    expiry_warning_days: int = 30) -> Report:
    """Check an ImportCertificateAuthorityCertificate request against every rule AWS applies.

    `ca_type` None infers ROOT for a self-signed certificate, else SUBORDINATE. `csr` is the CA's CSR
    (enables the key-match rules); `ca_status` the CA's current status (enables the status rules).
    Every rule runs; a rule that raises becomes a `FATAL` finding instead of a traceback.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown rule profile {profile!r}: use one of {', '.join(PROFILES)}")
    if ca_type is not None and ca_type.upper() not in ("ROOT", "SUBORDINATE"):
        raise ValueError(f"unknown CA type {ca_type!r}: use ROOT or SUBORDINATE")
    f = Facts.build(certificate, chain, csr=csr, ca_type=ca_type, ca_status=ca_status, profile=profile,
                    now=now, expiry_warning_days=expiry_warning_days)
    findings: list[Finding] = []
    have = _available(f)
    for r in RULES:
        if not r.needs <= have:
            continue
        try:
            for severity, message, location in r.check(f):
                findings.append(Finding(r.code, severity or r.severity_for(profile), message, location, r.citation))
        except Exception as exc:  # a broken rule must never become a user's traceback
            findings.append(Finding(CRASH_CODE, ERROR,
                                    f"rule {r.code} ({r.title}) crashed: {type(exc).__name__}: {exc} — "
                                    "please report this; the import was not checked by this rule",
                                    "engine", r.citation))
    report = Report(findings=findings, ca_type=f.ca_type if f.cert is not None else f.requested_type,
                    certificate=(f.canonical_certificate or b"").decode() or None,
                    certificate_chain=(f.canonical_chain or b"").decode() or None)
    report.attach_certificate(f.cert, len(f.chain))
    return report


def catalogue() -> list[dict[str, str]]:
    """Every rule's code, default severity, strict-profile severity, title and citation."""
    out = []
    for r in RULES:
        out.append({"code": r.code, "severity": r.severity, "strict_severity": r.severity_for("strict"),
                    "title": r.title, "citation": r.citation})
    out.append({"code": CRASH_CODE, "severity": ERROR, "strict_severity": ERROR,
                "title": "A rule crashed (reported instead of a traceback)", "citation": "pca-import engine"})
    return out
