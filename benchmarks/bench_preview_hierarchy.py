"""A no-change `pulumi preview` of a 20-CA hierarchy (the `PkiHierarchy` component: a root and 19 subordinates,
60 dynamic resources) against 60 trivial dynamic resources of the same shape under a trivial component, with
0 ms and 80 ms added before every AWS request (tests/support/faultproxy.py), runs alternating, medians of 5.

Target (issue 15): within 1.2x of the trivial resources at both latencies. Before the change every import read
its CA (CSR, status, owner tag) at every preview: 60 reads in series, ~80 ms each against a real region.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

from bench_preview import project  # noqa: E402 (one way to lay out a benchmark project)
from faultproxy import FaultProxy  # noqa: E402

from pca_import.devtools.local_pulumi import Emulator, engine_bin  # noqa: E402

N = 20
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
HIERARCHY = f'''
import pulumi
from pca_import import CaSpec, PkiHierarchy
cas = [CaSpec("root", "ROOT")] + [CaSpec(f"sub{{i}}", "SUBORDINATE", parent="root") for i in range({N - 1})]
pulumi.export("cas", PkiHierarchy("bench", cas=cas).cas)
'''
TRIVIAL = f'''
import pulumi
from trivial_provider import Trivial
class Shape(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("bench:index:Shape", name)
        for i in range({N}):
            ca = Trivial(f"{{name}}-ca{{i}}", "ca", pulumi.ResourceOptions(parent=self))
            issued = Trivial(f"{{name}}-issued{{i}}", ca.value, pulumi.ResourceOptions(parent=self))
            Trivial(f"{{name}}-cert{{i}}", issued.value, pulumi.ResourceOptions(parent=self))
        self.register_outputs({{}})
Shape("bench")
'''
TRIVIAL_PROVIDER = '''
import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider
class TrivialProvider(ResourceProvider):
    def create(self, props):
        return CreateResult("id-" + props["value"], props)
class Trivial(Resource):
    value: pulumi.Output[str]
    def __init__(self, name, value, opts=None):
        super().__init__(TrivialProvider(), name, {"value": value}, opts)
'''


def main() -> None:
    bin_dir = engine_bin()
    emu = Emulator()
    proxy = FaultProxy(emu.url)
    try:
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            env = {**os.environ, **emu.aws_env, "AWS_ENDPOINT_URL": proxy.url,
                   "PATH": f"{bin_dir}:{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
                   "PULUMI_HOME": str(d / "home"), "PULUMI_BACKEND_URL": f"file://{d / 'state'}",
                   "PULUMI_CONFIG_PASSPHRASE": "bench", "PULUMI_SKIP_UPDATE_CHECK": "true",
                   "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}
            (d / "state").mkdir()
            a = project(d / "hierarchy", HIERARCHY, {})
            b = project(d / "trivial", TRIVIAL, {"trivial_provider.py": TRIVIAL_PROVIDER})

            def run(p: Path, *args: str) -> float:
                t0 = time.perf_counter()
                r = subprocess.run(["pulumi", *args, "--non-interactive", "--stack", "bench"], cwd=p, env=env,
                                   capture_output=True, text=True)
                if r.returncode:
                    raise SystemExit(r.stdout + r.stderr)
                return time.perf_counter() - t0

            for p in (a, b):
                subprocess.run(["pulumi", "stack", "init", "bench", "--non-interactive"], cwd=p, env=env,
                               check=True, capture_output=True)
                run(p, "up", "--yes", "--skip-preview")
            for delay in (0.0, 0.08):
                proxy.clear()
                if delay:
                    proxy.always("*", f"delay:{delay}")
                run(a, "preview", "--expect-no-changes"), run(b, "preview", "--expect-no-changes")  # warm
                ta, tb = [], []
                emu.reset_calls()
                for _ in range(RUNS):
                    ta.append(run(a, "preview", "--expect-no-changes"))
                    tb.append(run(b, "preview", "--expect-no-changes"))
                reads = sum(emu.calls().values()) / RUNS
                ma, mb = sorted(ta)[RUNS // 2], sorted(tb)[RUNS // 2]
                print(f"no-change preview, {N}-CA hierarchy vs {3 * N} trivial resources, +{delay * 1000:.0f} ms per "
                      f"AWS request: {ma:.2f} s vs {mb:.2f} s = {ma / mb:.2f}x ({reads:.0f} AWS calls per preview)")
    finally:
        proxy.close()
        emu.stop()


if __name__ == "__main__":
    main()
