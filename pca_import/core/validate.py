"""The rule engine: run every rule against one import request and collect every finding.

Pure: bytes and facts in, a `Report` out. No boto3, no pulumi, no I/O.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pca_import.core.facts import Facts
from pca_import.core.report import ERROR, Finding, Report
from pca_import.core.rules import RULES
from pca_import.core.rules.registry import SOURCES
from pca_import.core.spec import (CA_TYPES, DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_PROFILE, MAX_WARNING_DAYS,  # noqa: F401
                                  PROFILES)  # (re-exported)
from pca_import.errors import InputError

CRASH_CODE = "FATAL"

from pca_import.core.rules.size import RAW_LIMITS  # noqa: E402,F401 (re-exported)
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
    if ca_type is not None and ca_type.upper() not in CA_TYPES:
        raise InputError(f"unknown CA type {ca_type!r}: use ROOT or SUBORDINATE")
    oversized = _run_raw_rules({"certificate": certificate, "chain": chain, "csr": csr}, profile)
    if oversized:
        return Report(findings=oversized, ca_type=ca_type.upper() if ca_type else None)
    f = Facts.build(certificate, chain, csr=csr, ca_type=ca_type, ca_status=ca_status, profile=profile,
                    now=now, expiry_warning_days=expiry_warning_days)
    findings: list[Finding] = []
    not_checked: list[tuple[str, str]] = []
    have = _available(f) | ({"chain_known"} if chain_known else frozenset())
    for r in RULES:
        if "raw" in r.needs:
            continue  # ran before parsing
        if not r.needs <= have:
            # "not checked" is what the user could have given but did not (or gave unreadable): a root with no
            # chain or a request with no certificate at all are verdicts of other rules, not gaps
            missing = r.needs - have - ({"chain"} if not f.chain_given and chain_known else set()) - {"certificate"}
            if not chain_known and "chain" in missing:
                missing = (missing - {"chain"}) | {"chain_known"}
            if "chain_over_limit" in have and "chain" in missing:
                missing = (missing - {"chain"}) | {"chain_over_limit"}
            if missing and (f.cert is not None):
                not_checked.append((r.code, "; ".join(NEED_REASONS[m] for m in sorted(missing))))
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
    try:
        report.validity = [(c.label, c.location, c.not_after()) for c in f.parsed_path]
    except Exception:  # noqa: BLE001 - a date cryptography cannot give: VAL001/ENC007 say why; nothing to keep
        report.validity = []
    report.attach_certificate(f.cert, len(f.chain))
    return report




def _run_raw_rules(raw: dict, profile: str) -> list[Finding]:
    """The rules that judge the inputs before anything is parsed (SIZE003)."""
    return [Finding.of(r.code, severity or r.severity_for(profile), message, location, r.citation)
            for r in RULES if "raw" in r.needs for severity, message, location in r.check(raw)]


def catalogue() -> list[dict[str, Any]]:
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
