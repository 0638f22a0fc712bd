"""The offline signer's key: where it comes from, and a message (never a traceback, never key material) for
each way it can be wrong."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from certfactory import ca, key, private_key_pem
from pca_import.resources.offline_signer import OfflineSignerProvider
from pca_import.resources.signer_key import (ENV_KEY, ENV_KEY_FILE, ENV_PASSPHRASE, KEY_CONFIG, KEY_FILE_CONFIG,
                                   SignerKeyError, signer_key)

ROOT = ca("Signer Root", key_tag="signer", path_length=1)
KEY_PEM = private_key_pem("signer")
BODY = [line for line in KEY_PEM.splitlines() if "-----" not in line]


def _config(**values):
    names = {"key": KEY_CONFIG, "key_file": KEY_FILE_CONFIG}
    return {names[k]: v for k, v in values.items()}.get


def _error(config_get, environ=None, cert=ROOT.pem, project_dir=None) -> str:
    with pytest.raises(SignerKeyError) as info:
        signer_key(config_get, cert, environ or {}, project_dir=project_dir)
    message = str(info.value)
    assert not any(line in message for line in BODY), "key material in the message"
    return message


def test_each_source_gives_the_same_key(tmp_path):
    path = tmp_path / "offline-root.key"
    path.write_text(KEY_PEM)
    want = key("signer").private_numbers()
    for config_get, environ in [(_config(key=KEY_PEM), {}), (_config(key_file=str(path)), {}),
                                (_config(), {ENV_KEY_FILE: str(path)}), (_config(), {ENV_KEY: KEY_PEM})]:
        assert signer_key(config_get, ROOT.pem, environ).private_numbers() == want


def test_an_encrypted_key_opens_with_the_passphrase_variable(tmp_path):
    path = tmp_path / "k.pem"
    path.write_bytes(key("signer").private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.BestAvailableEncryption(b"correct horse")))
    assert signer_key(_config(key_file=str(path)), ROOT.pem, {ENV_PASSPHRASE: "correct horse"})
    assert "is encrypted: set PCA_IMPORT_SIGNER_KEY_PASSPHRASE" in _error(_config(key_file=str(path)))
    assert f"{ENV_PASSPHRASE} does not decrypt" in _error(_config(key_file=str(path)), {ENV_PASSPHRASE: "wrong"})


def test_a_der_key_file_is_read(tmp_path):
    path = tmp_path / "k.der"
    path.write_bytes(key("signer").private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    assert signer_key(_config(key_file=str(path)), ROOT.pem, {})


@pytest.mark.parametrize("value, expected", [
    ("not a key at all", f"{KEY_CONFIG} is not a readable private key (it is neither PEM nor DER)"),
    (KEY_PEM.replace(BODY[1], BODY[1][::-1]), f"{KEY_CONFIG} is not a readable private key (the PEM body is damaged)"),
    (KEY_PEM[: len(KEY_PEM) // 2], f"{KEY_CONFIG} is not a readable private key"),
    (ROOT.pem, f"{KEY_CONFIG} holds a `CERTIFICATE` PEM block, not a private key"),
    ("   \n", f"{KEY_CONFIG} is empty"),
    ("junk\n" + KEY_PEM, f"{KEY_CONFIG} has text before its `-----BEGIN` line"),
    (private_key_pem("other"), f"{KEY_CONFIG} is not the key of pca-import:signerCertificate (CN=Signer Root)"),
    (ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
     f"{KEY_CONFIG} is an Ed25519 key: the offline signer signs with an RSA, EC or ML-DSA key"),
])
def test_a_damaged_key_names_the_config_key_and_the_fix(value, expected):
    assert expected in _error(_config(key=value))


def test_no_key_and_two_keys_say_how_to_set_exactly_one(tmp_path):
    message = _error(_config())
    assert "the signer key is not set" in message and ENV_KEY_FILE in message and KEY_FILE_CONFIG in message
    message = _error(_config(key=KEY_PEM), {ENV_KEY_FILE: "/x"})
    assert f"set in {ENV_KEY_FILE} and {KEY_CONFIG}: keep exactly one" in message


def test_a_key_file_that_is_missing_or_inside_the_project_is_refused(tmp_path):
    assert f"{KEY_FILE_CONFIG}: cannot read /nonexistent/k.pem (No such file or directory)" in _error(
        _config(key_file="/nonexistent/k.pem"))
    inside = tmp_path / "keys" / "k.pem"
    inside.parent.mkdir()
    inside.write_text(KEY_PEM)
    assert "is inside the project directory" in _error(_config(), {ENV_KEY_FILE: str(inside)}, project_dir=tmp_path)


def test_a_damaged_signer_certificate_is_named():
    assert "pca-import:signerCertificate is not a PEM certificate" in _error(_config(key=KEY_PEM), cert="x")
    broken = ROOT.pem.replace("\n", "\nAAAA", 2)
    assert "pca-import:signerCertificate is not a readable certificate" in _error(_config(key=KEY_PEM), cert=broken)


class _Req:
    def __init__(self, config):
        self.config = config


def test_the_provider_check_reports_a_damaged_key_on_no_property(monkeypatch):
    """At preview: a failure on no property, so the engine prints no input value with it."""
    for var in (ENV_KEY, ENV_KEY_FILE, ENV_PASSPHRASE):
        monkeypatch.delenv(var, raising=False)
    provider = OfflineSignerProvider()
    provider.configure(_Req({KEY_CONFIG: ROOT.pem}))
    result = provider.check({}, {"csr": None, "signer_certificate": ROOT.pem})
    assert [f.property for f in result.failures] == [""]
    assert result.failures[0].reason.startswith(f"{KEY_CONFIG} holds a `CERTIFICATE` PEM block, not a private key")
    provider.configure(_Req({KEY_CONFIG: KEY_PEM}))
    assert provider.check({}, {"csr": None, "signer_certificate": ROOT.pem}).failures == []


def test_an_ml_dsa_signer_key_is_accepted():
    from pca_import.core import x509build as signing
    k = key("mldsa-signer", "ML_DSA_65")
    root = signing.build_certificate(k.public_key(), signing.name("ML-DSA Root"), signing.name("ML-DSA Root"), k,
                                     path_length=1)
    from pca_import.core.facts import spki_der
    got = signer_key(_config(key=signing.private_key_pem(k)), signing.pem(root), {})
    assert spki_der(got.public_key()) == spki_der(k.public_key())
