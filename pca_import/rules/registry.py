"""The rule registry: one rule = one small function plus its metadata as data.

A rule receives the shared `Facts` and yields `(severity_or_None, message, location)` tuples; the engine
turns them into `Finding`s carrying the rule's code and citation. Yielding None as severity means
"the rule's default severity for this profile".
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..report import ERROR, NOTICE, WARNING  # noqa: F401  (re-exported for rule modules)

Emit = tuple  # (severity | None, message, location)


class Rule:
    """A rule's metadata (code, severity, title, citation, needs) and its check function."""

    __slots__ = ("code", "severity", "title", "citation", "check", "needs", "profile_severity")

    def __init__(self, code: str, severity: str, title: str, citation: str, check: Callable[..., Iterable[Emit]],
                 needs: tuple[str, ...] = (), profile_severity: dict[str, str] | None = None) -> None:
        self.code, self.severity, self.title, self.citation = code, severity, title, citation
        self.check, self.needs, self.profile_severity = check, frozenset(needs), profile_severity or {}

    def severity_for(self, profile: str) -> str:
        return self.profile_severity.get(profile, self.severity)


RULES: list[Rule] = []


def rule(code: str, severity: str, title: str, citation: str, needs: tuple[str, ...] = (),
         profile_severity: dict[str, str] | None = None):
    """Register a rule. `needs` names facts that must be present for the rule to apply:
    `certificate` (parsed imported certificate), `chain` (a parsed, non-empty chain), `csr`, `status`."""

    def deco(fn):
        if any(r.code == code for r in RULES):
            raise RuntimeError(f"duplicate rule code {code}")
        RULES.append(Rule(code, severity, title, citation.strip(), fn, needs, profile_severity or {}))
        return fn

    return deco
