"""Installed from outside: the wheel built from this checkout, installed with each extra into a fresh virtualenv
with no pins (pip resolves the newest versions pyproject.toml allows, as in a user's repository), then used as a
user would: the CLI, the emulator over boto3, the resource's provider against the emulator.

Slow (a wheel build and four virtualenvs from PyPI, ~2-4 min with a warm pip cache): marker `install`.
Set PCA_IMPORT_OFFLINE=1 to skip it where PyPI cannot be reached.
"""
from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest

from certfactory import ca

pytestmark = [pytest.mark.install,
              pytest.mark.skipif(bool(os.environ.get("PCA_IMPORT_OFFLINE")), reason="PCA_IMPORT_OFFLINE: no PyPI")]

REPO = pathlib.Path(__file__).resolve().parents[2]
SMOKE = pathlib.Path(__file__).resolve().parent / "install_smoke.py"
PIP_TIMEOUT = 900
# what a user's shell has, minus anything that points into this checkout or pins versions
DROP = ("PYTHONPATH", "PIP_CONSTRAINT", "PIP_REQUIREMENT", "VIRTUAL_ENV", "AWS_ENDPOINT_URL", "AWS_PROFILE",
        "PCA_IMPORT_EMULATOR_URL")
AWS_ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing"}


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    env.update(extra)
    return env


def run(argv, cwd, timeout=120, **env):
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=_env(**env))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, REPO], out, PIP_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("pca_import-*.whl")
    return whl


class Venv:
    """A fresh virtualenv with `pca-import[extras]` from the wheel and nothing else asked for."""

    def __init__(self, root: pathlib.Path, whl: pathlib.Path, extras: str, constraints: pathlib.Path | None = None,
                 python: str = sys.executable):
        self.root, self.bin = root, root / "bin"
        proc = run([python, "-m", "venv", root], root.parent)
        assert proc.returncode == 0, proc.stderr
        spec = f"{whl}[{extras}]" if extras else str(whl)
        argv = [self.bin / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", spec]
        if constraints:
            argv += ["-c", constraints]
        proc = run(argv, root, PIP_TIMEOUT)
        assert proc.returncode == 0, proc.stderr
        freeze = run([self.bin / "python", "-m", "pip", "freeze", "--exclude-editable"], root).stdout
        self.versions = dict(line.split("==", 1) for line in freeze.splitlines() if "==" in line)

    def python(self, *args, timeout=180, **env):
        return run([self.bin / "python", *args], self.root, timeout, **env)

    def cli(self, *args, timeout=180, **env):
        return run([self.bin / "pca-import", *args], self.root, timeout, **env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(venv: Venv):
    """`pca-import emulator` from that virtualenv, once it answers."""
    port = _free_port()
    proc = subprocess.Popen([str(venv.bin / "pca-import"), "emulator", "--port", str(port)], cwd=venv.root,
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/_pca_import/calls", timeout=1).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(f"the emulator did not start: {proc.stderr.read()}")
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the emulator did not answer within 60 s")


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory, wheel):
    return Venv(tmp_path_factory.mktemp("extra") / "base", wheel, "")


@pytest.fixture(scope="module")
def pulumi_venv(tmp_path_factory, wheel):
    return Venv(tmp_path_factory.mktemp("extra") / "pulumi", wheel, "pulumi")


@pytest.fixture(scope="module")
def emulator_venv(tmp_path_factory, wheel):
    venv = Venv(tmp_path_factory.mktemp("extra") / "emulator", wheel, "emulator")
    proc, url = _serve(venv)
    yield venv, url
    proc.terminate()
    proc.wait(timeout=30)


def test_the_wheel_ships_py_typed(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "pca_import/py.typed" in names
    assert not any(n.startswith(("tests/", "policy/", "benchmarks/")) for n in names)


def test_no_extra_validates_and_names_the_extra_it_lacks(tmp_path, base_venv):
    venv = base_venv
    assert not {"boto3", "pulumi", "moto"} & set(venv.versions)
    assert json.loads(venv.python(SMOKE, "typed").stdout)["py_typed"] is True
    root = ca("Install Base Root")
    (tmp_path / "root.pem").write_text(root.pem)
    proc = venv.cli("validate", "--certificate", tmp_path / "root.pem", "--ca-type", "ROOT")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert venv.cli("rules").returncode == 0
    for args, extra in ((["emulator", "--port", str(_free_port())], "emulator"),
                        (["status", "--ca-arn", "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/"
                                               "11111111-1111-1111-1111-111111111111"], "aws")):
        proc = venv.cli(*args)
        assert proc.returncode == 2 and f"pca-import[{extra}]" in proc.stderr and "Traceback" not in proc.stderr


def test_emulator_extra_creates_describes_issues_and_imports(emulator_venv, tmp_path):
    venv, url = emulator_venv
    proc = venv.python(SMOKE, "emulator", url, tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["status_before"] == "PENDING_CERTIFICATE"
    assert set(seen["status"].values()) == {"ACTIVE"} and all(seen["not_after"].values())
    assert seen["listed"] >= 3


def test_aws_extra_imports_with_the_cli(emulator_venv, tmp_path, wheel):
    emu, url = emulator_venv
    seen = json.loads(emu.python(SMOKE, "emulator", url, tmp_path).stdout)
    venv = Venv(tmp_path / "aws", wheel, "aws")
    assert "boto3" in venv.versions and not {"pulumi", "moto"} & set(venv.versions)
    env = dict(AWS_ENV, AWS_ENDPOINT_URL=url)
    proc = venv.cli("import", "--ca-arn", seen["cli_sub"], "--certificate", tmp_path / "cli_cert.pem",
                    "--chain", tmp_path / "cli_chain.pem", **env)
    assert proc.returncode == 0 and proc.stdout.startswith("imported:"), proc.stdout + proc.stderr
    status = json.loads(venv.cli("status", "--ca-arn", seen["cli_sub"], "--json", **env).stdout)
    assert status["status"] == "ACTIVE"
    proc = venv.cli("tree", "--from-aws", "--format", "json", **env)
    assert proc.returncode == 0, proc.stderr
    assert seen["cli_sub"] in {r["arn"] for r in json.loads(proc.stdout)}


def test_pulumi_extra_resource_checks_and_creates(emulator_venv, pulumi_venv):
    _, url = emulator_venv
    venv = pulumi_venv
    assert {"pulumi", "boto3"} <= set(venv.versions) and not {"moto", "pydantic"} & set(venv.versions)
    proc = venv.python(SMOKE, "provider", url)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["resource_class"] == "CaCertificateImport"
    assert (seen["check_failures"], seen["bad_check_failures"] > 0) == (0, True)
    assert (seen["id"], seen["outs_status"], seen["status"]) == (seen["arn"], "ACTIVE", "ACTIVE")


# The floors pyproject.toml declares, installed together: the oldest versions a user may end up with.
FLOORS = {"cryptography": "47.0.0", "boto3": "1.44.0", "moto": "5.2.5", "pulumi": "3.216.0"}


def test_the_declared_floors_work(tmp_path, wheel):
    (tmp_path / "floors.txt").write_text("".join(f"{k}=={v}\n" for k, v in FLOORS.items()))
    venv = Venv(tmp_path / "floors", wheel, "pulumi,emulator", constraints=tmp_path / "floors.txt")
    assert {k: venv.versions.get(k) for k in FLOORS} == FLOORS
    proc, url = _serve(venv)
    try:
        emu = venv.python(SMOKE, "emulator", url, tmp_path)
        assert emu.returncode == 0, emu.stderr
        assert set(json.loads(emu.stdout)["status"].values()) == {"ACTIVE"}
        prov = venv.python(SMOKE, "provider", url)
        assert prov.returncode == 0, prov.stderr
        assert json.loads(prov.stdout)["status"] == "ACTIVE"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


POLICY_PROGRAM = """
import json
import pulumi
from pca_import import CaCertificateImport

# Each resource waits for the one before it: a failing provider check ends the preview, so a resource still in
# flight at that moment may never reach the policy pack.
before = []
for i, item in enumerate(json.load(open("resources.json"))):
    before = [CaCertificateImport(
        item["name"], certificate=item["certificate"], certificate_chain=item["chain"],
        certificate_authority_arn=f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/c-{i}",
        opts=pulumi.ResourceOptions(depends_on=before))]
"""


@pytest.mark.engine
def test_the_policy_pack_from_the_package_runs_on_the_engine(tmp_path, base_venv, pulumi_venv):
    """`pca-import policy-pack DIR` from an installed wheel (no checkout): a ready pack and its virtualenv, run by
    `pulumi preview --policy-pack DIR` on a program whose virtualenv is another fresh install."""
    from certfactory import chain
    from pca_import.devtools.local_pulumi import engine_bin
    from policy_project import violations

    pack = tmp_path / "pack"
    proc = base_venv.cli("policy-pack", pack, timeout=PIP_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {p.name for p in pack.iterdir()} == {"PulumiPolicy.yaml", "__main__.py", "requirements.txt", "venv"}
    req = (pack / "requirements.txt").read_text()
    assert "pca-import @ file://" in req and req.strip().endswith(".whl") and "-e " not in req
    assert base_venv.cli("policy-pack", pack).returncode == 2  # not over an existing pack without --force

    root = ca("Pack Root", path_length=2)
    inter = ca("Pack Inter", root, path_length=1, days=3600)
    leaf, soon = ca("Pack Leaf", inter, path_length=0, days=3000), ca("Pack Soon", inter, path_length=0, days=10)
    prog = tmp_path / "program"
    prog.mkdir()
    (prog / "Pulumi.yaml").write_text("name: outside\nruntime:\n  name: python\n  options:\n"
                                      f"    virtualenv: {pulumi_venv.root}\n")
    (prog / "__main__.py").write_text(POLICY_PROGRAM)
    (prog / "resources.json").write_text(json.dumps([  # the clean one first, the failing one registered after it
        {"name": "soon", "certificate": soon.pem, "chain": chain(inter, root)},
        {"name": "bad", "certificate": leaf.pem, "chain": chain(root, inter)}]))
    env = {"PATH": os.pathsep.join([engine_bin(), "/usr/bin", "/bin"]), "PULUMI_HOME": str(tmp_path / "home"),
           "PULUMI_BACKEND_URL": f"file://{tmp_path}", "PULUMI_CONFIG_PASSPHRASE": "outside",
           "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "NO_COLOR": "1"}

    def pulumi(*args):
        return run(["pulumi", *args, "--non-interactive"], prog, 600, **env)
    for args in (["stack", "init", "dev"], ["config", "set", "aws:region", "us-east-1"],
                 ["config", "set", "pca-import:previewLiveChecks", "false"]):
        assert pulumi(*args).returncode == 0
    out = pulumi("preview", "--color", "never", "--policy-pack", str(pack))
    found = {(level, name): message for level, _, _, name, message in violations(out.stdout)}
    assert set(found) == {("mandatory", "bad"), ("advisory", "soon")}, out.stdout + out.stderr
    assert found["mandatory", "bad"].startswith("[CHAIN002]") and found["advisory", "soon"].startswith("[VAL003]")
    assert out.returncode != 0 and "Traceback" not in out.stdout + out.stderr


@pytest.mark.parametrize("source", ["path", "git"])
def test_installs_from_a_path_or_a_git_url(tmp_path, source):
    """The README's other two install lines; a policy pack made there names the same source."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    spec = {"path": f"pca-import[aws] @ {REPO.as_uri()}",
            "git": f"pca-import[aws] @ git+{REPO.as_uri()}@{head}"}[source]
    root = tmp_path / source
    assert run([sys.executable, "-m", "venv", root], tmp_path).returncode == 0
    if source == "git":  # pip < 24 refuses `name @ git+file:///…` (no host); a real git+https URL has one
        assert run([root / "bin" / "python", "-m", "pip", "install", "-q", "--upgrade", "pip"], tmp_path,
                   PIP_TIMEOUT).returncode == 0
    proc = run([root / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", spec], tmp_path,
               PIP_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert run([root / "bin" / "pca-import", "rules", "--json"], tmp_path).returncode == 0
    proc = run([root / "bin" / "pca-import", "policy-pack", tmp_path / "pack", "--no-venv"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    want = {"path": f"pca-import @ {REPO.as_uri()}", "git": f"pca-import @ git+{REPO.as_uri()}@{head}"}[source]
    assert want in (tmp_path / "pack" / "requirements.txt").read_text().splitlines()


def _python(minor: int) -> str | None:
    """An interpreter for 3.<minor> on this machine (PATH or pyenv), or None."""
    import glob
    import shutil
    for cand in [shutil.which(f"python3.{minor}"), *sorted(glob.glob(os.path.expanduser(
            f"~/.pyenv/versions/3.{minor}.*/bin/python3")))]:
        if cand and subprocess.run([cand, "-c", "import sys"], capture_output=True).returncode == 0:
            return cand
    return None


def test_python_3_10_is_refused_at_install_not_at_run_time(tmp_path, wheel):
    py = _python(10)
    if py is None:
        pytest.skip("no Python 3.10 on this machine")
    assert run([py, "-m", "venv", tmp_path / "v"], tmp_path).returncode == 0
    proc = run([tmp_path / "v" / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", wheel],
               tmp_path, PIP_TIMEOUT)
    assert proc.returncode != 0 and "requires a different Python" in proc.stderr + proc.stdout


def test_the_newest_python_runs_the_emulator_and_validate(tmp_path, wheel):
    py = next((p for p in (_python(m) for m in (14, 13, 12)) if p), None)
    if py is None:
        pytest.skip("no Python newer than 3.11 on this machine")
    venv = Venv(tmp_path / "newest", wheel, "emulator", python=py)
    (tmp_path / "root.pem").write_text(ca("Install Newest Root").pem)
    proc = venv.cli("validate", "--certificate", tmp_path / "root.pem", "--ca-type", "ROOT")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    server, url = _serve(venv)
    try:
        proc = venv.python(SMOKE, "emulator", url, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert set(json.loads(proc.stdout)["status"].values()) == {"ACTIVE"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_hsm_extra_signs_a_root_on_a_token(tmp_path, wheel):
    from hsm import Token
    token = Token(tmp_path / "hsm")
    token.generate("root-key", "EC_prime256v1")
    venv = Venv(tmp_path / "hsm-venv", wheel, "hsm")
    assert "python-pkcs11" in venv.versions and not {"boto3", "pulumi", "moto"} & set(venv.versions)
    proc = venv.cli("sign", "--key", token.uri("root-key"), "--self-signed", "--subject", "CN=Install HSM Root",
                    "--out", tmp_path / "root.pem", **token.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = venv.cli("validate", "--certificate", tmp_path / "root.pem", "--ca-type", "ROOT")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _readme_example() -> str:
    """The program under README's `own-repo-example` marker, exactly as written there."""
    text = (REPO / "README.md").read_text()
    start = text.index("<!-- own-repo-example")
    block = text[text.index("```python\n", start) + len("```python\n"):]
    return block[:block.index("\n```")] + "\n"


def _readme_pulumi_yaml() -> str:
    """The `Pulumi.yaml` the README's own-repository section shows (an indented block after `# Pulumi.yaml`)."""
    text = (REPO / "README.md").read_text()
    lines = text[text.index("    # Pulumi.yaml\n") + len("    # Pulumi.yaml\n"):].splitlines()
    block = []
    for line in lines:
        if not line.strip():
            break
        block.append(line[4:])
    return "\n".join(block) + "\n"


@pytest.mark.engine
def test_the_readmes_own_repo_example_runs_as_written_from_a_separate_project(tmp_path, pulumi_venv, emulator_venv):
    """README, "Using pca-import in your own repository": its program, in a project of its own whose virtualenv is
    a fresh install of the wheel, on the engine and the emulator — preview, up, a quiet up and refresh, the offline
    signing ceremony for the partner CA as the README gives it, up again, then destroy."""
    from pca_import.devtools.local_pulumi import engine_bin
    _venv, url = emulator_venv
    prog = tmp_path / "infra"
    prog.mkdir()
    (prog / "Pulumi.yaml").write_text(_readme_pulumi_yaml())  # as written: its virtualenv is `venv`
    (prog / "venv").symlink_to(pulumi_venv.root)
    (prog / "__main__.py").write_text(_readme_example())
    env = {"PATH": os.pathsep.join([engine_bin(), str(pulumi_venv.bin), "/usr/bin", "/bin"]),
           "PULUMI_HOME": str(tmp_path / "home"), "PULUMI_BACKEND_URL": f"file://{tmp_path}",
           "PULUMI_CONFIG_PASSPHRASE": "outside", "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "NO_COLOR": "1", "AWS_ENDPOINT_URL": url, **AWS_ENV}

    def sh(*argv, ok=True):
        proc = run(list(argv), prog, 600, **env)
        assert (proc.returncode == 0) == ok, f"{argv}: {proc.stdout}\n{proc.stderr}"
        return proc

    def pulumi(*args, ok=True):
        return sh("pulumi", *args, "--non-interactive", "--color", "never", ok=ok)

    pulumi("stack", "init", "dev")
    pulumi("config", "set", "aws:region", "us-east-1")
    pulumi("preview")
    pulumi("up", "--yes")
    pulumi("up", "--yes", "--expect-no-changes")
    pulumi("refresh", "--yes", "--expect-no-changes")
    cas = json.loads(pulumi("stack", "output", "cas", "--json").stdout)
    assert (cas["root"]["status"], cas["issuing"]["status"], cas["partner"]["status"]) == \
        ("ACTIVE", "ACTIVE", "AWAITING_CERTIFICATE")
    # the README's ceremony, with this virtualenv's pca-import
    sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "offline-root.key")
    sh("pca-import", "sign", "--key", "offline-root.key", "--self-signed", "--subject", "CN=Corp Offline Root",
       "--path-length", "1", "--out", "offline-root.pem")
    (prog / "partner.csr").write_text(json.loads(pulumi("stack", "output", "external_csrs", "--json").stdout)["partner"])
    sh("pca-import", "sign", "--key", "offline-root.key", "--csr", "partner.csr", "--issuer-certificate",
       "offline-root.pem", "--path-length", "0", "--out", "partner.pem", "--chain-out", "partner-chain.pem")
    pulumi("up", "--yes")
    cas = json.loads(pulumi("stack", "output", "cas", "--json").stdout)
    assert cas["partner"]["status"] == "ACTIVE" and cas["partner"]["signed_by"] == "external (file partner.pem)"
    # the CSR stays exported once the CA is ACTIVE: its signer signs it again at each renewal (README says so)
    assert "partner" in json.loads(pulumi("stack", "output", "external_csrs", "--json").stdout)
    pulumi("up", "--yes", "--expect-no-changes")
    pulumi("refresh", "--yes", "--expect-no-changes")
    pulumi("destroy", "--yes")
