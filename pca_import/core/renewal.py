"""When a CA certificate renews, and for how long its successor may be valid.

Pure: times and numbers in, a decision out. The providers (ca_resources.py, offline_signer.py) and the
hierarchy program read `clock.now()` and ask here; the rules of the game are AWS's:

* a CA renews when its certificate ends within `renew_before_days` of now (0: only once it has expired);
* a certificate never outlives its issuer — AWS refuses to issue past the issuing CA's own `NotAfter`
  (ValidationException) — so a subordinate's validity is capped at its issuer's `not_after`;
* a renewal that the cap would leave inside its own window again (the issuer ends too soon) is not made:
  it would re-issue at every `up`. The CA waits for its issuer to renew, and the preview says so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pca_import.core.spec import DEFAULT_RENEW_BEFORE_DAYS  # noqa: F401 (re-exported)


def _day(t: dt.datetime) -> str:
    return t.date().isoformat()


@dataclass(frozen=True)
class Decision:
    """Whether a certificate renews now, and the sentence that says why (or why not)."""

    due: bool
    reason: str


def renewal_due(not_after: dt.datetime | None, now: dt.datetime, renew_before_days: int) -> Decision:
    """Due when `not_after` is within `renew_before_days` of `now` (or past)."""
    if not_after is None:
        return Decision(False, "no certificate yet")
    left = not_after - now
    if left <= dt.timedelta(0):
        return Decision(True, f"expired {_day(not_after)}")
    if left <= dt.timedelta(days=renew_before_days):
        return Decision(True, f"expires {_day(not_after)}, within renewBeforeDays {renew_before_days}")
    return Decision(False, f"expires {_day(not_after)}, renews from "
                           f"{_day(not_after - dt.timedelta(days=renew_before_days))}")


@dataclass(frozen=True)
class Validity:
    """The end a new certificate gets: `now + days`, capped at the issuer's `not_after`."""

    end: dt.datetime
    capped: bool
    days: int

    def describe(self) -> str:
        if self.capped:
            return (f"validity {self.days} days capped at its issuer's expiry {_day(self.end)} "
                    "(a certificate cannot outlive its issuer)")
        return f"validity {self.days} days (until {_day(self.end)})"


def new_validity(now: dt.datetime, validity_days: int, issuer_not_after: dt.datetime | None) -> Validity:
    """The NotAfter to ask for: whole seconds (X.509 time), never after the issuer's own `not_after`."""
    end = (now + dt.timedelta(days=validity_days)).replace(microsecond=0)
    if issuer_not_after is not None and end > issuer_not_after:
        return Validity(issuer_not_after.replace(microsecond=0), True, validity_days)
    return Validity(end, False, validity_days)


def issuer_too_short(now: dt.datetime, issuer_not_after: dt.datetime | None, renew_before_days: int) -> str | None:
    """Why a renewal issued now would be pointless (the capped certificate would be due again at once), or None."""
    if issuer_not_after is None:
        return None
    if issuer_not_after <= now:
        return f"its issuer expired {_day(issuer_not_after)}: AWS issues nothing past the issuer's expiry"
    if issuer_not_after - now <= dt.timedelta(days=renew_before_days):
        return (f"its issuer expires {_day(issuer_not_after)}, within its renewBeforeDays {renew_before_days}: "
                "AWS refuses a validity past the issuer, so a certificate issued now would be due again at once")
    return None


def end_date_value(end: dt.datetime) -> int:
    """`Validity={"Type": "END_DATE", "Value": ...}` for IssueCertificate: YYYYMMDDHHMMSS in UTC."""
    return int(end.astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M%S"))
