"""The `pca-import` command line as a user runs it: real processes, real files, exit codes, JSON shape."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from certfactory import ca, chain

ROOT = ca("CLI Root")
INTER = ca("CLI Intermediate", ROOT)
SUB = ca("CLI Issuing", INTER)


def run(*args, stdin: str | bytes | None = None):
    data = stdin.encode() if isinstance(stdin, str) else stdin
    p = subprocess.run([sys.executable, "-m", "pca_import", *args], input=data, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "sub.pem").write_text(SUB.pem)
    (tmp_path / "chain.pem").write_text(chain(INTER, ROOT))
    (tmp_path / "bad-chain.pem").write_text(chain(ROOT, INTER))
    (tmp_path / "root.der").write_bytes(ROOT.der)
    return tmp_path


def test_validate_importable_exits_0(files):
    code, out, _ = run("validate", "--certificate", str(files / "sub.pem"), "--chain", str(files / "chain.pem"))
    assert code == 0 and "importable as SUBORDINATE" in out


def test_validate_not_importable_exits_1_and_says_why(files):
    code, out, _ = run("validate", "--certificate", str(files / "sub.pem"), "--chain", str(files / "bad-chain.pem"))
    assert code == 1 and "CHAIN002" in out and "out of order" in out


def test_validate_json_shape(files):
    code, out, _ = run("validate", "--certificate", str(files / "root.der"), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert {f["code"] for f in doc["findings"]} == {"ENC002"}
    assert set(doc["findings"][0]) == {"code", "severity", "message", "location", "citation"}
    assert "openssl x509 -inform der" in doc["findings"][0]["message"]
    assert set(doc) == {"ok", "findings", "not_checked"}  # the shape docs/cli.md lists
    doc = json.loads(run("validate", "--certificate", str(files / "sub.pem"), "--chain", str(files / "chain.pem"),
                         "--json")[1])
    assert set(doc) == {"ok", "findings", "not_checked"}
    assert doc["not_checked"] and all(set(n) == {"code", "reason"} for n in doc["not_checked"])
    assert {"KEY001", "STAT001"} <= {n["code"] for n in doc["not_checked"]}  # no CSR, no live CA


def test_validate_reads_stdin(files):
    code, out, _ = run("validate", "--certificate", "-", "--chain", str(files / "chain.pem"), stdin=SUB.pem)
    assert code == 0, out


def test_unreadable_input_and_usage_errors_exit_2(files):
    code, _, err = run("validate", "--certificate", str(files / "missing.pem"))
    assert code == 2 and "cannot read" in err and "Traceback" not in err
    code, _, err = run("validate")
    assert code == 2 and "--certificate" in err


def test_rules_catalogue_lists_every_code():
    code, out, _ = run("rules", "--json")
    rules = json.loads(out)
    assert code == 0 and {"ENC002", "CHAIN002", "EXT002", "KEY001"} <= {r["code"] for r in rules}
    assert next(r for r in rules if r["code"] == "EXT002")["strict_severity"] == "error"


def test_tf_external_success_returns_flat_string_map():
    query = json.dumps({"certificate": SUB.pem, "certificate_chain": chain(INTER, ROOT)})
    code, out, err = run("tf-external", stdin=query)
    doc = json.loads(out)
    assert code == 0, err
    assert all(isinstance(v, str) for v in doc.values())
    assert doc["ok"] == "true" and doc["ca_type"] == "SUBORDINATE" and doc["certificate"] == SUB.pem
    assert doc["key_algorithm"] == "EC_prime256v1"  # the Private CA key algorithm the CA's key corresponds to


def test_tf_external_failure_exits_nonzero_with_findings_on_stderr():
    code, out, err = run("tf-external", stdin=json.dumps({"certificate": SUB.pem}))
    assert code == 1 and out == "" and "SUB002" in err
    code, _, err = run("tf-external", stdin="not json")
    assert code == 2 and "JSON" in err


def test_validate_stays_light():
    """`validate` must not pull in boto3 or pulumi (start-up time, and usable without them)."""
    code = ("import sys; from pca_import.integrations.cli import main; main(['rules']);"
            "bad=[m for m in ('boto3','botocore','pulumi','moto') if m in sys.modules]; print(bad)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.stdout.strip().endswith("[]"), p.stdout


def test_pca_import_now_moves_the_clock_for_expiry_rules(tmp_path, monkeypatch, capsys):
    from pca_import.integrations.cli import main
    """PCA_IMPORT_NOW (a testing aid) is the one place the rules read the time from."""
    from certfactory import ca as make_ca
    root = make_ca("Clock Root", days=400)
    (tmp_path / "root.pem").write_text(root.pem)
    assert main(["validate", "--certificate", str(tmp_path / "root.pem")]) == 0
    monkeypatch.setenv("PCA_IMPORT_NOW", (root.cert.not_valid_after_utc - __import__("datetime").timedelta(days=5))
                       .isoformat())
    assert main(["validate", "--certificate", str(tmp_path / "root.pem")]) == 0
    assert "VAL003" in capsys.readouterr().out
    monkeypatch.setenv("PCA_IMPORT_NOW", "2099-01-01T00:00:00Z")
    assert main(["validate", "--certificate", str(tmp_path / "root.pem")]) == 1
    assert "VAL001" in capsys.readouterr().out
    monkeypatch.setenv("PCA_IMPORT_NOW", "next tuesday")
    assert main(["validate", "--certificate", str(tmp_path / "root.pem")]) == 2
    assert "PCA_IMPORT_NOW='next tuesday' is not an ISO 8601 time" in capsys.readouterr().err


@pytest.mark.parametrize("query, key", [
    ('{"certificate": NaN}', "certificate"),
    ('{"certificate": "x", "profile": Infinity}', "profile"),
    ('{"certificate": null}', "certificate"),
    ('{"certificate": "x", "csr": ' + "[" * 100_000 + "]" * 100_000 + "}", "csr"),
    ('{"certificate": "x", "ca_type": ' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "}", "ca_type"),
])
def test_tf_external_names_the_key_of_a_value_that_is_not_a_string(query, key):
    code, out, err = run("tf-external", stdin=query)
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"query value(s) {key} " in err


def test_status_refuses_a_negative_warn_days():
    code, _, err = run("status", "--ca-arn", "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x",
                       "--warn-days", "-5")
    assert code == 2 and "-5" in err and "Traceback" not in err


def test_tree_stack_without_the_pulumi_extra_names_it(tmp_path):
    code = ("import sys; sys.modules['pulumi'] = None; from pca_import.integrations.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    p = subprocess.run([sys.executable, "-c", code, "tree", "--stack", "pki", "--cwd", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    assert "install `pca-import[pulumi]`" in p.stderr and "Traceback" not in p.stderr
    assert "ModuleNotFoundError" not in p.stderr
