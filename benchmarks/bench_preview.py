"""`pulumi preview` of 20 CaCertificateImport resources against 20 trivial dynamic resources (target <= 1.3x).

Real engine, file backend, the local Private CA emulator. The CaCertificateImport preview includes what
makes it useful: every rule, plus the live checks against each CA (its CSR, status and owner tag).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

from pca_import.devtools.local_pulumi import Emulator, engine_bin  # noqa: E402

N = 20
TRIVIAL = '''
import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider
from trivial_provider import TrivialProvider
class Trivial(Resource):
    def __init__(self, name, value):
        super().__init__(TrivialProvider(), name, {{"value": value}})
for i in range({n}):
    Trivial(f"t{{i}}", f"value-{{i}}")
'''
TRIVIAL_PROVIDER = '''
from pulumi.dynamic import CreateResult, ResourceProvider
class TrivialProvider(ResourceProvider):
    def create(self, props):
        return CreateResult("id", props)
'''
IMPORTS = '''
import json, pulumi
from pca_import import CaCertificateImport
for i, item in enumerate(json.load(open("imports.json"))):
    CaCertificateImport(f"ca{i}", certificate_authority_arn=item["arn"], certificate=item["certificate"],
                        certificate_chain=item["chain"])
'''


def project(base: Path, program: str, extra: dict[str, str]) -> Path:
    base.mkdir(parents=True)
    (base / "Pulumi.yaml").write_text(
        f"name: {base.name}\nruntime:\n  name: python\n  options:\n    virtualenv: {REPO / '.venv'}\n")
    (base / "__main__.py").write_text(program)
    for k, v in extra.items():
        (base / k).write_text(v)
    return base


def main() -> None:
    bin_dir = engine_bin()
    emu = Emulator()
    os.environ.update(emu.aws_env)
    import pca
    from certfactory import ca, chain
    import subprocess
    try:
        root = ca("Preview Root")
        items = []
        for i in range(N):
            arn, csr = pca.create_ca("SUBORDINATE", f"Preview CA {i}")
            items.append({"arn": arn, "certificate": pca.external_sign(csr, root), "chain": chain(root)})
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            env = {**os.environ, "PATH": f"{bin_dir}:{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
                   "PULUMI_HOME": str(d / "home"), "PULUMI_BACKEND_URL": f"file://{d / 'state'}",
                   "PULUMI_CONFIG_PASSPHRASE": "bench", "PULUMI_SKIP_UPDATE_CHECK": "true",
                   "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "PYTHONPATH": str(REPO)}
            (d / "state").mkdir()
            a = project(d / "imports", IMPORTS, {"imports.json": json.dumps(items)})
            b = project(d / "trivial", TRIVIAL.format(n=N), {"trivial_provider.py": TRIVIAL_PROVIDER})
            for p in (a, b):
                subprocess.run(["pulumi", "stack", "init", "bench", "--non-interactive"], cwd=p, env=env,
                               check=True, capture_output=True)

            def preview(p: Path) -> float:
                t0 = time.perf_counter()
                r = subprocess.run(["pulumi", "preview", "--non-interactive", "--stack", "bench"], cwd=p, env=env,
                                   capture_output=True, text=True)
                if r.returncode:
                    raise SystemExit(r.stdout + r.stderr)
                return time.perf_counter() - t0

            preview(a), preview(b)  # warm caches
            ta, tb, tc = [], [], []
            for _ in range(5):
                ta.append(preview(a))
                tb.append(preview(b))
            emu.reset_calls()
            preview(a)
            calls = sum(emu.calls().values())
            subprocess.run(["pulumi", "config", "set", "pca-import:previewLiveChecks", "false", "--stack", "bench"],
                           cwd=a, env=env, check=True, capture_output=True)
            for _ in range(5):
                tc.append(preview(a))
        ma, mb, mc = sorted(ta)[2], sorted(tb)[2], sorted(tc)[2]
        print(f"pulumi preview, {N} CaCertificateImport, live checks: median {ma:.2f}s  ({calls} AWS calls: every "
              f"rule, with each CA's CSR, status and owner)  ratio {ma / mb:.2f}x")
        print(f"pulumi preview, {N} CaCertificateImport, previewLiveChecks=false: median {mc:.2f}s  "
              f"ratio {mc / mb:.2f}x (target <= 1.3x)")
        print(f"pulumi preview, {N} trivial dynamic resources: median {mb:.2f}s")
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
