"""`pca-import import` and `pca-import status` as processes against the emulator over HTTP."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pca
from certfactory import ca, chain

ROOT = ca("CLI Offline Root")


def run(*args):
    p = subprocess.run([sys.executable, "-m", "pca_import", *args], capture_output=True, text=True, env=os.environ)
    return p.returncode, p.stdout, p.stderr


def test_import_then_status(emulator_url, tmp_path, calls):
    arn, csr = pca.create_ca("SUBORDINATE", "CLI Imported CA")
    (tmp_path / "c.pem").write_text(pca.external_sign(csr, ROOT, days=100))
    (tmp_path / "chain.pem").write_text(chain(ROOT))
    code, out, err = run("import", "--ca-arn", arn, "--certificate", str(tmp_path / "c.pem"),
                         "--chain", str(tmp_path / "chain.pem"))
    assert code == 0, err
    assert out.startswith("imported: CN=CLI Imported CA") and "ACTIVE" in out
    code, out, _ = run("import", "--ca-arn", arn, "--certificate", str(tmp_path / "c.pem"),
                       "--chain", str(tmp_path / "chain.pem"))
    assert code == 0 and out.startswith("already held (no import call)")
    assert calls.get()["ImportCertificateAuthorityCertificate"] == 1
    code, out, _ = run("status", "--ca-arn", arn, "--json")
    st = json.loads(out)
    assert code == 0 and st["status"] == "ACTIVE" and st["type"] == "SUBORDINATE" and 98 <= st["days_left"] <= 100
    assert run("status", "--ca-arn", arn, "--warn-days", "30")[0] == 0
    code, _, err = run("status", "--ca-arn", arn, "--warn-days", "120")
    assert code == 1 and "day(s) left" in err and "renew" in err


def test_dry_run_checks_against_the_live_ca_without_importing(emulator_url, tmp_path, calls):
    arn, csr = pca.create_ca("SUBORDINATE", "CLI Dry Run CA")
    (tmp_path / "c.pem").write_text(pca.external_sign(csr, ROOT))
    (tmp_path / "chain.pem").write_text(chain(ROOT))
    code, out, _ = run("import", "--dry-run", "--ca-arn", arn, "--certificate", str(tmp_path / "c.pem"),
                       "--chain", str(tmp_path / "chain.pem"))
    assert code == 0 and "dry run, nothing sent" in out and "PENDING_CERTIFICATE" in out
    code, out, _ = run("import", "--dry-run", "--ca-arn", arn, "--certificate", str(tmp_path / "c.pem"), "--json")
    assert code == 1 and "SUB002" in {f["code"] for f in json.loads(out)["findings"]}
    assert "ImportCertificateAuthorityCertificate" not in calls.get()
    assert pca.status(arn) == "PENDING_CERTIFICATE"


def test_import_refuses_a_bad_certificate_before_sending(emulator_url, tmp_path, calls):
    arn, _ = pca.create_ca("SUBORDINATE", "CLI Refused CA")
    _, other_csr = pca.create_ca("SUBORDINATE", "CLI Refused CA")
    (tmp_path / "c.pem").write_text(pca.external_sign(other_csr, ROOT))
    code, _, err = run("import", "--ca-arn", arn, "--certificate", str(tmp_path / "c.pem"))
    assert code == 1 and "KEY001" in err and "SUB002" in err and "nothing was sent" in err
    assert "Traceback" not in err
    assert "ImportCertificateAuthorityCertificate" not in calls.get()


def test_status_of_a_missing_ca_and_unreadable_files(emulator_url, tmp_path):
    missing = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000001"
    code, _, err = run("status", "--ca-arn", missing)
    assert code == 1 and missing in err and "Traceback" not in err
    code, _, err = run("import", "--ca-arn", missing, "--certificate", str(tmp_path / "nope.pem"))
    assert code == 2 and "cannot read" in err


def test_status_exits_1_for_a_ca_not_in_its_declared_state(emulator_url, tmp_path):
    arn, csr = pca.create_ca("SUBORDINATE", "CLI Declared CA")
    pca.import_raw(arn, pca.external_sign(csr, ROOT, days=100), chain(ROOT))
    assert run("status", "--ca-arn", arn)[0] == 0
    code, _, err = run("status", "--ca-arn", arn, "--declared", "disabled")
    assert code == 1 and "declared disabled" in err
    pca.client().update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    code, out, err = run("status", "--ca-arn", arn, "--json")
    assert code == 1 and json.loads(out)["declared_status"] == "ACTIVE" and "enable it" in err
    assert run("status", "--ca-arn", arn, "--declared", "disabled", "--warn-days", "30")[0] == 0
    code, _, err = run("status", "--ca-arn", arn, "--declared", "disabled", "--warn-days", "120")
    assert code == 1 and "day(s) left" in err
