"""The rule registry: one rule = one small function plus its metadata as data.

A rule receives the shared `Facts` and yields `(severity_or_None, message, location)` tuples; the engine
turns them into `Finding`s carrying the rule's code and citation. Yielding None as severity means
"the rule's default severity for this profile".

Everything about a rule is declared with it: the quote it enforces, the kind of `source` that quote comes from,
the `aws_exception` AWS raises for a violation (None for warnings and for checks AWS does not make), and the facts
it `needs` — the engine, not an adapter, knows which rules could not run and says so in `Report.not_checked`.
"""
from __future__ import annotations

from typing import Callable, Iterable

from pca_import.core.report import ERROR, NOTICE, WARNING, Emission, Severity  # noqa: F401 (re-exported for rules)

Emit = Emission  # what a rule yields: (severity | None, message, location); a plain 3-tuple is read the same way

SOURCES = {
    "aws-api": "AWS API reference, ImportCertificateAuthorityCertificate",
    "aws-guide": "AWS Private CA user guide",
    "rfc5280": "RFC 5280",
    "operational": "pca-import (operational advice, not an AWS rule)",
}
AWS_EXCEPTIONS = ("MalformedCertificateException", "CertificateMismatchException", "InvalidStateException",
                  "ValidationException")
NEEDS = ("raw", "certificate", "chain", "chain_known", "csr", "status")  # raw: the inputs before parsing


class Rule:
    """A rule's metadata (code, severity, title, quote, source, AWS exception, needs) and its check function."""

    __slots__ = ("code", "severity", "title", "citation", "check", "needs", "profile_severity", "source",
                 "aws_exception")

    def __init__(self, code: str, severity: str, title: str, citation: str, check: Callable[..., Iterable[Emit]],
                 needs: tuple[str, ...] = (), profile_severity: dict[str, str] | None = None,
                 source: str = "aws-api", aws_exception: str | None = None) -> None:
        if source not in SOURCES:
            raise RuntimeError(f"rule {code}: unknown source {source!r}")
        if aws_exception is not None and aws_exception not in AWS_EXCEPTIONS:
            raise RuntimeError(f"rule {code}: unknown AWS exception {aws_exception!r}")
        if not set(needs) <= set(NEEDS):
            raise RuntimeError(f"rule {code}: unknown need in {needs!r}")
        self.code, self.severity, self.title, self.citation = code, Severity(severity), title, citation
        self.check, self.needs = check, frozenset(needs)
        self.profile_severity = {p: Severity(s) for p, s in (profile_severity or {}).items()}
        self.source, self.aws_exception = source, aws_exception

    def severity_for(self, profile: str) -> Severity:
        return self.profile_severity.get(profile, self.severity)


RULES: list[Rule] = []
BY_CODE: dict[str, Rule] = {}


def rule(code: str, severity: str, title: str, citation: str, needs: tuple[str, ...] = (),
         profile_severity: dict[str, str] | None = None, *, source: str, aws_exception: str | None):
    """Register a rule. `needs` names facts that must be present for the rule to apply:
    `certificate` (parsed imported certificate), `chain` (a parsed, non-empty chain), `chain_known` (the chain,
    given or absent, is known — not a value a preview or plan will only know after apply), `csr`, `status`."""

    def deco(fn):
        if code in BY_CODE:
            raise RuntimeError(f"duplicate rule code {code}")
        r = Rule(code, severity, title, citation.strip(), fn, needs, profile_severity or {}, source, aws_exception)
        RULES.append(r)
        BY_CODE[code] = r
        return fn

    return deco

