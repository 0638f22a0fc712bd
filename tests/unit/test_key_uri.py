"""Signer key URIs (pure): the forms step-ca and RFC 7512 write, and a fix for each malformed one."""
from __future__ import annotations

import pytest

from pca_import.core.key_uri import KeyUriError, KmsKeyUri, Pkcs11Uri, parse
from pca_import.errors import SignerKeyError


def test_key_uris_parse_as_step_ca_and_rfc_7512_write_them():
    assert parse("awskms:key-id=alias/offline-root;region=eu-west-1") == KmsKeyUri("alias/offline-root", "eu-west-1")
    arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert parse(f"awskms:key-id={arn}").key_id == arn
    got = parse("pkcs11:token=Offline%20Root;object=root;id=%01%02?module-path=/usr/lib/x.so&pin-source=file:/p")
    assert got == Pkcs11Uri("/usr/lib/x.so", "Offline Root", "root", b"\x01\x02", None, "/p")
    assert parse("pkcs11:module-path=/usr/lib/x.so;token=t;object=k").module_path == "/usr/lib/x.so"  # step-ca's form


@pytest.mark.parametrize("uri, fix", [
    ("awskms:", "needs `key-id="),
    ("awskms:keyid=alias/x", "unknown attribute `keyid`"),
    ("pkcs11:token=t;object=k", "needs `?module-path="),
    ("pkcs11:token=t?module-path=/x.so", "needs `object=<key label>`"),
    ("pkcs11:object=k?module-path=/x.so", "needs `token=<token label>`"),
    ("pkcs11:token=t;object=k?module-path=/x.so&pin-value=1234", "carries `pin-value`"),
    ("gcpkms:projects/p/keys/k", "is not a signer key URI scheme"),
    ("pkcs11:token=t;token=u;object=k?module-path=/x.so", "appears twice"),
])
def test_a_malformed_uri_is_refused_with_the_fix(uri, fix):
    with pytest.raises(KeyUriError) as info:
        parse(uri, "pca-import:signerKeyUri")
    assert fix in str(info.value) and str(info.value).startswith("pca-import:signerKeyUri")
    assert "1234" not in str(info.value)


def test_a_uri_error_is_a_signer_key_error():
    assert issubclass(KeyUriError, SignerKeyError)
