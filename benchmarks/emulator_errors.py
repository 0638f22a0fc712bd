"""How the emulator answers malformed requests: the cases of tests/test_emulator.py (MALFORMED), sent over raw
HTTP, tallied as the right AWS error, another answer, or an HTML 500.

    python benchmarks/emulator_errors.py [URL]     # a fresh emulator unless URL is given
"""
from __future__ import annotations

import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "support"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "emulator"))

from pca_import.devtools.local_pulumi import Emulator  # noqa: E402


def main() -> None:
    emu = Emulator(sys.argv[1] if len(sys.argv) > 1 else None)
    os.environ.update(emu.aws_env)
    import test_emulator as t  # the cases and the raw HTTP client
    try:
        ctx = t.Ctx()
        tally: collections.Counter = collections.Counter()
        for case_id, action, body, expected in t.MALFORMED:
            status, ctype, doc = t.raw_call(emu.url, action, body(ctx) if callable(body) else body)
            got = doc.get("__type") if isinstance(doc, dict) else None
            if status == 400 and got == expected:
                verdict = "right AWS error"
            elif status == 500 and "html" in ctype:
                verdict = "HTML 500"
            else:
                verdict = f"other ({status} {got or ctype.split(';')[0]})"
            tally[verdict] += 1
            print(f"{case_id:44} {status} {got or ctype.split(';')[0]:32} want {expected}")
        print(f"\n{len(t.MALFORMED)} malformed requests: " + ", ".join(f"{n} {v}" for v, n in tally.most_common()))
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
