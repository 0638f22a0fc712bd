"""The one place pca-import writes a progress or advisory line: `pca-import: <message>` on stderr.

Beside `errors.py` at the bottom of the layers. Inside a dynamic provider `pulumi.log` cannot be used (it does not
pickle) and stderr reaches the engine's output; in the CLI, the terminal. Never pass key material or a PIN here.
"""
from __future__ import annotations

import sys


def note(message: str) -> None:
    print(f"pca-import: {message}", file=sys.stderr, flush=True)
