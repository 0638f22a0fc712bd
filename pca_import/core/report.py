"""Findings and the report the rule engine returns; text and JSON renderings."""
from __future__ import annotations

import json
import re
from enum import Enum
from typing import Any, NamedTuple


class Severity(str, Enum):
    """How much a finding matters: an error stops the import; a warning is shown; a notice is advice."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    def __str__(self) -> str:
        return self.value


ERROR, WARNING, NOTICE = Severity.ERROR, Severity.WARNING, Severity.NOTICE
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, NOTICE: 2}
_LOCATION = re.compile(r"(?P<part>[a-z_]+)(?:\[(?P<index>\d+)\])?(?=$| )")  # `chain[2]`, `chain block 3`


class Location(str):
    """Where a finding is: `certificate`, `chain[2]`, `csr`, `ca`, `engine` — text as shown, parts as data.

    `part` is the input (`certificate`, `chain`, `csr`, …) and `position` the index in the chain (or None), so
    adapters map a finding to an input or rename the chain without parsing strings back."""

    part: str
    position: int | None

    def __new__(cls, text: str) -> Location:
        if isinstance(text, Location):
            return text
        self = super().__new__(cls, text)
        m = _LOCATION.match(text)
        self.part = m.group("part") if m else text
        self.position = int(m.group("index")) if m and m.group("index") is not None else None
        return self

    @classmethod
    def chain(cls, index: int) -> Location:
        return cls(f"chain[{index}]")

    def renamed(self, part: str) -> str:
        """The same place under another input name (a policy pack shows `certificateChain[1]`)."""
        return part + self[len(self.part):]


class Emission(NamedTuple):
    """What a rule yields: a severity (None: the rule's own for the profile), the message and the place."""

    severity: Severity | None
    message: str
    location: str


def _natural(location: str) -> list:
    """`chain[2]` sorts before `chain[10]`."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", location)]


class Finding(NamedTuple):
    """One problem: a stable rule code, its severity, a message that names the fix, and where it is."""

    code: str
    severity: Severity
    message: str
    location: Location
    citation: str = ""

    @classmethod
    def of(cls, code: str, severity: Severity | str, message: str, location: str, citation: str = "") -> Finding:
        """A finding with its severity and location typed (what the engine builds)."""
        return cls(code, Severity(severity), message, Location(location), citation)

    def to_dict(self) -> dict[str, str]:
        d = dict(self._asdict())
        d["severity"], d["location"] = str(self.severity), str(self.location)
        return d

    def to_text(self) -> str:
        return f"{self.severity.upper():7} {self.code} {self.location}: {self.message}"


class Report:
    """The result of validating one import: findings plus the facts the adapters need."""

    def __init__(self, findings: list[Finding] | None = None, certificate: str | None = None,
                 certificate_chain: str | None = None, ca_type: str | None = None) -> None:
        self.findings: list[Finding] = findings if findings is not None else []
        self.certificate = certificate              # canonical PEM that would be sent
        self.certificate_chain = certificate_chain  # canonical PEM chain that would be sent
        self.ca_type = ca_type                      # ROOT or SUBORDINATE (given or inferred)
        self.not_checked: list[tuple[str, str]] = []  # (rule code, why it could not run)
        self.validity: list[tuple[str, str, Any]] = []  # (label, location, not_after) of each parsed certificate
        self._cert: Any = None
        self._chain_length = 0

    def attach_certificate(self, cert, chain_length: int) -> None:
        self._cert, self._chain_length = cert, chain_length

    @property
    def facts(self) -> dict[str, Any]:
        """Subject, issuer, serial, validity, fingerprint and Private CA key algorithm (or "none") of the imported
        certificate (computed on demand)."""
        c = self._cert
        if c is None:
            return {}
        from pca_import.core.facts import certificate_facts, short_name
        from pca_import.core.keys import ca_key
        try:
            key_algorithm = ca_key(c.tbs_certificate_bytes).algorithm or "none"
        except Exception:  # noqa: BLE001 - an unreadable key is ENC007's finding; the facts stay available
            key_algorithm = "unreadable"
        return {**certificate_facts(c), "subject_short": short_name(c.subject), "chain_length": self._chain_length,
                "key_algorithm": key_algorithm}

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (SEVERITY_ORDER[f.severity], _natural(f.location), f.code))

    def verdict(self) -> dict[str, Any]:
        """What a program needs to show this judgement's warnings again without judging again (kept in state by
        the import resource): the warnings and notices the inputs decide (and, judged against the live CA, its CSR,
        which does not change: KEY002), and each certificate's end, from which VAL003 (time) is computed afresh.
        Status-dependent findings (STAT) are left out: the status is drift, which a refresh reads."""
        return {"findings": [{"code": f.code, "severity": str(f.severity), "location": str(f.location),
                              "message": f.message} for f in self.sorted_findings()
                             if f.severity in (WARNING, NOTICE) and f.code != "VAL003" and not f.code.startswith("STAT")],
                "validity": [[label, location, end.isoformat()] for label, location, end in self.validity]}

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [f.to_dict() for f in self.sorted_findings()],
                "not_checked": [{"code": c, "reason": r} for c, r in self.not_checked]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines = [f.to_text() for f in self.sorted_findings()]
        n_err, n_warn = len(self.errors), len(self.warnings)
        verdict = "importable" if self.ok else "NOT importable"
        kind = f" as {self.ca_type}" if self.ca_type else ""
        by_reason: dict[str, list[str]] = {}
        for code, why in self.not_checked:
            by_reason.setdefault(why, []).append(code)
        for why, rule_codes in by_reason.items():
            lines.append(f"not checked: {', '.join(rule_codes)} — {why}")
        lines.append(f"{verdict}{kind}: {n_err} error(s), {n_warn} warning(s)")
        return "\n".join(lines)
