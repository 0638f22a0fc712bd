"""The emulator's call counter, as tests and benchmarks read it."""
from __future__ import annotations

from pca_import.devtools.local_pulumi import Emulator

class Calls:
    """Counts of API calls seen by the emulator since the last reset."""

    def __init__(self, url: str):
        self._emulator = Emulator(url)  # attaches to the running one

    def reset(self) -> None:
        self._emulator.reset_calls()

    def get(self) -> dict[str, int]:
        return self._emulator.calls()
