"""When a certificate of an import comes close to its end (VAL003), from dates alone.

Pure and light (no cryptography): the rule engine judges a parsed chain with it, and a program shows the warning
for an import judged at an earlier apply from the dates that judgement kept (`verdict`), without parsing again.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable


def expiring(path: Iterable[tuple[str, str, dt.datetime]], now: dt.datetime,
             warning_days: int) -> list[tuple[str, str]]:
    """(message, location) for each (label, location, not_after) of the path that ends within `warning_days`."""
    horizon = now + dt.timedelta(days=warning_days)
    found = []
    for label, location, not_after in path:
        if now <= not_after < horizon:
            days = (not_after - now).days
            found.append((f"{label} expires in {days} day(s), on {not_after:%Y-%m-%d}: plan its renewal "
                          f"(threshold {warning_days} days)", location))
    return found


def kept_path(verdict: Any) -> list[tuple[str, str, dt.datetime]] | None:
    """The (label, location, not_after) a stored verdict kept; None when it is not one this version wrote."""
    try:
        return [(str(label), str(location), dt.datetime.fromisoformat(end))
                for label, location, end in verdict["validity"]]
    except (TypeError, KeyError, ValueError):
        return None
