"""Where the offline signer's private key comes from, and what is wrong with it when it cannot be used.

Read inside the dynamic provider process at check and signing time; the key is never a resource input.
Sources, exactly one of:

* `PCA_IMPORT_SIGNER_KEY_FILE` (a path) or `PCA_IMPORT_SIGNER_KEY` (the PEM) in the environment of `pulumi`,
* `pca-import:signerKeyFile` in the stack config (a path outside the project directory),
* `pca-import:signerKey` in the stack's secret config,
* `PCA_IMPORT_SIGNER_KEY_URI` or `pca-import:signerKeyUri` (config, not secret: it names a key, it is not one):
  `awskms:key-id=...` (a KMS key, aws/kms.py) or `pkcs11:token=...;object=...?module-path=...` (a key on an HSM
  token, pkcs11_key.py; its PIN from `PCA_IMPORT_PKCS11_PIN` or a `pin-source` file). No private key object
  then exists in the process: the key signs where it lives.

The first two keep the key out of Pulumi state entirely. The third is stored in the checkpoint, encrypted by
the stack's secrets provider, because the default dynamic provider resource keeps the whole stack config as
its inputs (see README, "The signer key"). An encrypted key is opened with `PCA_IMPORT_SIGNER_KEY_PASSPHRASE`.

Every problem is a `SignerKeyError` naming the source and the fix; no message ever holds key material.
"""

import os
from dataclasses import dataclass
from typing import Callable, Mapping

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, rsa

from pca_import.core.facts import spki_der
from pca_import.errors import SignerKeyError  # noqa: F401 (defined with the other errors)

KEY_CONFIG = "pca-import:signerKey"
KEY_FILE_CONFIG = "pca-import:signerKeyFile"
ENV_KEY = "PCA_IMPORT_SIGNER_KEY"
ENV_KEY_FILE = "PCA_IMPORT_SIGNER_KEY_FILE"
ENV_PASSPHRASE = "PCA_IMPORT_SIGNER_KEY_PASSPHRASE"
KEY_URI_CONFIG = "pca-import:signerKeyUri"
ENV_KEY_URI = "PCA_IMPORT_SIGNER_KEY_URI"
CERT_CONFIG = "pca-import:signerCertificate"
SIGNER_KEY_TYPES = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey,
                    mldsa.MLDSA87PrivateKey)  # what signing.sign_csr signs with
MAX_KEY_FILE = 64 * 1024

HOW_TO_SET = (f"keep it out of state with `export {ENV_KEY_FILE}=/secure/offline-root.key` before `pulumi up` (or "
              f"`pulumi config set {KEY_FILE_CONFIG} /secure/offline-root.key`, a path outside the project), name "
              f"a key in KMS or an HSM with `pulumi config set {KEY_URI_CONFIG} awskms:key-id=alias/offline-root`, or "
              f"store it encrypted in state with `pulumi config set --secret {KEY_CONFIG} < offline-root.key`")


@dataclass(frozen=True)
class KeySource:
    name: str                  # what a person set: an environment variable or a config key
    path: str | None = None    # a file to read, or None when `text` is the key itself
    text: str | None = None
    uri: str | None = None     # a key that lives elsewhere (awskms:, pkcs11:)

    def read(self) -> bytes:
        if self.path is None:
            return (self.text or "").encode()
        path = os.path.expanduser(self.path)
        try:
            size = os.path.getsize(path)
            if size > MAX_KEY_FILE:
                raise SignerKeyError(f"{self.name}: {self.path} is {size} bytes, too large for a private key "
                                     "file: point it at the offline CA's key (PEM)")
            with open(path, "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise SignerKeyError(f"{self.name}: cannot read {self.path} ({exc.strerror}): point it at the offline "
                                 "CA's key file, readable by the user running `pulumi`") from None


def find_source(config_get: Callable[[str], str | None], environ: Mapping[str, str] = os.environ,
                project_dir: str | None = None) -> KeySource:
    """The one configured source of the signer key; a SignerKeyError when there is none or several."""
    found = []
    if environ.get(ENV_KEY_FILE):
        found.append(KeySource(ENV_KEY_FILE, path=environ[ENV_KEY_FILE]))
    if environ.get(ENV_KEY):
        found.append(KeySource(ENV_KEY, text=environ[ENV_KEY]))
    if config_get(KEY_FILE_CONFIG):
        found.append(KeySource(KEY_FILE_CONFIG, path=config_get(KEY_FILE_CONFIG)))
    if config_get(KEY_CONFIG):
        found.append(KeySource(KEY_CONFIG, text=config_get(KEY_CONFIG)))
    if environ.get(ENV_KEY_URI):
        found.append(KeySource(ENV_KEY_URI, uri=environ[ENV_KEY_URI]))
    if config_get(KEY_URI_CONFIG):
        found.append(KeySource(KEY_URI_CONFIG, uri=config_get(KEY_URI_CONFIG)))
    if not found:
        raise SignerKeyError(f"the signer key is not set: {HOW_TO_SET}")
    if len(found) > 1:
        raise SignerKeyError(f"the signer key is set in {' and '.join(s.name for s in found)}: keep exactly one "
                             "(unset the others) so it is clear which key signs")
    source = found[0]
    if source.path and project_dir:
        here = os.path.realpath(project_dir)
        there = os.path.realpath(os.path.expanduser(source.path))
        if there == here or there.startswith(here + os.sep):
            raise SignerKeyError(f"{source.name}: {source.path} is inside the project directory, where it can be "
                                 "committed: move the key file outside the repository")
    return source


def _describe(key) -> str:
    name = type(key).__name__.removeprefix("_").replace("PrivateKey", "")
    return {"Ed25519": "an Ed25519 key", "Ed448": "an Ed448 key", "DSA": "a DSA key", "X25519": "an X25519 key",
            "X448": "an X448 key"}.get(name, f"a {name or 'non-RSA, non-EC'} key")


def open_remote(uri: str, name: str, environ: Mapping[str, str] = os.environ):
    """The RemoteSigner a key URI names, its public key already read (so an unreachable key, a wrong PIN or a
    key of the wrong type fails here), or a SignerKeyError naming `name` and the fix."""
    from pca_import.core.key_uri import KmsKeyUri, parse
    from pca_import.errors import ActionableError, MissingExtra
    try:
        parsed = parse(uri, name)
        if isinstance(parsed, KmsKeyUri):
            from pca_import.aws.kms import KmsSigner
            signer = KmsSigner(parsed)
        else:
            from pca_import.resources.pkcs11_key import Pkcs11Signer
            signer = Pkcs11Signer(parsed, environ)
        signer.public_key()
    except MissingExtra:
        raise
    except ActionableError as exc:
        text = str(exc)
        raise SignerKeyError(text if text.startswith(name) else f"{name}: {text}") from None
    return signer


def load_key(source: KeySource, environ: Mapping[str, str] = os.environ):
    """The private key from `source` (a RemoteSigner for a URI), or a SignerKeyError that says what is wrong."""
    if source.uri is not None:
        return open_remote(source.uri, source.name, environ)
    data = source.read()
    name = source.name
    passphrase = environ.get(ENV_PASSPHRASE)
    password = passphrase.encode() if passphrase else None
    stripped = data.strip()
    if not stripped:
        raise SignerKeyError(f"{name} is empty: {HOW_TO_SET}")
    is_pem = stripped.startswith(b"-----BEGIN")
    if is_pem:
        label = stripped.split(b"\n", 1)[0].decode("ascii", "replace").strip("- \r").removeprefix("BEGIN ")
        if "PRIVATE KEY" not in label:
            raise SignerKeyError(f"{name} holds a `{label}` PEM block, not a private key: give the offline CA's "
                                 f"private key (`-----BEGIN PRIVATE KEY-----`); its certificate goes in "
                                 f"{CERT_CONFIG}")
        if label == "OPENSSH PRIVATE KEY":
            raise SignerKeyError(f"{name} is an OpenSSH key, not the offline CA's key: give the PEM key that "
                                 f"matches {CERT_CONFIG}")
    elif b"-----BEGIN" in stripped:
        raise SignerKeyError(f"{name} has text before its `-----BEGIN` line: keep only the PEM key")
    loader = serialization.load_pem_private_key if is_pem else serialization.load_der_private_key
    try:
        key = loader(data, password=password)
    except TypeError:  # encrypted without a passphrase, or a passphrase for a key that is not encrypted
        if password is None:
            raise SignerKeyError(f"{name} is encrypted: set {ENV_PASSPHRASE} in the environment of `pulumi`, or "
                                 "decrypt the key with `openssl pkey -in key.pem -out plain.pem`") from None
        raise SignerKeyError(f"{name} is not encrypted but {ENV_PASSPHRASE} is set: unset it") from None
    except ValueError:
        if password is not None and is_pem and b"ENCRYPTED" in stripped[:64]:
            raise SignerKeyError(f"{ENV_PASSPHRASE} does not decrypt {name}: set the key's passphrase") from None
        form = "the PEM body is damaged" if is_pem else "it is neither PEM nor DER"
        raise SignerKeyError(f"{name} is not a readable private key ({form}): copy it again from the offline CA's "
                             "key file (`openssl pkey -in offline-root.key -check` shows whether the file is "
                             "intact)") from None
    except Exception:  # cryptography raises UnsupportedAlgorithm for key types it cannot read
        raise SignerKeyError(f"{name} is a private key of a kind that cannot be read here: the offline signer "
                             "signs with an RSA, EC or ML-DSA key") from None
    if not isinstance(key, SIGNER_KEY_TYPES):
        raise SignerKeyError(f"{name} is {_describe(key)}: the offline signer signs with an RSA, EC or ML-DSA "
                             f"key, the key of the certificate in {CERT_CONFIG}")
    return key


def load_certificate(pem_text: str | None) -> x509.Certificate:
    if not pem_text or "-----BEGIN CERTIFICATE-----" not in pem_text:
        raise SignerKeyError(f"{CERT_CONFIG} is not a PEM certificate: set it with `pulumi config set "
                             f"{CERT_CONFIG} < offline-root.pem`")
    try:
        return x509.load_pem_x509_certificate(pem_text.encode())
    except ValueError:
        raise SignerKeyError(f"{CERT_CONFIG} is not a readable certificate (the PEM body is damaged): set it again "
                             f"with `pulumi config set {CERT_CONFIG} < offline-root.pem`") from None


def signer_key(config_get: Callable[[str], str | None], certificate_pem: str | None,
               environ: Mapping[str, str] = os.environ, project_dir: str | None = None):
    """The configured signer key (a private key, or a RemoteSigner for a URI), checked to be the key of
    `certificate_pem`."""
    source = find_source(config_get, environ, project_dir)
    key = load_key(source, environ)
    cert = load_certificate(certificate_pem)
    if spki_der(key.public_key()) != spki_der(cert.public_key()):
        raise SignerKeyError(f"{source.name} is not the key of {CERT_CONFIG} ({cert.subject.rfc4514_string()}): "
                             "set the matching pair (the key the offline CA's certificate was made for)")
    return key
