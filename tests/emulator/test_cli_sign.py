"""`pca-import sign`, the ceremony on an air-gapped host: an offline root's self-signed certificate and a CA's
CSR signed by the offline key (a key file, a KMS key or a key on a PKCS#11 token). What it writes passes
`pca-import validate` against the CSR; what it refuses writes nothing."""
from __future__ import annotations

import datetime as dt
import json
import subprocess

import boto3
from cryptography import x509

from hsm import PIN
from pca_import.core.x509build import make_csr, name, new_key, pem, private_key_pem
from pca_import.integrations.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _ceremony(capsys, tmp_path, key: str, *, root_days: int = 3650, sub_days: int = 1825) -> dict:
    """Root, then a CA's CSR: both through `key`; returns the file paths and the CLI's JSON answers."""
    root = tmp_path / "root.pem"
    code, out, err = _run(capsys, "sign", "--key", key, "--self-signed", "--subject", "CN=Offline Root,O=Example",
                          "--path-length", "1", "--days", str(root_days), "--out", str(root), "--json")
    assert code == 0, err
    csr_key = new_key("EC_prime256v1")  # the Private CA's key (in AWS); here only its CSR matters
    csr = tmp_path / "ca.csr"
    csr.write_text(pem(make_csr(csr_key, name("Issuing CA"))))
    cert, chain = tmp_path / "ca.pem", tmp_path / "chain.pem"
    code, out2, err = _run(capsys, "sign", "--key", key, "--csr", str(csr), "--issuer-certificate", str(root),
                           "--path-length", "0", "--days", str(sub_days), "--out", str(cert), "--chain-out",
                           str(chain), "--json")
    assert code == 0, err
    return {"root": root, "csr": csr, "cert": cert, "chain": chain, "root_json": json.loads(out),
            "sub_json": json.loads(out2)}


def _validates(capsys, c: dict) -> None:
    code, out, err = _run(capsys, "validate", "--certificate", str(c["cert"]), "--chain", str(c["chain"]), "--csr",
                          str(c["csr"]), "--json")
    assert code == 0 and json.loads(out)["ok"] is True, out + err
    code, _, _ = _run(capsys, "validate", "--certificate", str(c["root"]), "--ca-type", "ROOT")
    assert code == 0
    proc = subprocess.run(["openssl", "verify", "-CAfile", str(c["root"]), str(c["cert"])], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    sub = x509.load_pem_x509_certificate(c["cert"].read_bytes())
    assert sub.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    assert c["chain"].read_text() == c["root"].read_text()


def test_a_key_file_makes_a_root_and_signs_a_csr_that_validates(capsys, tmp_path):
    key = tmp_path / "offline-root.key"
    key.write_text(private_key_pem(new_key("EC_secp384r1")))
    c = _ceremony(capsys, tmp_path, str(key))
    _validates(capsys, c)
    assert c["root_json"]["signed_by"] == "key file"


def test_a_kms_key_makes_a_root_and_signs_a_csr_that_validates(capsys, tmp_path, emulator_url):
    arn = boto3.client("kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_3072")["KeyMetadata"]["Arn"]
    c = _ceremony(capsys, tmp_path, f"awskms:key-id={arn}")
    _validates(capsys, c)
    assert c["sub_json"]["signed_by"] == f"awskms:key-id={arn}"


def test_a_pkcs11_key_makes_a_root_and_signs_a_csr_that_validates(capsys, tmp_path, softhsm_token, monkeypatch):
    softhsm_token.generate("ceremony-root", "EC_prime256v1")
    monkeypatch.setenv("PCA_IMPORT_PKCS11_PIN", PIN)
    c = _ceremony(capsys, tmp_path, softhsm_token.uri("ceremony-root"))
    _validates(capsys, c)
    out = capsys.readouterr()
    assert PIN not in json.dumps(c["root_json"]) + json.dumps(c["sub_json"]) + out.out + out.err


def test_the_validity_is_capped_at_the_issuers_expiry(capsys, tmp_path):
    key = tmp_path / "k.pem"
    key.write_text(private_key_pem(new_key()))
    c = _ceremony(capsys, tmp_path, str(key), root_days=100, sub_days=1825)
    root = x509.load_pem_x509_certificate(c["root"].read_bytes())
    sub = x509.load_pem_x509_certificate(c["cert"].read_bytes())
    assert sub.not_valid_after_utc == root.not_valid_after_utc.replace(microsecond=0)
    assert c["sub_json"]["capped"]
    assert sub.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) < dt.timedelta(days=101)


def test_what_the_ceremony_refuses_writes_nothing(capsys, tmp_path):
    key, other = tmp_path / "k.pem", tmp_path / "other.pem"
    key.write_text(private_key_pem(new_key()))
    other.write_text(private_key_pem(new_key()))
    c = _ceremony(capsys, tmp_path, str(key))
    fresh = tmp_path / "fresh.pem"
    cases = [
        (["--key", str(other), "--csr", str(c["csr"]), "--issuer-certificate", str(c["root"])], "is not the key of"),
        (["--key", str(key), "--csr", str(c["csr"]), "--issuer-certificate", str(c["csr"])], "is not a PEM certificate"),
        (["--key", str(key), "--csr", str(c["root"]), "--issuer-certificate", str(c["root"])],
         "is not a PEM certificate signing request"),
        (["--key", str(key), "--self-signed", "--subject", "O=No Common Name"], "has no CN"),
        (["--key", str(key), "--self-signed"], "needs --subject"),
        (["--key", str(key)], "give either --self-signed"),
        (["--key", str(tmp_path / "missing.key"), "--self-signed", "--subject", "CN=X"], "cannot read"),
        (["--key", "pkcs11:token=t;object=k?module-path=/x.so&pin-value=1234", "--self-signed", "--subject", "CN=X"],
         "carries `pin-value`"),
        (["--key", str(c["root"]), "--self-signed", "--subject", "CN=X"], "not a private key"),
    ]
    for argv, fix in cases:
        code, _, err = _run(capsys, "sign", *argv, "--out", str(fresh))
        assert code == 2 and fix in err and "Traceback" not in err, (argv, err)
        assert not fresh.exists()
    code, _, err = _run(capsys, "sign", "--key", str(key), "--self-signed", "--subject", "CN=Again", "--out",
                        str(c["root"]))
    assert code == 2 and "exists" in err
    assert "1234" not in err


def test_a_certificate_that_fails_the_rules_is_not_written(capsys, tmp_path):
    """A root with path length 0 may not sign a CA: the rules refuse the result (exit 1), no file appears."""
    key = tmp_path / "k.pem"
    key.write_text(private_key_pem(new_key()))
    root = tmp_path / "root.pem"
    code, _, err = _run(capsys, "sign", "--key", str(key), "--self-signed", "--subject", "CN=Leaf-Only Root",
                        "--path-length", "0", "--out", str(root))
    assert code == 0, err
    csr = tmp_path / "ca.csr"
    csr.write_text(pem(make_csr(new_key(), name("Would-Be CA"))))
    out, chain = tmp_path / "ca.pem", tmp_path / "chain.pem"
    code, _, err = _run(capsys, "sign", "--key", str(key), "--csr", str(csr), "--issuer-certificate", str(root),
                        "--out", str(out), "--chain-out", str(chain))
    assert code == 1 and "PATH001" in err and "nothing was written" in err, err
    assert not out.exists() and not chain.exists()
