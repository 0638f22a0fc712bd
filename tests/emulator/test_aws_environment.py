"""A machine whose AWS set-up is wrong, or that lacks an optional extra: a message with the fix, in the CLI
(exit codes as documented) and in the provider (a check failure at preview, an error at apply), never a
traceback."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from certfactory import ca
from pca_import.errors import AwsError
from pca_import.resources.ca_import import CaCertificateImportProvider

ARN = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000009"
ROOT = ca("Env Root")


def clean_env(**overrides) -> dict[str, str]:
    """An environment with no AWS settings at all, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PCA_IMPORT_"))}
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    env.update(overrides)
    return env


def cli(*args, env=None, prelude: str = "pass"):
    code = f"import sys; {prelude}; from pca_import.integrations.cli import main; sys.exit(main(sys.argv[1:]))"
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                       env=env or dict(os.environ), timeout=60)
    return p.returncode, p.stdout, p.stderr


CASES = {
    "no region": (dict(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y"), ["no AWS region", "aws:region", "AWS_REGION"]),
    "unknown profile": (dict(AWS_PROFILE="no-such-profile", AWS_REGION="us-east-1"),
                        ["'no-such-profile'", "aws configure list-profiles"]),
    "malformed endpoint": (dict(AWS_ENDPOINT_URL="localhost 5055", AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="x",
                                AWS_SECRET_ACCESS_KEY="y"), ["AWS_ENDPOINT_URL is 'localhost 5055', not an endpoint URL", "http(s)://host[:port]"]),
    "no credentials": (dict(AWS_REGION="us-east-1", AWS_ENDPOINT_URL="http://127.0.0.1:9"),
                       ["no usable AWS credentials", "AWS_PROFILE"]),
    "bad budget": (dict(PCA_IMPORT_AWS_TIMEOUT="soon", AWS_REGION="us-east-1"),
                   ["PCA_IMPORT_AWS_TIMEOUT must be a number from 1 to 3600, not 'soon'"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_environment_errors_are_messages_with_the_fix(case):
    overrides, expected = CASES[case]
    for args in (["status", "--ca-arn", ARN], ["import", "--dry-run", "--ca-arn", ARN, "--certificate", os.devnull]):
        code, _, err = cli(*args, env=clean_env(**overrides))
        assert code == 1, (args, err)
        assert "Traceback" not in err and 'File "' not in err, err
        for text in expected:
            assert text in err, (args, err)
        assert case in ("bad budget", "malformed endpoint") or ARN in err  # the place: which CA it was about


@pytest.mark.parametrize("case", ["no region", "unknown profile", "malformed endpoint", "no credentials"])
def test_provider_environment_errors_fail_the_check_and_the_create_with_the_fix(case, monkeypatch):
    overrides, expected = CASES[case]
    for k in [k for k in os.environ if k.startswith(("AWS_", "PCA_IMPORT_"))]:
        monkeypatch.delenv(k)
    for k, v in clean_env(**overrides).items():
        if k.startswith("AWS_") or k.startswith("PCA_IMPORT_"):
            monkeypatch.setenv(k, v)
    cert = ROOT.pem
    props = {"certificate_authority_arn": ARN, "certificate": cert, "owner": "p/s/r"}
    failures = CaCertificateImportProvider().check({}, props).failures
    assert [f.property for f in failures] == ["certificate_authority_arn"]
    assert all(t in failures[0].reason for t in expected) and "previewLiveChecks false" in failures[0].reason
    assert ARN in failures[0].reason or case == "malformed endpoint"  # a setting error names the variable
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    assert all(t in str(exc.value) for t in expected)


def test_missing_aws_extra_names_it(emulator_url):
    block = "sys.modules['boto3'] = None; sys.modules['botocore'] = None"
    for args in (["status", "--ca-arn", ARN], ["import", "--ca-arn", ARN, "--certificate", os.devnull]):
        code, _, err = cli(*args, prelude=block)
        assert code == 2, err
        assert "install `pca-import[aws]`" in err and "Traceback" not in err and "ModuleNotFoundError" not in err


@pytest.mark.parametrize("module", ["werkzeug", "moto"])
def test_missing_emulator_extra_names_it(module):
    code, _, err = cli("emulator", "--port", "5999", prelude=f"sys.modules[{module!r}] = None")
    assert code == 2 and "install `pca-import[emulator]`" in err and module in err and "Traceback" not in err


def test_validate_needs_no_extra():
    block = "; ".join(f"sys.modules[{m!r}] = None" for m in ("boto3", "botocore", "pulumi", "moto", "werkzeug"))
    code, out, err = cli("validate", "--certificate", "-", prelude=block)
    assert code in (0, 1) and "Traceback" not in err


def test_the_provider_host_shows_an_actionable_error_as_its_message_and_a_bug_with_its_traceback(monkeypatch):
    import traceback
    import types

    from pca_import.resources import provider_errors
    host = types.ModuleType("__main__")
    host._abort_with_traceback, host.traceback = (lambda fn: fn), traceback
    monkeypatch.setitem(sys.modules, "__main__", host)
    provider_errors.install()
    try:
        raise AwsError("AWS Private CA arn:x: describing the CA failed — fix it", "NoRegion")
    except AwsError:
        assert host.traceback.format_exc() == "AWS Private CA arn:x: describing the CA failed — fix it"
    try:
        raise KeyError("a bug")
    except KeyError:
        assert "Traceback" in host.traceback.format_exc()


@pytest.mark.parametrize("env,expected", [
    (dict(AWS_REGION="us east 1"), "AWS_REGION is 'us east 1', not an AWS region name"),
    (dict(AWS_REGION="us-east-1", AWS_ENDPOINT_URL="http://[::1"), "AWS_ENDPOINT_URL is 'http://[::1', not an endpoint"),
    (dict(AWS_REGION="us-east-1", AWS_ENDPOINT_URL="http://127.0.0.1:99999"), "a port from 1 to 65535"),
])
def test_malformed_region_and_endpoint_name_the_variable(env, expected, monkeypatch):
    from pca_import.aws.client import Settings
    from pca_import.errors import ActionableError
    for k in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ActionableError, match=re.escape(expected)):
        Settings.from_environment()


def test_ignore_configured_endpoint_urls_is_honoured(monkeypatch):
    from pca_import.aws.client import Settings
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5055")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert Settings.from_environment(region="us-east-1").endpoint_url is None


def test_each_service_reads_its_own_endpoint_variable_first():
    """Private CA, STS and KMS look their endpoint up the one way the AWS SDKs do."""
    from pca_import.aws.client import configured_endpoint
    env = {"AWS_ENDPOINT_URL": "http://generic:1", "AWS_ENDPOINT_URL_KMS": "http://kms:2"}
    assert configured_endpoint("KMS", env) == ("http://kms:2", "AWS_ENDPOINT_URL_KMS")
    assert configured_endpoint("STS", env) == ("http://generic:1", "AWS_ENDPOINT_URL")
    assert configured_endpoint("ACM_PCA", {}) == (None, "AWS_ENDPOINT_URL")
    assert configured_endpoint("KMS", {**env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"})[0] is None
