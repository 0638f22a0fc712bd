"""Errors from dynamic providers shown as their message alone, not as a Python traceback.

The Python dynamic-provider host reports any exception with `traceback.format_exc()`. When pca-import's
providers run inside that host, this module swaps the host's `traceback` reference for a shim that renders
an `ActionableError` (see `errors.py`: AWS errors, refusals, hierarchy mistakes) as its message, which already
names the CA, the step and the fix; every other exception keeps its full traceback, since that is a bug.
"""
from __future__ import annotations

import sys

from pca_import.errors import ActionableError, ProviderError  # noqa: F401 (ProviderError re-exported)


class _TracebackShim:
    def __init__(self, real):
        self._real = real

    def __getattr__(self, item):
        return getattr(self._real, item)

    def format_exc(self, *args, **kwargs):
        exc = sys.exc_info()[1]
        if isinstance(exc, ActionableError):
            return str(exc)
        return self._real.format_exc(*args, **kwargs)


def install() -> None:
    """Idempotent; a no-op outside the dynamic-provider host."""
    host = sys.modules.get("__main__")
    if host is None or not hasattr(host, "_abort_with_traceback") or not hasattr(host, "traceback"):
        return
    if not isinstance(host.traceback, _TracebackShim):
        host.traceback = _TracebackShim(host.traceback)


install()
