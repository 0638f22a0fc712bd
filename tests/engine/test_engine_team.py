"""Team use on the real engine: a shared S3 state backend (the emulator's S3) and a KMS secrets provider (the
emulator's KMS), as `pulumi login s3://…` and `--secrets-provider awskms://…` are used against AWS.

Two `pulumi up` of one stack started together: one runs, the other stops at the backend's lock and changes
nothing; afterwards the stack and AWS agree (one CA, no changes on preview)."""
from __future__ import annotations

import subprocess
import time
import uuid

import boto3
import pytest

from faultproxy import FaultProxy
from pca_import.devtools.local_pulumi import LocalProject, engine_bin

pytestmark = pytest.mark.engine

RUN = uuid.uuid4().hex[:8]  # unique names: the emulator (PCA_IMPORT_EMULATOR_URL) may outlive one run
BUCKET = f"pca-import-team-state-{RUN}"
KMS_ALIAS = f"alias/pca-import-team-secrets-{RUN}"
ROOT_CN, ISSUING_CN = f"Team Root {RUN}", f"Team Issuing {RUN}"


@pytest.fixture(scope="module")
def team(tmp_path_factory, emulator_url):
    """A project whose state is in the emulator's S3 and whose secrets are encrypted by the emulator's KMS."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    kms = boto3.client("kms")
    kms.create_alias(AliasName=KMS_ALIAS, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    aws = {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proj = LocalProject(tmp_path_factory.mktemp("team") / "w", engine_bin(), aws)
    # gocloud's s3 URL: a custom endpoint and path-style addressing (a bucket is not a host name here)
    proj.env["PULUMI_BACKEND_URL"] = f"s3://{BUCKET}?endpoint={emulator_url}&use_path_style=true&region=us-east-1"
    proj.env.pop("PULUMI_CONFIG_PASSPHRASE", None)  # no passphrase: the KMS key protects the stack's secrets
    proj.pulumi("stack", "init", "pki", "--secrets-provider", f"awskms://{KMS_ALIAS}?region=us-east-1")
    proj.edit_config("pki", lambda c: c.pop("pca-import:signerStack", None))
    proj.set_object("pki", "pca-import:hierarchy", [{"name": "team-root", "type": "ROOT",
                                                     "subject": {"commonName": ROOT_CN}}])
    return proj


def _state_objects() -> dict[str, bytes]:
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


def _cas_named(cn: str) -> list[str]:
    pca = boto3.client("acm-pca")
    return [ca["Arn"] for ca in pca.list_certificate_authorities()["CertificateAuthorities"]
            if ca["CertificateAuthorityConfiguration"]["Subject"].get("CommonName") == cn
            and ca["Status"] != "DELETED"]


def test_state_and_secrets_live_in_the_emulators_s3_and_kms(team):
    stack_file = team.stack_file("pki").read_text()
    assert "secretsprovider: awskms://" + KMS_ALIAS in stack_file and "encryptedkey:" in stack_file
    team.config_set("pki", "pca-import:teamNote", "a-team-secret-4711", secret=True)
    assert "a-team-secret-4711" not in team.stack_file("pki").read_text()
    got = team.pulumi("config", "get", "pca-import:teamNote", stack="pki").stdout.strip()
    assert got == "a-team-secret-4711"  # decrypted through the emulator's KMS
    team.up("pki")
    objects = _state_objects()
    assert ".pulumi/stacks/pca-import/pki.json" in objects
    assert not any(b"a-team-secret-4711" in body for body in objects.values())
    export = team.pulumi("stack", "export", "--show-secrets", stack="pki").stdout
    assert "a-team-secret-4711" in export  # the checkpoint holds it encrypted; the KMS key decrypts it
    assert len(_cas_named(ROOT_CN)) == 1


def test_two_ups_of_one_stack_started_together_one_runs_the_other_gets_the_lock_error(team):
    team.set_object("pki", "pca-import:hierarchy", [
        {"name": "team-root", "type": "ROOT", "subject": {"commonName": ROOT_CN}},
        {"name": "team-issuing", "type": "SUBORDINATE", "parent": "team-root",
         "subject": {"commonName": ISSUING_CN}}])
    argv = ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--stack", "pki"]
    # the first up's Private CA calls go through a proxy that waits 0.3 s each: it holds the lock for seconds, so
    # the second is still starting up within it on a loaded machine (state and secrets go straight to the emulator)
    slow = FaultProxy(team.env["AWS_ENDPOINT_URL"]).always("*", "delay:0.3")
    procs = [subprocess.Popen(argv, cwd=team.dir, env={**team.env, "AWS_ENDPOINT_URL_ACM_PCA": slow.url},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)]
    # the second starts while the first holds the stack's lock (its lock object is in the bucket): both runs
    # overlap, and the test does not depend on which of two simultaneous lock writes S3 lists first
    deadline = time.monotonic() + 120
    while not any(k.startswith(".pulumi/locks/") for k in _state_objects()) and procs[0].poll() is None:
        assert time.monotonic() < deadline, "the first up never took the lock"
        time.sleep(0.05)
    assert procs[0].poll() is None, "the first up ended before the second started"
    procs.append(subprocess.Popen(argv, cwd=team.dir, env=team.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True))
    outs = [p.communicate(timeout=600)[0] for p in procs]
    slow.close()
    assert procs[0].returncode == 0 and procs[1].returncode != 0, outs
    assert "the stack is currently locked by 1 lock(s)" in outs[1] and "pulumi cancel" in outs[1], outs[1]
    assert not any(k.startswith(".pulumi/locks/") for k in _state_objects())  # the winner released its lock
    assert len(_cas_named(ISSUING_CN)) == 1 and len(_cas_named(ROOT_CN)) == 1  # nothing twice
    team.pulumi("preview", "--expect-no-changes", stack="pki")
    team.pulumi("refresh", "--yes", "--expect-no-changes", stack="pki")
    cas = team.outputs("pki")["cas"]
    assert cas["team-issuing"]["status"] == "ACTIVE" and cas["team-root"]["status"] == "ACTIVE"
