"""`pulumi preview` of a 20-resource program with and without the policy pack (`--policy-pack policy`).

Real engine, file backend, the pack run by the project's language host with its own virtualenv. Two programs:
20 aws.acmpca.CertificateAuthorityCertificate (pulumi-aws SDK; the aws plugin is the echo stand-in of
tests/support/aws_standin.py, which cannot be had otherwise here) and 20 CaCertificateImport (previewLiveChecks=false:
no AWS). Runs alternate with and without the pack; medians of 5, ratio from the same run.

The stand-in answers Check at once, where the real aws plugin takes seconds to start: the absolute time the
pack adds (starting its Python process, one engine run per resource) is the figure to carry over; the ratio
for the aws program is larger here than it would be with the real plugin.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

from certfactory import ca, chain  # noqa: E402
from policy_project import FLAT_PROGRAM, PolicyProject, ensure_policy_venv, violations  # noqa: E402

N = 20
RUNS = 5


def timed(project: PolicyProject, policy: bool) -> float:
    t0 = time.perf_counter()
    out = project.preview(policy=policy)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0 or (policy and violations(out.stdout)):
        raise SystemExit(f"preview failed or found something (policy={policy}):\n{out.stdout}\n{out.stderr}")
    return elapsed


def main() -> None:
    ensure_policy_venv()
    root = ca("Bench Policy Root", path_length=2)
    inter = ca("Bench Policy Inter", root, path_length=1, days=3600)  # children never outlive parents (VAL004)
    good_chain = chain(inter, root)
    certs = [ca(f"Bench Policy CA {i}", inter, path_length=0, days=3000).pem for i in range(N)]
    with tempfile.TemporaryDirectory() as d:
        for kind, label in (("aws", "aws.acmpca.CertificateAuthorityCertificate (stand-in plugin)"),
                            ("ours", "CaCertificateImport (previewLiveChecks=false)")):
            project = PolicyProject(Path(d) / kind, program=FLAT_PROGRAM)
            project.set_resources([{"kind": kind, "name": f"{kind}-{i}", "certificate": pem, "chain": good_chain}
                                   for i, pem in enumerate(certs)])
            timed(project, False), timed(project, True)  # warm caches
            without, with_pack = [], []
            for _ in range(RUNS):
                without.append(timed(project, False))
                with_pack.append(timed(project, True))
            a, b = statistics.median(without), statistics.median(with_pack)
            print(f"pulumi preview, {N} {label}: without pack {a:.2f}s, with pack {b:.2f}s "
                  f"(+{b - a:.2f}s), ratio {b / a:.2f}x  [medians of {RUNS}]")


if __name__ == "__main__":
    main()
