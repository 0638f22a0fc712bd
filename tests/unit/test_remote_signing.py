"""Certificates signed through the RemoteSigner interface (pure): the TBS built here, the signature made
"elsewhere" (here a local key behind the interface), and a signer that signs the wrong thing refused."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from pca_import.core.remote_signing import HASHES, RemoteSignatureError, is_remote
from pca_import.core.validate import validate_import
from pca_import.core.x509build import build_certificate, make_csr, name, new_key, pem, sign_csr


class LocalBehindInterface:
    """A RemoteSigner over a local key; `rehash` signs the digest as if it were the message (moto's DIGEST bug)."""

    def __init__(self, key, rehash: bool = False):
        self._key, self.rehash, self.name = key, rehash, "test-signer"

    def public_key(self):
        return self._key.public_key()

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        algorithm = HASHES[hash_name]()
        chosen = algorithm if self.rehash else utils.Prehashed(algorithm)
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(digest, padding.PKCS1v15(), chosen)
        return self._key.sign(digest, ec.ECDSA(chosen))


@pytest.mark.parametrize("algorithm", ["RSA_2048", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"])
def test_a_remote_signature_makes_the_same_kind_of_certificate_a_local_key_does(algorithm):
    key = new_key(algorithm)
    signer = LocalBehindInterface(key)
    assert is_remote(signer) and not is_remote(key)
    root = build_certificate(key.public_key(), name("R"), name("R"), signer, path_length=1)
    local = build_certificate(key.public_key(), name("R"), name("R"), key, path_length=1)
    assert root.signature_algorithm_oid == local.signature_algorithm_oid
    assert list(root.extensions) == list(local.extensions)
    root.verify_directly_issued_by(root)
    csr = make_csr(new_key(), name("Sub"))
    sub = sign_csr(csr, root, signer, path_length=0, days=30)
    sub.verify_directly_issued_by(root)
    assert validate_import(pem(sub), pem(root), csr=pem(csr)).ok


def test_a_signer_that_signs_the_digest_as_a_message_is_refused():
    signer = LocalBehindInterface(new_key(), rehash=True)
    with pytest.raises(RemoteSignatureError) as info:
        build_certificate(signer.public_key(), name("R"), name("R"), signer)
    assert "test-signer returned a signature that does not verify" in str(info.value)
