"""The emulator's KMS `Sign` and `Verify`, made faithful where pca-import's KMS signer depends on them.

Measured on moto 5.2.5: `Sign` ignores `MessageType`, so with `MessageType=DIGEST` it hashes the digest
again as if it were the message, and the signature does not verify over the data the digest was made from
(with RAW it does). AWS's Sign (API reference, MessageType, paraphrased): RAW messages are hashed as part
of the signing algorithm, DIGEST values are already hashed and are signed as given; a digest whose length is
not the algorithm's hash length is a ValidationException. Here both are done as AWS does, on the decoded bytes; `Verify` likewise. A disabled key
or one pending deletion is refused by Sign, Verify and GetPublicKey, as AWS does (moto uses it).
"""
from __future__ import annotations

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

_HASH = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


def _scheme(signing_algorithm: str):
    """(hash, how) for a KMS SigningAlgorithm: how is 'pkcs1', 'pss' or 'ecdsa'."""
    for suffix, h in _HASH.items():
        if signing_algorithm.endswith(suffix):
            how = ("pss" if signing_algorithm.startswith("RSASSA_PSS") else
                   "pkcs1" if signing_algorithm.startswith("RSASSA_PKCS1") else "ecdsa")
            return h(), how
    return None, None


def _prepare(self, field: str):
    """(key, data, hash algorithm argument, how) for Sign/Verify, raising AWS's errors as moto does."""
    from moto.kms.exceptions import ValidationException
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    message = self._get_param(field)
    message_type = self._get_param("MessageType") or "RAW"
    algorithm_name = self._get_param("SigningAlgorithm")
    try:
        data = base64.b64decode(message, validate=True) if isinstance(message, str) else bytes(message or b"")
    except ValueError:
        raise ValidationException("1 validation error detected: Value at 'Message' failed to satisfy constraint: "
                                  "Member must be base64-encoded") from None
    if not data:
        raise ValidationException("1 validation error detected: Value at 'Message' failed to satisfy constraint: "
                                  "Member must have length greater than or equal to 1")
    key = self.kms_backend.describe_key(key_id)
    _check_state(key)
    if key.key_usage != "SIGN_VERIFY":
        raise ValidationException(f"1 validation error detected: Value '{key.id}' at 'KeyId' failed to satisfy "
                                  "constraint: Member must point to a key with usage: 'SIGN_VERIFY'")
    if algorithm_name not in key.signing_algorithms:
        raise ValidationException(f"1 validation error detected: Value '{algorithm_name}' at 'SigningAlgorithm' "
                                  f"failed to satisfy constraint: Member must satisfy enum value set: "
                                  f"{key.signing_algorithms}")
    algorithm, how = _scheme(algorithm_name)
    if message_type == "DIGEST":
        if len(data) != algorithm.digest_size:
            raise ValidationException(f"Digest is invalid length for algorithm {algorithm_name}.")
        chosen = utils.Prehashed(algorithm)
    elif message_type == "RAW":
        chosen = algorithm
    else:
        raise ValidationException(f"1 validation error detected: Value '{message_type}' at 'MessageType' failed to "
                                  "satisfy constraint: Member must satisfy enum value set: [DIGEST, RAW]")
    return key, data, algorithm, chosen, how, algorithm_name


def _check_state(key) -> None:
    """AWS refuses a disabled key (DisabledException) and one pending deletion (KMSInvalidStateException) for
    Sign, Verify and GetPublicKey; moto 5.2.5 uses them all the same."""
    from moto.core.exceptions import JsonRESTError
    if key.key_state == "Disabled":
        raise JsonRESTError("DisabledException", f"{key.arn} is disabled.")
    if key.key_state == "PendingDeletion":
        raise JsonRESTError("KMSInvalidStateException", f"{key.arn} is pending deletion.")


def _padding(how: str, algorithm):
    if how == "pss":  # AWS's RSASSA_PSS_*: MGF1 with the same hash, salt length = digest length
        return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
    return padding.PKCS1v15()


def sign(self) -> str:
    key, data, algorithm, chosen, how, algorithm_name = _prepare(self, "Message")
    private = key.private_key.private_key  # moto's wrapper around the cryptography key
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(data, _padding(how, algorithm), chosen)
    else:
        signature = private.sign(data, ec.ECDSA(chosen))
    return json.dumps({"KeyId": key.arn, "Signature": base64.b64encode(signature).decode(),
                       "SigningAlgorithm": algorithm_name})


def verify(self) -> str:
    key, data, algorithm, chosen, how, algorithm_name = _prepare(self, "Message")
    signature = self._get_param("Signature")
    signature = base64.b64decode(signature) if isinstance(signature, str) else bytes(signature or b"")
    public = key.private_key.private_key.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, _padding(how, algorithm), chosen)
        else:
            public.verify(signature, data, ec.ECDSA(chosen))
        valid = True
    except InvalidSignature:
        from moto.core.exceptions import JsonRESTError  # AWS answers an invalid signature with this error
        raise JsonRESTError("KMSInvalidSignatureException", "") from None
    return json.dumps({"KeyId": key.arn, "SignatureValid": valid, "SigningAlgorithm": algorithm_name})


def apply_patches() -> None:
    from moto.kms.responses import KmsResponse
    original_get_public_key = KmsResponse.get_public_key

    def get_public_key(self) -> str:
        key_id = self._get_param("KeyId")
        self._validate_key_id(key_id)
        _check_state(self.kms_backend.describe_key(key_id))
        return original_get_public_key(self)

    KmsResponse.get_public_key = get_public_key
    KmsResponse.sign = sign
    KmsResponse.verify = verify
