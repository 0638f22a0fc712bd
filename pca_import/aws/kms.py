"""A signer key in AWS KMS (`awskms:key-id=...`): its public key from `GetPublicKey`, signatures from `Sign`
with `MessageType=DIGEST` (the TBS digest is computed here; the key never leaves KMS).

The endpoint and credentials are boto3's usual ones (`AWS_ENDPOINT_URL_KMS` or `AWS_ENDPOINT_URL`, the
profile and region in the URI or the environment). Every failure is an `AwsError` that names the key URI,
the step and the fix.
"""
from __future__ import annotations

import os
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pca_import.aws.client import configured_endpoint
from pca_import.core.key_uri import KmsKeyUri
from pca_import.errors import AwsError, MissingExtra

# KMS KeySpecs a CA key can be (AWS Private CA's key algorithms)
SIGNING_KEY_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")
_ALGORITHMS = {("rsa", "SHA256"): "RSASSA_PKCS1_V1_5_SHA_256", ("rsa", "SHA384"): "RSASSA_PKCS1_V1_5_SHA_384",
               ("rsa", "SHA512"): "RSASSA_PKCS1_V1_5_SHA_512", ("ec", "SHA256"): "ECDSA_SHA_256",
               ("ec", "SHA384"): "ECDSA_SHA_384", ("ec", "SHA512"): "ECDSA_SHA_512"}
_CLIENTS: dict = {}
_LOCK = threading.Lock()


def _client(uri: KmsKeyUri):
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise MissingExtra("aws", exc.name or "boto3", "signing with an AWS KMS key") from None
    region = uri.region or _region_of(uri.key_id) or os.environ.get("AWS_REGION") or \
        os.environ.get("AWS_DEFAULT_REGION")
    key = (uri.profile, region, configured_endpoint("KMS")[0])  # one client per endpoint
    with _LOCK:
        if key not in _CLIENTS:
            try:
                session = boto3.session.Session(profile_name=uri.profile, region_name=region)
                _CLIENTS[key] = session.client("kms", config=Config(  # boto3 reads the endpoint itself
                    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=5, read_timeout=20))
            except Exception as exc:
                raise AwsError(f"{uri.describe()}: cannot create a KMS client ({type(exc).__name__}: {exc}): set "
                               "the region (`;region=<region>` in the URI or AWS_REGION) and valid credentials",
                               "KmsKey", step="connecting to KMS") from None
        return _CLIENTS[key]


def _region_of(key_id: str) -> str | None:
    parts = key_id.split(":")
    return parts[3] if key_id.startswith("arn:") and len(parts) > 4 and parts[3] else None


def _fail(uri: KmsKeyUri, step: str, exc: Exception) -> AwsError:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
    fixes = {
        "NotFoundException": "the key does not exist in this account and region: check the key id or alias and "
                             "the region (`;region=` in the URI, or AWS_REGION)",
        "AccessDeniedException": "the credentials may not use this key: allow kms:GetPublicKey and kms:Sign on it",
        "DisabledException": "the key is disabled: enable it (`aws kms enable-key`)",
        "KMSInvalidStateException": "the key is not usable now (pending deletion or import): cancel the deletion "
                                    "or pick another key",
        "InvalidKeyUsageException": "the key is not a SIGN_VERIFY key: create an asymmetric signing key",
        "ValidationException": "KMS refused the signing algorithm for this key (an ECC key signs with the hash of "
                               "its curve only: P-256 SHA-256, P-384 SHA-384, P-521 SHA-512)",
        "UnrecognizedClientException": "the credentials are not valid for KMS: set working AWS credentials",
        "EndpointConnectionError": "KMS cannot be reached: check AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL and the "
                                   "network",
        "NoCredentialsError": "no AWS credentials: set a profile or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        "NoRegionError": "no region: add `;region=<region>` to the URI or set AWS_REGION",
    }
    fix = fixes.get(code, "check the key id, the region and the credentials")
    return AwsError(f"{uri.describe()}: {step} failed ({code}): {fix}", "KmsKey", step=step)


class KmsSigner:
    """A RemoteSigner over one KMS key. Holds no secret (the key stays in KMS) and no client (created per
    process, cached at module level)."""

    def __init__(self, uri: KmsKeyUri):
        self.uri = uri
        self.name = uri.describe()
        self._public = None

    def public_key(self):
        if self._public is None:
            try:
                reply = _client(self.uri).get_public_key(KeyId=self.uri.key_id)
            except AwsError:
                raise
            except Exception as exc:
                raise _fail(self.uri, "GetPublicKey", exc) from None
            spec = reply.get("KeySpec") or reply.get("CustomerMasterKeySpec")
            usage = reply.get("KeyUsage")
            if usage != "SIGN_VERIFY" or spec not in SIGNING_KEY_SPECS:
                raise AwsError(f"{self.name}: the key is a {spec} key for {usage}, not a signing key a CA can have: "
                               f"create one with KeyUsage SIGN_VERIFY and KeySpec one of "
                               f"{', '.join(SIGNING_KEY_SPECS)}", "KmsKey", step="GetPublicKey")
            self._public = serialization.load_der_public_key(reply["PublicKey"])
        return self._public

    @property
    def default_hash(self) -> str:
        """The hash KMS signs with for this key: an ECC key has exactly one (P-256 SHA-256, P-384 SHA-384,
        P-521 SHA-512); RSA keys take SHA-256 as file keys do."""
        public = self.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            return {256: "SHA256", 384: "SHA384", 521: "SHA512"}.get(public.curve.key_size, "SHA256")
        return "SHA256"

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        family = "rsa" if isinstance(self.public_key(), rsa.RSAPublicKey) else "ec"
        assert isinstance(self.public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey))
        try:
            reply = _client(self.uri).sign(KeyId=self.uri.key_id, Message=digest, MessageType="DIGEST",
                                           SigningAlgorithm=_ALGORITHMS[(family, hash_name)])
        except Exception as exc:
            raise _fail(self.uri, "Sign", exc) from None
        return reply["Signature"]
