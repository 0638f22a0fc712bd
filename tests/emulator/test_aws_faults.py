"""AWS faults between boto3 and the emulator, injected by a real proxy over HTTP (tests/faultproxy.py).

What a person must be told is the truth: the import is sent once per decision, and after a lost reply the
message says whether the CA holds the certificate. Counts are the emulator's (what "AWS" received)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import pca
from certfactory import ca, chain
from faultproxy import FaultProxy
from pca_import.aws.client import PrivateCa, Settings
from pca_import.errors import AwsError
from pca_import.resources.ca_import import CaCertificateImportProvider

ROOT = ca("Fault Root")
IMPORT = "ImportCertificateAuthorityCertificate"
BUDGET = 2.0  # seconds per step in these tests


@pytest.fixture
def proxy(emulator_url, monkeypatch):
    p = FaultProxy(emulator_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
    monkeypatch.setenv("PCA_IMPORT_AWS_TIMEOUT", str(BUDGET))
    yield p
    p.close()


def pending_ca(cn: str, days: int = 365):
    """A SUBORDINATE CA awaiting its certificate (created straight at the emulator), and provider props."""
    arn, csr = pca.create_ca("SUBORDINATE", cn)
    cert = pca.external_sign(csr, ROOT, days=days)
    return arn, csr, {"certificate_authority_arn": arn, "certificate": cert, "certificate_chain": chain(ROOT),
                      "owner": f"proj/stack/{cn}"}


def held(arn: str):
    """What the emulator's CA holds, asked directly (not through the proxy)."""
    c = pca.client()
    if pca.status(arn) == "PENDING_CERTIFICATE":
        return None
    return c.get_certificate_authority_certificate(CertificateAuthorityArn=arn)["Certificate"]


@pytest.fixture(autouse=True)
def _emulator_helpers_bypass_proxy(emulator_url, monkeypatch):
    # tests/pca.py talks to the emulator directly, so set-up and inspection are never faulted
    import boto3
    monkeypatch.setattr(pca, "client", lambda: boto3.client("acm-pca", endpoint_url=emulator_url))


def test_lost_reply_to_the_import_is_one_import_and_a_truthful_success(proxy, calls, capfd):
    arn, _, props = pending_ca("Lost Reply CA")
    proxy.fail(IMPORT, "lose_reply")
    outs = CaCertificateImportProvider().create(props).outs
    assert calls.get()[IMPORT] == 1  # sent once, never re-sent
    assert outs["status"] == "ACTIVE" and held(arn) is not None
    assert "AWS accepted the import: the CA holds it" in capfd.readouterr().err


def test_request_dropped_before_aws_is_nothing_imported(proxy, calls):
    arn, _, props = pending_ca("Dropped CA")
    proxy.fail(IMPORT, "drop")
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    assert "nothing was imported" in str(exc.value) and exc.value.imported is False
    assert arn in str(exc.value)
    assert calls.get().get(IMPORT, 0) == 0 and pca.status(arn) == "PENDING_CERTIFICATE"
    # the next run imports it, once
    calls.reset()
    assert CaCertificateImportProvider().create(props).outs["status"] == "ACTIVE"
    assert calls.get()[IMPORT] == 1


def test_aws_refusing_the_import_says_nothing_was_imported(proxy, calls):
    arn, _, props = pending_ca("Refused CA")
    proxy.fail(IMPORT, "error:400:CertificateMismatchException")
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    assert "CertificateMismatchException" in str(exc.value) and "nothing was imported" in str(exc.value)
    assert pca.status(arn) == "PENDING_CERTIFICATE"


def test_hung_endpoint_fails_within_the_budget_naming_the_step(proxy, calls):
    arn, _, props = pending_ca("Hung CA")
    proxy.always("DescribeCertificateAuthority", "hang")
    start = time.monotonic()
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    took = time.monotonic() - start
    assert took < BUDGET + 1.0, took
    msg = str(exc.value)
    assert "describing the CA gave up" in msg and arn in msg and "PCA_IMPORT_AWS_TIMEOUT" in msg
    assert calls.get().get(IMPORT, 0) == 0


def test_hung_import_is_sent_once_and_settled_by_reading_back(proxy, calls):
    arn, _, props = pending_ca("Hung Import CA")
    proxy.always(IMPORT, "hang")  # the request never reaches the emulator; the caller waits for a reply
    start = time.monotonic()
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    took = time.monotonic() - start
    assert took < 2 * BUDGET + 1.0, took  # the import's budget, then the read-back's
    assert "importing the CA certificate gave up" in str(exc.value) and "nothing was imported" in str(exc.value)
    assert proxy.seen[IMPORT] == 1 and calls.get().get(IMPORT, 0) == 0


def test_reply_lost_and_read_back_failing_says_it_is_not_known(proxy, calls):
    arn, _, props = pending_ca("Unknown Outcome CA")
    proxy.fail(IMPORT, "lose_reply")
    proxy.always("GetCertificateAuthorityCertificate", "drop")
    original = proxy._next_fault

    def after_import(action):  # once the import went out, every describe is dropped too
        fault = original(action)
        if action == IMPORT:
            proxy.always("DescribeCertificateAuthority", "drop")
        return fault
    proxy._next_fault = after_import
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    msg = str(exc.value)
    assert "is not known" in msg and f"pca-import status --ca-arn {arn}" in msg and exc.value.imported is None
    assert calls.get()[IMPORT] == 1 and held(arn) is not None  # it did happen: the message did not deny it


def test_read_back_failing_after_a_renewal_says_the_import_happened(proxy, calls):
    arn, csr, props = pending_ca("Renewal Readback CA")
    provider = CaCertificateImportProvider()
    outs = provider.create(props).outs
    renewed = dict(props, certificate=pca.external_sign(csr, ROOT, days=700))
    original = proxy._next_fault

    def after_import(action):
        fault = original(action)
        if action == IMPORT:
            proxy.always("DescribeCertificateAuthority", "drop")
        return fault
    proxy._next_fault = after_import
    calls.reset()
    with pytest.raises(AwsError) as exc:
        provider.update(arn, outs, renewed)
    msg = str(exc.value)
    assert msg.startswith("AWS accepted the import: the CA holds it") and "describing the CA" in msg
    assert exc.value.imported is True and calls.get()[IMPORT] == 1
    assert held(arn).strip() == renewed["certificate"].strip()


def test_marking_the_owner_failing_after_a_first_import_says_the_import_happened(proxy, calls):
    arn, _, props = pending_ca("Tag Fails CA")
    proxy.always("TagCertificateAuthority", "error:403:AccessDeniedException")
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    msg = str(exc.value)
    assert msg.startswith("AWS accepted the import: the CA holds it") and "pca-import:owner" in msg
    assert "AccessDeniedException" in msg and exc.value.imported is True
    # the next run finds it held: recorded and marked without a second import
    proxy.always("TagCertificateAuthority", None)
    outs = CaCertificateImportProvider().create(props).outs
    assert outs["status"] == "ACTIVE" and calls.get()[IMPORT] == 1


def test_transient_failures_of_reads_are_retried(proxy, calls):
    arn, _, props = pending_ca("Flaky Reads CA")
    proxy.fail("DescribeCertificateAuthority", "error:503:ServiceUnavailable")
    proxy.fail("ListTags", "drop")
    outs = CaCertificateImportProvider().create(props).outs
    assert outs["status"] == "ACTIVE" and calls.get()[IMPORT] == 1
    assert proxy.seen["DescribeCertificateAuthority"] == 2 and proxy.seen["ListTags"] == 2


def test_a_reply_that_is_not_json_is_a_message_not_a_traceback(proxy):
    arn, _, _ = pending_ca("Garbage CA")
    proxy.always("DescribeCertificateAuthority", "garbage")
    with pytest.raises(AwsError) as exc:
        PrivateCa(Settings.from_environment()).describe(arn)
    assert exc.value.code == "BadReply" and "not AWS Private CA's" in str(exc.value)
    assert "AWS_ENDPOINT_URL" in str(exc.value)
    env = dict(os.environ)
    p = subprocess.run([sys.executable, "-m", "pca_import", "status", "--ca-arn", arn], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 1 and "not AWS Private CA's" in p.stderr and "Traceback" not in p.stderr


def test_a_garbage_reply_to_the_import_is_settled_by_reading_back(proxy, calls):
    arn, _, props = pending_ca("Garbage Import CA")
    proxy.fail(IMPORT, "garbage")  # answered by something else: the emulator never saw it
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    assert "nothing was imported" in str(exc.value) and calls.get().get(IMPORT, 0) == 0


def test_rejected_credentials_are_a_message_with_the_fix(proxy):
    arn, _, _ = pending_ca("Bad Creds CA")
    proxy.always("*", "error:400:UnrecognizedClientException")
    p = subprocess.run([sys.executable, "-m", "pca_import", "status", "--ca-arn", arn], capture_output=True,
                       text=True, env=dict(os.environ))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "credentials are not valid" in p.stderr and "aws sso login" in p.stderr and "describing the CA" in p.stderr


def test_cli_import_after_a_lost_reply_reports_the_truth(proxy, calls, tmp_path):
    arn, _, props = pending_ca("CLI Lost Reply CA")
    (tmp_path / "c.pem").write_text(props["certificate"])
    (tmp_path / "chain.pem").write_text(props["certificate_chain"])
    proxy.fail(IMPORT, "lose_reply")
    p = subprocess.run([sys.executable, "-m", "pca_import", "import", "--ca-arn", arn, "--certificate",
                        str(tmp_path / "c.pem"), "--chain", str(tmp_path / "chain.pem"), "--json"],
                       capture_output=True, text=True, env=dict(os.environ))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["imported"] is True and "AWS accepted the import: the CA holds it" in p.stderr
    assert calls.get()[IMPORT] == 1


@pytest.mark.parametrize("timeout", [1, 2, 5, 10, 30, 60, 600])
@pytest.mark.parametrize("attempts", [1, 3, 10])
def test_per_attempt_timeouts_fit_the_budget(timeout, attempts):
    from pca_import.aws.client import _backoff_reserve
    s = Settings(timeout=timeout, max_attempts=attempts)
    n = s.read_attempts()
    assert 1 <= n <= attempts
    assert n * sum(s.timeouts(write=False)) + _backoff_reserve(n) <= timeout + 1e-9
    assert sum(s.timeouts(write=True)) <= timeout + 1e-9


def test_a_preview_that_cannot_reach_aws_pays_the_budget_once(proxy, calls):
    """The engine checks resources one at a time: after the first time-out the rest of the preview runs offline."""
    provider = CaCertificateImportProvider()
    cas = [pending_ca(f"Offline Preview CA {i}") for i in range(3)]
    proxy.always("*", "hang")
    start = time.monotonic()
    for _arn, _csr, props in cas:
        assert provider.check({}, props).failures == []  # the offline rules pass; nothing fails for lack of AWS
    assert time.monotonic() - start < BUDGET + 1.0
    assert sum(proxy.seen.values()) <= 3  # the first resource's attempts only


class _Config(dict):
    """What the dynamic-provider host passes to configure: the stack config, read with .get."""


class _Request:
    def __init__(self, config):
        self.config = _Config(config)


def test_the_budget_comes_from_the_stack_config(proxy, monkeypatch):
    monkeypatch.delenv("PCA_IMPORT_AWS_TIMEOUT")
    arn, _, props = pending_ca("Stack Budget CA")
    proxy.always("DescribeCertificateAuthority", "hang")
    provider = CaCertificateImportProvider()
    provider.configure(_Request({"aws:region": "us-east-1", "pca-import:awsTimeoutSeconds": "1.5",
                                 "pca-import:awsMaxAttempts": "2"}))
    start = time.monotonic()
    with pytest.raises(AwsError) as exc:
        provider.create(props)
    assert time.monotonic() - start < 2.5 and "budget 1.5 s" in str(exc.value)
    bad = CaCertificateImportProvider()
    bad.configure(_Request({"pca-import:awsTimeoutSeconds": "soon"}))
    failures = bad.check({}, props).failures
    assert len(failures) == 1 and "pca-import:awsTimeoutSeconds must be a number from 1 to 3600" in failures[0].reason


def test_status_without_list_tags_permission_still_reports(proxy):
    arn, _, _ = pending_ca("No ListTags CA")
    proxy.always("ListTags", "error:400:AccessDeniedException")
    p = subprocess.run([sys.executable, "-m", "pca_import", "status", "--ca-arn", arn, "--json"], capture_output=True,
                       text=True, env=dict(os.environ))
    # it still reports; exit 1 because a CA awaiting its first certificate is not in its declared state (ACTIVE)
    assert p.returncode == 1 and "PENDING_CERTIFICATE, declared enabled" in p.stderr, p.stderr
    assert json.loads(p.stdout)["owner"].startswith("(unknown: no acm-pca:ListTags permission)")


def test_a_server_error_to_the_import_is_settled_by_reading_back(proxy, calls):
    arn, _, props = pending_ca("5xx Import CA")
    proxy.fail(IMPORT, "error:500:InternalFailure")  # answered by something failing: the emulator never saw it
    with pytest.raises(AwsError) as exc:
        CaCertificateImportProvider().create(props)
    assert "InternalFailure" in str(exc.value) and "Reading the CA back shows nothing was imported" in str(exc.value)
    assert calls.get().get(IMPORT, 0) == 0


def test_an_import_that_cannot_connect_was_never_sent(emulator_url):
    from pca_import.core.validate import validate_import
    arn, csr = pca.create_ca("SUBORDINATE", "Unreachable CA")
    report = validate_import(pca.external_sign(csr, ROOT), chain(ROOT))
    closed = PrivateCa(Settings(region="us-east-1", endpoint_url="http://127.0.0.1:9", timeout=2))
    with pytest.raises(AwsError) as exc:
        closed._import_once(arn, report, None)
    assert "could not connect" in str(exc.value) and str(exc.value).endswith("nothing was imported")
    assert exc.value.imported is False
