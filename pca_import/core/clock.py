"""The current time, from one place.

Rules, expiry warnings, `status`, `tree` and renewal decisions read the time here. Tests (and a person
rehearsing a renewal) may set `PCA_IMPORT_NOW` to an ISO 8601 instant (`2031-10-01T00:00:00Z`) in the program
and provider processes; nothing else about the clock is faked. It is a testing aid: never set it in production.
"""
from __future__ import annotations

import datetime as dt
import os
from pca_import.errors import ClockError  # noqa: F401 (defined with the other errors)

ENV = "PCA_IMPORT_NOW"


def now() -> dt.datetime:
    """The current UTC time, or PCA_IMPORT_NOW when set (a naive value is read as UTC)."""
    raw = os.environ.get(ENV)
    if not raw:
        return dt.datetime.now(dt.timezone.utc)
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(f"{ENV}={raw!r} is not an ISO 8601 time such as 2031-10-01T00:00:00Z: fix or unset it") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
