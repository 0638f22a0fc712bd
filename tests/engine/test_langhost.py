"""The project's Python language host (scripts/langhost) stops when the engine asks, even when `pulumi` was
started with SIGINT ignored (`pulumi up &` from a script, some CI runners): the engine stops each plugin with
SIGINT to its process group and waits up to 5 s before killing it, so a host that ignores SIGINT used to add
5 s to every preview and up."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pca_import.devtools.local_pulumi import DEMO_PASSPHRASE, REPO, engine_bin

pytestmark = pytest.mark.engine


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited across exec, as from `cmd &` in a script


class FakeEngine:
    """A gRPC server standing in for the engine: the host's liveness check only needs one that answers."""

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        import grpc
        self.server = grpc.server(ThreadPoolExecutor(max_workers=1))
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=None)


def _start_host(engine_address: str) -> subprocess.Popen:
    host = os.path.join(engine_bin(), "pulumi-language-python")
    proc = subprocess.Popen([host, engine_address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ignore_sigint, start_new_session=True)
    assert int(proc.stdout.readline()) > 0  # serving
    return proc


def _exits_within(proc: subprocess.Popen, seconds: float) -> float:
    start = time.monotonic()
    try:
        proc.wait(timeout=seconds + 2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return time.monotonic() - start


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_host_started_with_sigint_ignored_exits_promptly_on_sigint_or_sigterm(sig):
    engine = FakeEngine()
    try:
        proc = _start_host(engine.address)
        os.killpg(proc.pid, sig)  # SIGINT: what the engine sends when it closes a plugin
        assert _exits_within(proc, 2) < 2
        assert proc.returncode == 0, proc.stderr.read()
    finally:
        engine.stop()


def test_host_stops_when_its_engine_is_gone():
    """pulumi killed with SIGKILL never closes its plugins: the host notices and exits instead of lingering."""
    engine = FakeEngine()
    proc = _start_host(engine.address)
    time.sleep(3)
    assert proc.poll() is None  # a live engine keeps it serving
    engine.stop()
    assert _exits_within(proc, 8) < 8


def _tiny_project(tmp: Path) -> tuple[Path, dict]:
    (tmp / "state").mkdir()
    (tmp / "Pulumi.yaml").write_text(
        "name: tiny\nruntime:\n  name: python\n  options:\n"
        f"    virtualenv: {REPO / '.venv'}\n    toolchain: pip\n")
    (tmp / "__main__.py").write_text("import pulumi\npulumi.export('answer', 42)\n")
    env = {**os.environ, "PATH": os.pathsep.join([engine_bin(), str(REPO / ".venv" / "bin"), os.environ["PATH"]]),
           "PULUMI_HOME": str(tmp / "home"), "PULUMI_BACKEND_URL": f"file://{tmp / 'state'}",
           "PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE, "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "NO_COLOR": "1"}
    subprocess.run(["pulumi", "stack", "init", "dev", "--non-interactive"], cwd=tmp, env=env, check=True,
                   capture_output=True)
    return tmp, env


def _preview_seconds(cwd: Path, env: dict, ignore_sigint: bool) -> float:
    start = time.monotonic()
    proc = subprocess.run(["pulumi", "preview", "--non-interactive", "--stack", "dev"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=_ignore_sigint if ignore_sigint else None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return time.monotonic() - start


def test_preview_with_sigint_ignored_is_as_fast_as_without(tmp_path):
    """Relative, in the same run: the best of two previews each way (before the fix: 5 s more, ratio ~3)."""
    cwd, env = _tiny_project(tmp_path)
    normal = min(_preview_seconds(cwd, env, False) for _ in range(2))
    ignored = min(_preview_seconds(cwd, env, True) for _ in range(2))
    assert ignored / normal < 1.5, f"preview {ignored:.2f}s with SIGINT ignored vs {normal:.2f}s without"
