"""A no-change `pulumi preview` of a 20-CA hierarchy (the `PkiHierarchy` component: a root and 19 subordinates,
60 dynamic resources) against trivial dynamic resources, with 0 ms and 80 ms added before every AWS request
(tests/support/faultproxy.py), runs alternating, medians of 9. Two baselines, both under a trivial component:

* same shape: the same 60 resources — names, parent, dependencies, every input and output as the hierarchy's
  state holds them, an input that came from another resource's output passed as that Output — whose provider
  does nothing (check and diff are the SDK's defaults). The ratio is what pca-import adds: its imports, its
  checks, its component.
* one property: 60 resources of one string each, in the same three-level dependency chains. The ratio adds the
  SDK's own cost of carrying ~12 properties per resource.

Target (issue 15): within 1.2x of trivial resources of the same shape at both latencies. Before the change every
import read its CA (CSR, status, owner tag) at every preview: 60 reads in series, ~80 ms each against a real
region. Besides wall time it reports the CPU time of every process of each preview (engine, language host,
program, providers), which a busy shared machine disturbs far less. The package's bytecode is compiled first, as
`pip install` does: a checkout with stale `.pyc` files compiles those modules again on every run.
"""
from __future__ import annotations

import compileall
import json
import os
import resource
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
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
HIERARCHY = f'''
import pulumi
from pca_import import CaSpec, PkiHierarchy
cas = [CaSpec("root", "ROOT")] + [CaSpec(f"sub{{i}}", "SUBORDINATE", parent="root") for i in range({N - 1})]
pulumi.export("cas", PkiHierarchy("bench", cas=cas).cas)
'''
ONE_PROPERTY = f'''
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
ONE_PROPERTY_PROVIDER = '''
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
# The hierarchy's resources as its state holds them (shape.json), declared again with a provider that does nothing.
SAME_SHAPE = '''
import json
import pulumi
from same_shape_provider import Same
class Shape(pulumi.ComponentResource):
    def __init__(self, name, resources):
        super().__init__("bench:index:Shape", name)
        made = {}
        for r in resources:
            after = [made[d] for d in r["dependencies"] if d in made]
            props = {**r["props"], **{k: getattr(made[dep], out) for k, (dep, out) in r["links"].items()}}
            made[r["name"]] = Same(r["name"], props, pulumi.ResourceOptions(parent=self, depends_on=after))
        self.register_outputs({})
Shape("bench", json.load(open("shape.json")))
'''
SAME_SHAPE_PROVIDER = '''
import json
from pulumi.dynamic import CreateResult, Resource, ResourceProvider
OUTPUTS = "{outputs}"
class SameProvider(ResourceProvider):
    def create(self, props):
        return CreateResult("id-" + props["key"], {{**props, **json.load(open(OUTPUTS))[props["key"]]}})
class Same(Resource):
    def __init__(self, name, props, opts=None):
        super().__init__(SameProvider(), name, {{**props, "key": name}}, opts)
'''


def same_shape(state: dict) -> tuple[list[dict], dict[str, dict]]:
    """(resources in registration order with their inputs, each one's outputs) of a stack export's dynamic
    resources; dependencies by name, and `links`: each input that came from another resource's output (the
    state's property dependencies), as (that resource, that output), so the baseline passes the same Outputs."""
    resources, outputs = [], {}
    for r in state["deployment"]["resources"]:
        if not r.get("custom") or not r["type"].startswith("pulumi-python:dynamic"):
            continue
        name = r["urn"].rsplit("::", 1)[1]
        inputs = {k: v for k, v in r.get("inputs", {}).items() if k != "__provider"}
        outs = {k: v for k, v in r.get("outputs", {}).items() if k != "__provider"}
        links = {}
        for key, deps in (r.get("propertyDependencies") or {}).items():
            for dep in (d.rsplit("::", 1)[1] for d in deps):
                same = [o for o, v in outputs.get(dep, {}).items() if v == inputs.get(key) and v is not None]
                if same:
                    links[key] = (dep, same[0])
                    break
        resources.append({"name": name, "dependencies": [d.rsplit("::", 1)[1] for d in r.get("dependencies", [])],
                          "props": {**{k: None for k in outs}, **inputs}, "links": links})
        outputs[name] = outs
    return resources, outputs


def main() -> None:
    compileall.compile_dir(str(REPO / "pca_import"), quiet=1)  # as `pip install` does
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

            cpu: dict[Path, list[float]] = {}

            def run(p: Path, *args: str) -> float:
                """Wall time; the CPU time of the command and every process it reaped goes to `cpu[p]`."""
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                r = subprocess.run(["pulumi", *args, "--non-interactive", "--stack", "bench"], cwd=p, env=env,
                                   capture_output=True, text=True)
                wall = time.perf_counter() - t0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if r.returncode:
                    raise SystemExit(r.stdout + r.stderr)
                cpu.setdefault(p, []).append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                return wall

            def up(p: Path) -> Path:
                subprocess.run(["pulumi", "stack", "init", "bench", "--non-interactive"], cwd=p, env=env,
                               check=True, capture_output=True)
                run(p, "up", "--yes", "--skip-preview")
                return p

            hierarchy = up(project(d / "hierarchy", HIERARCHY, {}))
            state = json.loads(subprocess.run(["pulumi", "stack", "export", "--stack", "bench"], cwd=hierarchy,
                                              env=env, check=True, capture_output=True, text=True).stdout)
            resources, outputs = same_shape(state)
            assert len(resources) == 3 * N, len(resources)
            print(f"same shape: {len(resources)} resources, {sum(len(r['props']) for r in resources)} properties, "
                  f"{sum(len(r['links']) for r in resources)} inputs from another resource's output")
            (d / "outputs.json").write_text(json.dumps(outputs))
            same = up(project(d / "same", SAME_SHAPE, {
                "shape.json": json.dumps(resources),
                "same_shape_provider.py": SAME_SHAPE_PROVIDER.format(outputs=d / "outputs.json")}))
            one = up(project(d / "one", ONE_PROPERTY, {"trivial_provider.py": ONE_PROPERTY_PROVIDER}))
            projects = (hierarchy, same, one)
            for delay in (0.0, 0.08):
                proxy.clear()
                if delay:
                    proxy.always("*", f"delay:{delay}")
                for p in projects:  # warm
                    run(p, "preview", "--expect-no-changes")
                times: dict[Path, list[float]] = {p: [] for p in projects}
                cpu.clear()
                emu.reset_calls()
                for _ in range(RUNS):
                    for p in projects:
                        times[p].append(run(p, "preview", "--expect-no-changes"))
                reads = sum(emu.calls().values()) / RUNS
                if os.environ.get("BENCH_VERBOSE"):
                    for p in projects:
                        print(f"  {p.name}: {' '.join(f'{t:.2f}' for t in times[p])}")
                mh, ms, mo = (sorted(times[p])[RUNS // 2] for p in projects)
                ch, cs, co = (sorted(cpu[p])[RUNS // 2] for p in projects)
                bh, bs, bo = (min(times[p]) for p in projects)
                print(f"no-change preview, {N}-CA hierarchy, +{delay * 1000:.0f} ms per AWS request "
                      f"({reads:.0f} AWS calls per preview): {mh:.2f} s; vs {3 * N} trivial resources of the same "
                      f"shape {ms:.2f} s = {mh / ms:.2f}x; vs one property each {mo:.2f} s = {mh / mo:.2f}x")
                print(f"  CPU time of all processes (median): {ch:.2f} s; same shape {cs:.2f} s = {ch / cs:.2f}x; "
                      f"one property {co:.2f} s = {ch / co:.2f}x")
                print(f"  best of {RUNS} (wall): {bh:.2f} s; same shape {bs:.2f} s = {bh / bs:.2f}x; "
                      f"one property {bo:.2f} s = {bh / bo:.2f}x")
    finally:
        proxy.close()
        emu.stop()


if __name__ == "__main__":
    main()
