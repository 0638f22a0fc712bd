"""pca-import's CrossGuard policy pack, from the installed package: `serve()` is the pack itself (what a pack's
`__main__.py` runs), `write_pack()` makes a ready pack directory anywhere (`pca-import policy-pack DIR`).

A pack runs in its own virtualenv: pulumi-policy pins an older protobuf than pca-import's pulumi extra allows,
so the pack's virtualenv holds pulumi-policy, the pulumi SDK it works with, and pca-import with no extra (the
rule engine needs only cryptography). The pack's requirements.txt names pca-import the way it was installed
here (a wheel file, a git commit, a directory, or a version from an index), so the pack checks with the same
rules as the program.

What is checked lives in `crossguard` (pure); this module only wires it to pulumi_policy.
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from importlib import metadata

from pca_import.errors import ActionableError, UsageError

PULUMI_POLICY = "pulumi-policy==1.21.0"
PACK_PULUMI = "pulumi==3.272.0"  # the SDK version tested with pulumi-policy 1.21 (protobuf 5.29)
PACK_FILES = ("PulumiPolicy.yaml", "__main__.py", "requirements.txt")

POLICY_YAML = """description: pca-import's rules for AWS Private CA certificate imports, at pulumi preview
version: {version}
runtime:
  name: python
  options:
    virtualenv: venv
"""

MAIN = '''"""pca-import's policy pack (written by `pca-import policy-pack`, pca-import {version}).

    pulumi preview --policy-pack <this directory>

Three policies: pca-import-errors (mandatory: the import would fail), pca-import-warnings (advisory), and the
stack policy pca-import-ca (mandatory: the certificate does not fit the CA it is imported into).
"""
import sys

WHERE = {where!r}
try:
    from pca_import.integrations.policy_pack import serve
except ImportError as exc:  # a message the user can act on, not a traceback
    print(f"pca-import policy pack: {{exc}}. Create the pack's virtualenv in {{WHERE}}: "
          "python3 -m venv venv && venv/bin/python -m pip install -r requirements.txt "
          "(or run `pca-import policy-pack DIR --force` again)", file=sys.stderr, flush=True)
    sys.exit(1)

serve()
'''

REQUIREMENTS = """# The policy pack's own virtualenv (venv/): pulumi-policy pins an older protobuf than pca-import's pulumi
# extra, so the pack cannot share the program's virtualenv. pca-import without extras: the rules need only
# cryptography. Written by `pca-import policy-pack` from the installed pca-import {version}.
{pulumi_policy}
{pulumi}
{pca_import}
"""


def installed_requirement() -> str:
    """pca-import as a requirement line that installs this very copy elsewhere (PEP 610 `direct_url.json`):
    `pca-import @ file:///…whl`, `pca-import @ git+URL@COMMIT`, `pca-import @ file:///checkout`, or
    `pca-import==VERSION` when it came from an index."""
    import pca_import
    tree = pathlib.Path(pca_import.__file__).resolve().parent.parent
    try:  # a checkout (editable install, or run from the source tree): install that directory
        if 'name = "pca-import"' in (tree / "pyproject.toml").read_text():
            return f"pca-import @ {tree.as_uri()}"
    except OSError:
        pass
    try:
        dist = metadata.distribution("pca-import")
    except metadata.PackageNotFoundError:
        raise UsageError("cannot tell where this pca-import was installed from: pass --requirement "
                          "'pca-import @ <wheel, git URL or directory>'") from None
    return requirement_from_direct_url(dist.read_text("direct_url.json"), dist.version)


def requirement_from_direct_url(raw: str | None, version: str) -> str:
    """The requirement line for a distribution whose PEP 610 record is `raw` (None: installed from an index)."""
    try:
        direct = json.loads(raw) if raw else {}
        url = direct["url"]
    except (ValueError, KeyError, TypeError):
        return f"pca-import=={version}"
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict):  # pin the commit pip resolved, not the branch name
        return f"pca-import @ {vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id') or vcs.get('requested_revision')}"
    return f"pca-import @ {url}"


def write_pack(target: pathlib.Path, *, requirement: str | None = None, venv: bool = True, force: bool = False,
               python: str | None = None) -> list[str]:
    """Write a ready policy pack into `target` (and its virtualenv unless `venv` is False); the lines to show."""
    from pca_import import __version__
    target = pathlib.Path(target)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file: give a directory for the policy pack")
    if target.is_dir() and any(target.iterdir()) and not force:
        present = sorted(p.name for p in target.iterdir())[:5]
        raise UsageError(f"{target} is not empty ({', '.join(present)}): choose a new directory, or pass --force "
                        "to rewrite the pack's files there")
    requirement = requirement or installed_requirement()
    where = str(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        (target / "PulumiPolicy.yaml").write_text(POLICY_YAML.format(version=__version__))
        (target / "__main__.py").write_text(MAIN.format(version=__version__, where=where))
        (target / "requirements.txt").write_text(REQUIREMENTS.format(
            version=__version__, pulumi_policy=PULUMI_POLICY, pulumi=PACK_PULUMI, pca_import=requirement))
    except OSError as exc:
        raise ActionableError(f"cannot write the policy pack into {target}: {exc.strerror or exc}") from None
    lines = [f"policy pack written to {target} ({', '.join(PACK_FILES)}); pca-import from: {requirement}"]
    if venv:
        _make_venv(target, python or sys.executable)
        lines.append(f"its virtualenv: {target / 'venv'}")
    else:
        lines.append(f"make its virtualenv before use: cd {target} && python3 -m venv venv && "
                     "venv/bin/python -m pip install -r requirements.txt")
    lines.append(f"use it: pulumi preview --policy-pack {target}")
    return lines


def _make_venv(target: pathlib.Path, python: str) -> None:
    venv = target / "venv"
    steps = [[python, "-m", "venv", str(venv)],
             [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
              str(target / "requirements.txt")]]
    for argv in steps:
        try:
            proc = subprocess.run(argv, cwd=target, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ActionableError(f"cannot make the policy pack's virtualenv in {venv}: {exc}") from None
        if proc.returncode != 0:
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            raise ActionableError(f"`{' '.join(argv[-3:] if 'pip' in argv else argv)}` failed in {target}: {tail}. Fix "
                            f"the cause (network, the pca-import requirement in requirements.txt), then run "
                            f"`pca-import policy-pack {target} --force` again") from None


def serve() -> None:
    """Run the policy pack (the analyzer the engine launches from a pack's `__main__.py`)."""
    try:
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy
        from pulumi_policy.proxy import UnknownValueError
    except ImportError as exc:
        print(f"pca-import policy pack: {exc}. The pack's virtualenv needs {PULUMI_POLICY}: install the pack's "
              "requirements.txt into it", file=sys.stderr, flush=True)
        sys.exit(1)
    from pca_import.integrations import crossguard

    cache: dict = {}  # (urn, inputs) -> violations: both resource policies read one engine run per resource

    def inputs_of(props) -> dict:
        """The resource's inputs, an unknown value (preview) as crossguard.UNKNOWN."""
        out = {}
        for key in props:
            try:
                out[key] = props[key]
            except UnknownValueError:
                out[key] = crossguard.UNKNOWN
        return out

    def violations(args) -> list:
        if args.resource_type not in crossguard.CHECKED_TYPES:  # crossguard says which types it reads
            return []
        inputs = inputs_of(args.props)
        key = (args.urn, repr(sorted(inputs.items(), key=lambda kv: kv[0])))
        if key not in cache:
            try:
                found = crossguard.check(args.resource_type, args.name, inputs)
            except Exception as exc:  # noqa: BLE001 - a crash is a finding, never a traceback
                found = [crossguard.Violation(True, "FATAL", f"[FATAL] {args.name}: pca-import could not check this "
                                                             f"resource ({type(exc).__name__}: {exc}); please report it")]
            if len(cache) > 256:
                cache.clear()
            cache[key] = found
        return cache[key]

    def report(mandatory: bool):
        def validate(args, report_violation):
            for v in violations(args):
                if v.mandatory == mandatory:
                    report_violation(v.message)
        return validate

    def check_stack(args, report_violation):
        resources = []
        for r in args.resources:
            if r.resource_type not in crossguard.CHECKED_TYPES:
                continue
            deps = {k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()}
            resources.append(crossguard.StackResource(r.urn, r.resource_type, r.name, inputs_of(r.props), deps))
        try:
            found = crossguard.check_against_ca(resources)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, never a traceback
            report_violation(f"[FATAL] pca-import could not check the stack's CA certificates against their CAs "
                             f"({type(exc).__name__}: {exc}); please report it")
            return
        for urn, v in found:
            report_violation(v.message, urn)

    PolicyPack(
        name="pca-import",
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=[
            ResourceValidationPolicy(
                name="pca-import-errors",
                description="The CA certificate would be refused by ImportCertificateAuthorityCertificate.",
                enforcement_level=EnforcementLevel.MANDATORY,
                validate=report(True),
            ),
            ResourceValidationPolicy(
                name="pca-import-warnings",
                description="The CA certificate can be imported, but something in it deserves a look.",
                enforcement_level=EnforcementLevel.ADVISORY,
                validate=report(False),
            ),
            StackValidationPolicy(
                name="pca-import-ca",
                description="The CA certificate does not fit the CA it is imported into (its type or its key).",
                enforcement_level=EnforcementLevel.MANDATORY,
                validate=check_stack,
            ),
        ],
    )
