"""The rule engine: run every rule against one import request and collect every finding.

Pure: bytes and facts in, a `Report` out. No boto3, no pulumi, no I/O.
"""
from __future__ import annotations

import datetime as dt

from pca_import.core.facts import Facts
from pca_import.core.report import ERROR, Finding, Report
from pca_import.core.rules import RULES
from pca_import.core.rules.registry import SOURCES
from pca_import.core.spec import DEFAULT_EXPIRY_WARNING_DAYS, MAX_WARNING_DAYS  # noqa: F401 (re-exported)
from pca_import.core.spec import MAX_CERTIFICATE_BYTES as MAX_CERTIFICATE, MAX_CHAIN_BYTES as MAX_CHAIN
from pca_import.errors import InputError

PROFILES = ("default", "strict")
DEFAULT_PROFILE = "default"
CRASH_CODE = "FATAL"

# Inputs larger than this are refused before any parsing: even with CRLF line ends and comments between
# blocks, such a text cannot fit AWS's limit once canonical (SIZE001/SIZE002 measure the canonical bytes).
RAW_LIMITS = {"certificate": 4 * MAX_CERTIFICATE, "chain": 4 * MAX_CHAIN, "csr": 1024 * 1024}
NEED_REASONS = {"certificate": "no readable certificate", "chain": "the chain is not readable",
                "csr": "no CSR: pass the CA's CSR (--csr), or check against the live CA",
                "status": "the CA's status is known only against the live CA (import --dry-run, pulumi preview)",
                "chain_known": "the certificate chain is known only after apply",
                "chain_over_limit": "the chain is over AWS's 2 MB limit (SIZE002): cut it to the certificate's "
                                    "issuers, then its order is checked"}


def _available(f: Facts) -> frozenset[str]:
    """Which facts the rules' `needs` can rely on for this request."""
    have = []
    if f.cert is not None:
        have.append("certificate")
    if f.chain and f.chain_parsed:
        have.append("chain")
    elif f.chain_over_limit:
        have.append("chain_over_limit")
    if f.csr_bytes:
        have.append("csr")
    if f.ca_status:
        have.append("status")
    return frozenset(have)



def validate_import(certificate: bytes | str | None, chain: bytes | str | None = None, *,
                    csr: bytes | str | None = None, ca_type: str | None = None, ca_status: str | None = None,
                    profile: str = DEFAULT_PROFILE, now: dt.datetime | None = None,
                    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS, chain_known: bool = True) -> Report:
    """Check an ImportCertificateAuthorityCertificate request against every rule AWS applies.

    `chain_known` False: the chain is a value known only later (a preview, a plan), so the rules about a chain
    being present or absent wait (listed in `Report.not_checked`).
    `ca_type` None infers ROOT for a self-signed certificate, else SUBORDINATE. `csr` is the CA's CSR
    (enables the key-match rules); `ca_status` the CA's current status (enables the status rules).
    Every rule runs; a rule that raises becomes a `FATAL` finding instead of a traceback.
    """
    if isinstance(expiry_warning_days, bool) or not isinstance(expiry_warning_days, int) or not (
            0 <= expiry_warning_days <= MAX_WARNING_DAYS):
        raise InputError(f"expiry warning days must be a whole number from 0 to {MAX_WARNING_DAYS}, "
                         f"not {expiry_warning_days!r}")
    if profile not in PROFILES:
        raise InputError(f"unknown rule profile {profile!r}: use one of {', '.join(PROFILES)}")
    if ca_type is not None and ca_type.upper() not in ("ROOT", "SUBORDINATE"):
        raise InputError(f"unknown CA type {ca_type!r}: use ROOT or SUBORDINATE")
    oversized = _oversized(certificate=certificate, chain=chain, csr=csr)
    if oversized:
        return Report(findings=oversized, ca_type=ca_type.upper() if ca_type else None)
    f = Facts.build(certificate, chain, csr=csr, ca_type=ca_type, ca_status=ca_status, profile=profile,
                    now=now, expiry_warning_days=expiry_warning_days)
    findings: list[Finding] = []
    not_checked: list[tuple[str, str]] = []
    have = _available(f) | ({"chain_known"} if chain_known else frozenset())
    for r in RULES:
        if not r.needs <= have:
            # "not checked" is what the user could have given but did not (or gave unreadable): a root with no
            # chain or a request with no certificate at all are verdicts of other rules, not gaps
            missing = r.needs - have - ({"chain"} if not f.chain_given and chain_known else set()) - {"certificate"}
            if not chain_known and "chain" in missing:
                missing = (missing - {"chain"}) | {"chain_known"}
            if "chain_over_limit" in have and "chain" in missing:
                missing = (missing - {"chain"}) | {"chain_over_limit"}
            missing = sorted(missing)
            if missing and (f.cert is not None):
                not_checked.append((r.code, "; ".join(NEED_REASONS[m] for m in missing)))
            continue
        try:
            for severity, message, location in r.check(f):
                findings.append(Finding.of(r.code, severity or r.severity_for(profile), message, location, r.citation))
        except Exception as exc:  # a broken rule must never become a user's traceback
            findings.append(Finding.of(CRASH_CODE, ERROR,
                                    f"rule {r.code} ({r.title}) crashed: {type(exc).__name__}: {exc} — "
                                    "please report this; the import was not checked by this rule",
                                    "engine", r.citation))
    report = Report(findings=findings, ca_type=f.ca_type if f.cert is not None else f.requested_type,
                    certificate=(f.canonical_certificate or b"").decode() or None,
                    certificate_chain=(f.canonical_chain or b"").decode() or None)
    report.not_checked = not_checked
    report.attach_certificate(f.cert, len(f.chain))
    return report


def _oversized(**inputs) -> list[Finding]:
    """SIZE003: inputs too large for AWS to ever accept, refused before parsing (a 100 MB paste costs nothing)."""
    out = []
    for where, data in inputs.items():
        if data is None:
            continue
        size = len(data)  # a str's UTF-8 length is at least its length in characters: enough to refuse
        if isinstance(data, str) and RAW_LIMITS[where] // 4 < size <= RAW_LIMITS[where]:
            size = len(data.encode("utf-8", "surrogateescape"))
        if size > RAW_LIMITS[where]:
            out.append(Finding.of("SIZE003", ERROR,
                               f"{where} is {size} bytes, over the {RAW_LIMITS[where]} bytes pca-import reads "
                               f"(AWS accepts at most {MAX_CERTIFICATE} for the certificate and {MAX_CHAIN} for the chain): it was not "
                               "parsed — pass only the CA certificate and its issuers", where,
                               "The maximum allowed size of a certificate is 32 KB; of a certificate chain, 2 MB."))
    return out


def catalogue() -> list[dict[str, str]]:
    """Every rule's code, default severity, strict-profile severity, title and citation."""
    out = []
    for r in RULES:
        out.append({"code": r.code, "severity": r.severity, "strict_severity": r.severity_for("strict"),
                    "title": r.title, "citation": r.citation, "source": SOURCES[r.source],
                    "aws_exception": r.aws_exception, "needs": sorted(r.needs)})
    out.append({"code": CRASH_CODE, "severity": ERROR, "strict_severity": ERROR,
                "title": "A rule crashed (reported instead of a traceback)", "citation": "pca-import engine",
                "source": SOURCES["operational"], "aws_exception": None, "needs": []})
    return out
