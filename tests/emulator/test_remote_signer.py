"""Signing with a key that never enters the process: AWS KMS (the emulator's KMS) and PKCS#11 (SoftHSM2).

Every certificate is checked the way a relying party would: `openssl verify` and the rule engine. The
failures a user meets (an unreachable key, a wrong PIN, a key of the wrong type, a key that is not the
signer certificate's) are SignerKeyErrors that name the key and the fix and never carry the PIN."""
from __future__ import annotations

import hashlib
import subprocess
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hsm import MODULE, PIN
from pca_import.core.validate import validate_import
from pca_import.core.x509build import build_certificate, make_csr, name, new_key, pem, sign_csr
from pca_import.resources.signer_key import SignerKeyError, open_remote, signer_key

KMS_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"]


def _openssl_verify(tmp_path, cert: x509.Certificate, *issuers: x509.Certificate) -> None:
    chain = tmp_path / "ca.pem"
    chain.write_text("".join(pem(c) for c in (issuers or (cert,))))
    leaf = tmp_path / "cert.pem"
    leaf.write_text(pem(cert))
    proc = subprocess.run(["openssl", "verify", "-CAfile", str(chain), str(leaf)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip().endswith(": OK"), proc.stdout + proc.stderr


def _kms_key(spec: str, usage: str = "SIGN_VERIFY") -> str:
    return boto3.client("kms").create_key(KeyUsage=usage, KeySpec=spec)["KeyMetadata"]["Arn"]


def _root_and_sub(tmp_path, signer) -> None:
    """A self-signed root and a signed CSR, both through `signer`, both checked by openssl and the rules."""
    root = build_certificate(signer.public_key(), name("Remote Root"), name("Remote Root"), signer, path_length=1)
    _openssl_verify(tmp_path, root)
    assert validate_import(pem(root), None, ca_type="ROOT").ok
    sub_key = new_key("EC_prime256v1")
    csr = make_csr(sub_key, name("Remote Sub"))
    sub = sign_csr(csr, root, signer, path_length=0, days=365)
    _openssl_verify(tmp_path, sub, root)
    report = validate_import(pem(sub), pem(root), csr=pem(csr).encode())
    assert report.ok and not {"CHAIN002", "KEY001"} & report.codes


# ---- AWS KMS on the emulator -------------------------------------------------------------------------

def test_the_emulators_kms_signs_a_digest_as_given_as_aws_does(emulator_url):
    """moto 5.2.5 hashes a DIGEST again; the emulator signs it as given, so a KMS signature verifies."""
    kms = boto3.client("kms")
    for spec, algorithm, h in [("ECC_NIST_P256", "ECDSA_SHA_256", hashes.SHA256()),
                               ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", hashes.SHA256()),
                               ("RSA_2048", "RSASSA_PSS_SHA_384", hashes.SHA384())]:
        arn = _kms_key(spec)
        public = serialization.load_der_public_key(kms.get_public_key(KeyId=arn)["PublicKey"])
        message = b"to be signed"
        digest = hashlib.new(h.name, message).digest()
        for message_type, data in (("DIGEST", digest), ("RAW", message)):
            sig = kms.sign(KeyId=arn, Message=data, MessageType=message_type, SigningAlgorithm=algorithm)["Signature"]
            if isinstance(public, ec.EllipticCurvePublicKey):
                public.verify(sig, message, ec.ECDSA(h))
            elif algorithm.startswith("RSASSA_PSS"):
                public.verify(sig, message, padding.PSS(padding.MGF1(h), h.digest_size), h)
            else:
                public.verify(sig, message, padding.PKCS1v15(), h)
            assert kms.verify(KeyId=arn, Message=data, MessageType=message_type, Signature=sig,
                              SigningAlgorithm=algorithm)["SignatureValid"] is True
        with pytest.raises(ClientError) as info:  # a digest of the wrong length, as AWS refuses it
            kms.sign(KeyId=arn, Message=digest[:20], MessageType="DIGEST", SigningAlgorithm=algorithm)
        assert info.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("spec", KMS_SPECS)
def test_a_kms_key_signs_a_root_and_a_csr(emulator_url, tmp_path, spec):
    signer = open_remote(f"awskms:key-id={_kms_key(spec)}", "test")
    assert not isinstance(signer, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
    _root_and_sub(tmp_path, signer)


def test_a_kms_key_by_alias_is_the_signer_certificates_key_or_a_clear_error(emulator_url):
    kms = boto3.client("kms")
    arn = _kms_key("ECC_NIST_P384")
    alias = f"alias/pca-import-test-root-{uuid.uuid4().hex[:8]}"  # unique: the emulator may outlive this run
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    signer = open_remote(f"awskms:key-id={alias}", "x")
    root = build_certificate(signer.public_key(), name("Alias Root"), name("Alias Root"), signer)
    env = {"PCA_IMPORT_SIGNER_KEY_URI": f"awskms:key-id={alias}"}
    assert signer_key(lambda _k: None, pem(root), env).public_key() == signer.public_key()
    other = new_key("EC_secp384r1")
    stranger = build_certificate(other.public_key(), name("Other Root"), name("Other Root"), other)
    with pytest.raises(SignerKeyError) as info:
        signer_key(lambda _k: None, pem(stranger), env)
    assert "is not the key of pca-import:signerCertificate (CN=Other Root)" in str(info.value)
    config = {"pca-import:signerKeyUri": f"awskms:key-id={alias}"}
    assert signer_key(config.get, pem(root), {}).public_key() == signer.public_key()
    with pytest.raises(SignerKeyError) as info:  # two sources: which one signs?
        signer_key(config.get, pem(root), {"PCA_IMPORT_SIGNER_KEY_FILE": "/secure/k.pem"})
    assert "keep exactly one" in str(info.value)


@pytest.mark.parametrize("make, fix", [
    (lambda: "alias/does-not-exist", "NotFoundException"),
    (lambda: _kms_key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), "not a signing key a CA can have"),
    (lambda: _kms_key("ECC_SECG_P256K1"), "not a signing key a CA can have"),
])
def test_a_kms_key_that_cannot_sign_for_a_ca_fails_with_the_fix(emulator_url, make, fix):
    with pytest.raises(SignerKeyError) as info:
        open_remote(f"awskms:key-id={make()}", "PCA_IMPORT_SIGNER_KEY_URI")
    assert str(info.value).startswith("PCA_IMPORT_SIGNER_KEY_URI: awskms:key-id=") and fix in str(info.value)


def test_a_kms_key_pending_deletion_fails_with_the_fix(emulator_url):
    arn = _kms_key("ECC_NIST_P256")
    boto3.client("kms").schedule_key_deletion(KeyId=arn.rsplit("/", 1)[1], PendingWindowInDays=7)
    with pytest.raises(SignerKeyError) as info:
        open_remote(f"awskms:key-id={arn}", "x")
    assert "KMSInvalidStateException" in str(info.value) and "cancel the deletion" in str(info.value)


def test_a_disabled_kms_key_fails_with_the_fix(emulator_url):
    arn = _kms_key("ECC_NIST_P256")
    boto3.client("kms").disable_key(KeyId=arn.rsplit("/", 1)[1])
    with pytest.raises(SignerKeyError) as info:
        open_remote(f"awskms:key-id={arn}", "x")
    assert "DisabledException" in str(info.value) and "enable it" in str(info.value)


# ---- PKCS#11 on SoftHSM2 -----------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["RSA_2048", "RSA_3072", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"])
def test_a_key_on_a_pkcs11_token_signs_a_root_and_a_csr(softhsm_token, tmp_path, monkeypatch, algorithm):
    softhsm_token.generate(f"root-{algorithm}", algorithm)
    monkeypatch.setenv("PCA_IMPORT_PKCS11_PIN", PIN)
    _root_and_sub(tmp_path, open_remote(softhsm_token.uri(f"root-{algorithm}"), "test"))


def test_the_pin_comes_from_the_environment_or_a_pin_source_file_never_the_uri(softhsm_token, tmp_path):
    softhsm_token.generate("pin-test", "EC_prime256v1")
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    assert open_remote(softhsm_token.uri("pin-test", **{"pin-source": f"file:{pin_file}"}), "x", {}).public_key()
    cases = [
        (softhsm_token.uri("pin-test"), {}, "no PIN: set PCA_IMPORT_PKCS11_PIN"),
        (softhsm_token.uri("pin-test"), {"PCA_IMPORT_PKCS11_PIN": "0000-wrong"}, "refused the PIN (wrong PIN)"),
        (softhsm_token.uri("pin-test", **{"pin-value": PIN}), {}, "carries `pin-value`"),
        (softhsm_token.uri("missing"), {"PCA_IMPORT_PKCS11_PIN": PIN}, "no private key with this label"),
        (softhsm_token.uri("pin-test").replace(f"token={softhsm_token.label}", "token=nope"),
         {"PCA_IMPORT_PKCS11_PIN": PIN}, "no token has this label"),
        (softhsm_token.uri("pin-test").replace("libsofthsm2.so", "libnothere.so"), {"PCA_IMPORT_PKCS11_PIN": PIN},
         "is not a file: give the PKCS#11 library"),
        (softhsm_token.uri("pin-test", **{"pin-source": str(tmp_path / "none")}), {}, "cannot read the pin-source"),
    ]
    for uri, env, fix in cases:
        with pytest.raises(SignerKeyError) as info:
            open_remote(uri, "pca-import:signerKeyUri", env)
        assert fix in str(info.value), (uri, str(info.value))
        assert PIN not in str(info.value) and "0000-wrong" not in str(info.value)


def test_a_pkcs11_key_is_found_by_id_and_a_token_by_slot(softhsm_token, tmp_path):
    softhsm_token.generate("by-id", "EC_prime256v1", key_id=b"\x0a\x0b")
    env = {"PCA_IMPORT_PKCS11_PIN": PIN}
    by_id = f"pkcs11:token={softhsm_token.label};id=%0a%0b?module-path={MODULE}"
    _root_and_sub(tmp_path, open_remote(by_id, "t", env))
    by_slot = f"pkcs11:slot-id={softhsm_token.slot_id()};object=by-id?module-path={MODULE}"
    assert open_remote(by_slot, "t", env).public_key() == open_remote(by_id, "t", env).public_key()
    for bad, fix in ((f"pkcs11:token={softhsm_token.label};id=%0c?module-path={MODULE}", "no private key"),
                     (f"pkcs11:slot-id=999999;object=by-id?module-path={MODULE}", "no token in slot 999999")):
        with pytest.raises(SignerKeyError) as info:
            open_remote(bad, "t", env)
        assert fix in str(info.value)


def test_a_token_without_the_public_key_object_is_refused_with_the_fix(softhsm_token):
    softhsm_token.generate("no-public", "EC_prime256v1")
    softhsm_token.drop_public_key("no-public")
    with pytest.raises(SignerKeyError) as info:
        open_remote(softhsm_token.uri("no-public"), "t", {"PCA_IMPORT_PKCS11_PIN": PIN})
    assert "no public key object with the same label/id" in str(info.value)


def test_signing_times_per_certificate(emulator_url, softhsm_token, tmp_path, monkeypatch):
    """Not an assertion on speed (shared machine): prints the per-certificate time for the report."""
    import time
    monkeypatch.setenv("PCA_IMPORT_PKCS11_PIN", PIN)
    softhsm_token.generate("timing-ec", "EC_prime256v1")
    softhsm_token.generate("timing-rsa", "RSA_2048")
    signers = {"file EC P-256": new_key("EC_prime256v1"), "file RSA 2048": new_key("RSA_2048"),
               "KMS EC P-256": open_remote(f"awskms:key-id={_kms_key('ECC_NIST_P256')}", "t"),
               "KMS RSA 2048": open_remote(f"awskms:key-id={_kms_key('RSA_2048')}", "t"),
               "PKCS#11 EC P-256": open_remote(softhsm_token.uri("timing-ec"), "t"),
               "PKCS#11 RSA 2048": open_remote(softhsm_token.uri("timing-rsa"), "t")}
    csr = make_csr(new_key("EC_prime256v1"), name("Timed Sub"))
    for label, signer in signers.items():
        root = build_certificate(signer.public_key(), name("T"), name("T"), signer)  # warms the throwaway key
        n, start = 20, time.perf_counter()
        for _ in range(n):
            sign_csr(csr, root, signer, days=30)
        print(f"{label}: {(time.perf_counter() - start) / n * 1000:.2f} ms per certificate")
