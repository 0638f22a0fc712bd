"""Running this project's Pulumi stacks locally: the offline engine, a file backend, the emulator.

Used by `scripts/demo.py` and the end-to-end tests. Everything lives under one work directory: a copy of
the project (symlinks to the program, copies of the stack files so config edits stay out of the
repository), PULUMI_HOME and the file-backend state.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # pca_import/devtools/ -> the checkout
DEMO_PASSPHRASE = "pca-import-local-demo"  # local file backend only; use a real passphrase or KMS elsewhere


class PulumiError(RuntimeError):
    def __init__(self, args, proc):
        super().__init__(f"pulumi {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        self.proc = proc


def engine_bin() -> str:
    """The directory holding `pulumi` and the Python language host (built once by scripts/setup_engine.sh)."""
    out = subprocess.run([str(REPO / "scripts" / "setup_engine.sh")], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """The local Private CA in a child process (or one already running at `url`)."""

    def __init__(self, url: str | None = None):
        self.proc = None
        if url is None:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            self.proc = subprocess.Popen([sys.executable, "-m", "pca_import.aws.emulator", "--port", str(port)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = url
        deadline = time.time() + 30
        while True:
            try:
                self.calls()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"the emulator at {url} did not start")
                time.sleep(0.1)

    def register_role(self, role_arn: str, external_id: str | None = None) -> None:
        """Make a role assumable in the emulator (as an account's administrator creates it in AWS)."""
        body = json.dumps({"roleArn": role_arn, "externalId": external_id}).encode()
        req = urllib.request.Request(self.url + "/_pca_import/roles", data=body, method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def calls(self) -> dict[str, int]:
        return json.loads(urllib.request.urlopen(self.url + "/_pca_import/calls", timeout=2).read())

    def reset_calls(self) -> None:
        req = urllib.request.Request(self.url + "/_pca_import/calls/reset", method="POST")
        urllib.request.urlopen(req, timeout=2).read()

    @property
    def aws_env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)


class LocalProject:
    """This Pulumi project in `work`, with a file backend and the offline engine."""

    def __init__(self, work: Path, bin_dir: str, extra_env: dict[str, str] | None = None, fresh: bool = True):
        self.work = Path(work)
        if fresh and self.work.exists():
            shutil.rmtree(self.work)
        self.dir = self.work / "project"
        self.state = self.work / "state"
        (self.dir / "stacks").mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)
        for name in ("Pulumi.yaml", "__main__.py", ".venv"):
            link = self.dir / name
            if not link.exists():
                link.symlink_to(REPO / name)
        for f in (REPO / "stacks").glob("Pulumi.*.yaml"):
            if not (self.dir / "stacks" / f.name).exists():
                shutil.copy(f, self.dir / "stacks" / f.name)
        venv_bin = str(REPO / ".venv" / "bin")
        self.env = {**os.environ, **(extra_env or {}),
                    "PATH": os.pathsep.join([bin_dir, venv_bin, os.environ.get("PATH", "")]),
                    "PULUMI_HOME": str(self.work / "home"), "PULUMI_BACKEND_URL": f"file://{self.state}",
                    "PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE, "PULUMI_SKIP_UPDATE_CHECK": "true",
                    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "PULUMI_SKIP_CONFIRMATIONS": "true",
                    "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true", "NO_COLOR": "1"}
        self.env.pop("PULUMI_ACCESS_TOKEN", None)

    def pulumi(self, *args: str, stack: str | None = None, check: bool = True, input: str | None = None,
               timeout: int = 600) -> subprocess.CompletedProcess:
        argv = ["pulumi", *args, "--non-interactive", "--color", "never"]
        if stack:
            argv += ["--stack", stack]
        proc = subprocess.run(argv, cwd=self.dir, env=self.env, input=input, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise PulumiError(argv[1:], proc)
        return proc

    def run(self, stack: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """`pulumi <args>` with `env` added for this one command: (exit code, stdout + stderr)."""
        proc = subprocess.run(["pulumi", *args, "--non-interactive", "--color", "never", "--stack", stack],
                              cwd=self.dir, env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=600)
        return proc.returncode, proc.stdout + proc.stderr

    def init_stack(self, stack: str) -> None:
        if self.pulumi("stack", "select", stack, check=False).returncode != 0:
            self.pulumi("stack", "init", stack)

    def config_set(self, stack: str, key: str, value: str, secret: bool = False) -> None:
        args = ["config", "set", key] + (["--secret"] if secret else [])
        self.pulumi(*args, stack=stack, input=value)  # value on stdin: never on a command line

    def edit_config(self, stack: str, fn) -> None:
        """Change a stack's config by editing its YAML file, as a person would: `fn(config_dict)`."""
        import yaml
        path = self.stack_file(stack)
        doc = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
        fn(doc.setdefault("config", {}))
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    def set_object(self, stack: str, key: str, value) -> None:
        """Set a structured config value (a list or mapping) in the stack's YAML file."""
        self.edit_config(stack, lambda config: config.__setitem__(key, value))

    def up(self, stack: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.pulumi("up", "--yes", "--skip-preview", *extra, stack=stack, check=check)

    def outputs(self, stack: str) -> dict:
        return json.loads(self.pulumi("stack", "output", "--json", "--show-secrets", stack=stack).stdout or "{}")

    def state_files(self) -> list[Path]:
        return sorted(self.state.glob(".pulumi/stacks/**/*.json"))

    def stack_file(self, stack: str) -> Path:
        return self.dir / "stacks" / f"Pulumi.{stack}.yaml"
