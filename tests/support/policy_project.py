"""A throwaway Pulumi program for the policy pack's engine test and benchmark: the offline engine, a file
backend, the project's virtualenv (pulumi_aws and pca_import), and the stand-in aws plugin (aws_standin.py;
the real one cannot be obtained here). `preview(policy=True)` runs `pulumi preview --policy-pack policy`.

The program declares what `resources.json` lists: CAs `{"kind": "aws-ca", "name", "type"}` and certificates
`{"kind": "aws" | "ours", "name", "certificate", "chain", "unknown": ["certificate" | "chain", ...],
"output": [...], "ca"}`
imported into the CA named `ca` (default: `new-ca`, a new SUBORDINATE `aws.acmpca.CertificateAuthority`). An
"unknown" value is derived from new-ca's CSR, so it is known only after apply, as a signer's output would be; an
"output" value is an Output already known at preview.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from aws_standin import write_plugin
from pca_import.devtools.local_pulumi import REPO, engine_bin

POLICY_PACK = REPO / "policy"
PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws
from pca_import import CaCertificateImport

items = json.load(open("resources.json"))
config = {"key_algorithm": "EC_prime256v1", "signing_algorithm": "SHA256WITHECDSA", "subject": {"common_name": "CA"}}
cas = {"new-ca": aws.acmpca.CertificateAuthority("new-ca", type="SUBORDINATE",
                                                 certificate_authority_configuration=config)}
for item in items:
    if item["kind"] == "aws-ca":
        cas[item["name"]] = aws.acmpca.CertificateAuthority(item["name"], type=item["type"],
                                                            certificate_authority_configuration=config)


def value(item, key):
    v = item.get(key)
    if key in item.get("unknown", ()):
        return cas["new-ca"].certificate_signing_request.apply(lambda _csr: v)  # known only after apply
    if key in item.get("output", ()):
        return pulumi.Output.from_input(v)  # an Output known at preview, as a signer step's after its first up
    return v


for item in items:
    arn = cas[item.get("ca") or "new-ca"].arn
    if item["kind"] == "aws":
        aws.acmpca.CertificateAuthorityCertificate(item["name"], certificate_authority_arn=arn,
                                                   certificate=value(item, "certificate"),
                                                   certificate_chain=value(item, "chain"))
    elif item["kind"] == "ours":
        CaCertificateImport(item["name"], certificate_authority_arn=arn, certificate=value(item, "certificate"),
                            certificate_chain=value(item, "chain"))
'''

# Certificates only, each into a CA that exists already (a literal ARN): no other resource to create.
FLAT_PROGRAM = '''
import json
import pulumi_aws as aws
from pca_import import CaCertificateImport

for i, item in enumerate(json.load(open("resources.json"))):
    arn = f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/cert-{i}"
    if item["kind"] == "aws":
        aws.acmpca.CertificateAuthorityCertificate(item["name"], certificate_authority_arn=arn,
                                                   certificate=item["certificate"], certificate_chain=item["chain"])
    else:
        CaCertificateImport(item["name"], certificate_authority_arn=arn, certificate=item["certificate"],
                            certificate_chain=item["chain"])
'''

VIOLATION = re.compile(r"^\s*- \[(mandatory|advisory)\]\s+(\S+)\s+\((\S+): ([^)]+)\)\n\s*(.*)\n\s*(.*)$", re.M)


def ensure_policy_venv() -> None:
    """The pack's own virtualenv (policy/venv), made once by `make policy-venv`."""
    subprocess.run(["make", "-s", "policy-venv"], cwd=REPO, check=True, capture_output=True)


def violations(output: str) -> list[tuple[str, str, str, str, str]]:
    """(level, policy, resource type, resource name, message) of each violation in the Policies section."""
    return [(m[1], m[2], m[3], m[4], m[6]) for m in VIOLATION.finditer(output)]


class PolicyProject:
    def __init__(self, work: Path, resources: list[dict] | None = None, program: str = PROGRAM):
        self.work = Path(work)
        self.dir = self.work / "program"
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.work / "state").mkdir(exist_ok=True)
        (self.dir / "Pulumi.yaml").write_text(
            f"name: policy-test\nruntime:\n  name: python\n  options:\n    virtualenv: {REPO / '.venv'}\n")
        (self.dir / "__main__.py").write_text(program)
        self.calls_log = self.work / "aws-standin-calls.log"
        standin = write_plugin(self.work / "standin").parent
        self.env = {**os.environ,
                    "PATH": os.pathsep.join([engine_bin(), str(standin), str(REPO / ".venv" / "bin"),
                                             os.environ.get("PATH", "")]),
                    "PULUMI_HOME": str(self.work / "home"), "PULUMI_BACKEND_URL": f"file://{self.work / 'state'}",
                    "PULUMI_CONFIG_PASSPHRASE": "policy-test", "PULUMI_SKIP_UPDATE_CHECK": "true",
                    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "NO_COLOR": "1",
                    "PCA_IMPORT_AWS_STANDIN_LOG": str(self.calls_log)}
        self.env.pop("PULUMI_ACCESS_TOKEN", None)
        self.pulumi("stack", "init", "test", check=True)
        self.pulumi("config", "set", "aws:region", "us-east-1", check=True)
        # CaCertificateImport's own preview check would read the CA from AWS: none here
        self.pulumi("config", "set", "pca-import:previewLiveChecks", "false", check=True)
        if resources is not None:
            self.set_resources(resources)

    def set_resources(self, resources: list[dict]) -> None:
        (self.dir / "resources.json").write_text(json.dumps(resources))

    def pulumi(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(["pulumi", *args, "--non-interactive"], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, check=check, timeout=600)

    def use_program(self, program: str) -> None:
        (self.dir / "__main__.py").write_text(program)

    def preview(self, policy: bool = True) -> subprocess.CompletedProcess:
        args = ["preview", "--color", "never"] + (["--policy-pack", str(POLICY_PACK)] if policy else [])
        return self.pulumi(*args)

    def standin_calls(self) -> set[str]:
        return set(self.calls_log.read_text().split()) if self.calls_log.exists() else set()
