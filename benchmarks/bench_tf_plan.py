"""`pca-import tf-plan` on a plan with 100 CA certificates (3-tier chains), in process and as a command.

Prints figures; asserts nothing about speed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "support"))

from certfactory import ca, chain  # noqa: E402
from pca_import.integrations.tf_plan import check_plan  # noqa: E402

T = "aws_acmpca_certificate_authority_certificate"


def main() -> None:
    root = ca("Bench Root")
    inter = ca("Bench Inter", root, path_length=1)
    subs = [ca(f"Bench Sub {i}", inter, key_tag="bench-sub", path_length=0) for i in range(100)]
    changes = [{"address": f'{T}.sub["{i}"]', "mode": "managed", "type": T, "name": "sub", "index": str(i),
                "change": {"actions": ["create"], "after": {"certificate": s.pem, "certificate_chain": chain(inter, root)},
                           "after_unknown": {}}} for i, s in enumerate(subs)]
    plan = {"format_version": "1.2", "resource_changes": changes, "configuration": {"root_module": {}}}
    t = time.perf_counter()
    results = check_plan(plan)
    in_process = time.perf_counter() - t
    assert all(r.report.ok for r in results)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(plan, fh)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pca_import", "tf-plan", fh.name], check=True, capture_output=True)
    command = time.perf_counter() - t
    os.unlink(fh.name)
    print(f"tf-plan, 100 CA certificates (3-tier chains): {in_process * 1000:.0f} ms in process "
          f"({in_process * 10:.2f} ms per certificate), {command:.2f} s as a command")


if __name__ == "__main__":
    main()
