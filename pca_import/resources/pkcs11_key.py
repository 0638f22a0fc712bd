"""A signer key on a PKCS#11 token (`pkcs11:token=...;object=...?module-path=...`, RFC 7512).

Uses python-pkcs11 (a typed, maintained binding: token and objects found by label, errors as exception
classes such as `PinIncorrect`, wheels on PyPI, so no compiler is needed). The private key stays on the token:
only its public key is read, and each signature is one `C_Sign` with CKM_RSA_PKCS over the DigestInfo (RSA)
or CKM_ECDSA over the digest (EC, whose raw r||s is DER-encoded here). The PIN comes from
`PCA_IMPORT_PKCS11_PIN` or the URI's `pin-source` file, never from config; no message holds it.
"""

import os
import threading
from typing import Mapping

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from pca_import.core.key_uri import Pkcs11Uri
from pca_import.errors import MissingExtra, SignerKeyError

ENV_PIN = "PCA_IMPORT_PKCS11_PIN"
# DER prefixes of DigestInfo (RFC 8017 section 9.2, note 1) for CKM_RSA_PKCS, which signs what it is given
DIGEST_INFO = {"SHA256": bytes.fromhex("3031300d060960864801650304020105000420"),
               "SHA384": bytes.fromhex("3041300d060960864801650304020205000430"),
               "SHA512": bytes.fromhex("3051300d060960864801650304020305000440")}
_CURVES = {"06082a8648ce3d030107": ec.SECP256R1, "06052b81040022": ec.SECP384R1, "06052b81040023": ec.SECP521R1}
_LIBS: dict = {}
_LOCK = threading.Lock()


class Pkcs11KeyError(SignerKeyError):
    """The token, the key or the PIN cannot be used; the message names the URI and the fix, never the PIN."""


def _pkcs11():
    try:
        import pkcs11
    except ImportError as exc:
        raise MissingExtra("hsm", exc.name or "pkcs11", "signing with a PKCS#11 key") from None
    return pkcs11


def read_pin(uri: Pkcs11Uri, environ: Mapping[str, str]) -> str:
    name = uri.describe()
    if uri.pin_source:
        try:
            with open(os.path.expanduser(uri.pin_source), encoding="utf-8") as fh:
                pin = fh.read().rstrip("\r\n")
        except OSError as exc:
            raise Pkcs11KeyError(f"{name}: cannot read the pin-source file {uri.pin_source} ({exc.strerror}): "
                                 "point pin-source at a file holding the token's user PIN") from None
        if environ.get(ENV_PIN):
            raise Pkcs11KeyError(f"{name}: the PIN is set both in {ENV_PIN} and by pin-source: keep one")
        return pin
    pin = environ.get(ENV_PIN)
    if not pin:
        raise Pkcs11KeyError(f"{name}: no PIN: set {ENV_PIN} in the environment of the command (or add "
                             "`pin-source=<file>` to the URI's query)")
    return pin


def _lib(path: str):
    pkcs11 = _pkcs11()
    with _LOCK:
        if path not in _LIBS:
            if not os.path.isfile(path):
                raise Pkcs11KeyError(f"module-path {path} is not a file: give the PKCS#11 library of your HSM "
                                     "(SoftHSM2: /usr/lib/softhsm/libsofthsm2.so, `apt-get install softhsm2`)")
            try:
                _LIBS[path] = pkcs11.lib(path)
            except Exception as exc:
                raise Pkcs11KeyError(f"module-path {path} cannot be loaded as a PKCS#11 library "
                                     f"({type(exc).__name__}): give the HSM vendor's PKCS#11 module") from None
        return _LIBS[path]


class Pkcs11Signer:
    """A RemoteSigner over one key on a token. Holds the PIN only in memory, for its own calls."""

    def __init__(self, uri: Pkcs11Uri, environ: Mapping[str, str] = os.environ):
        self.uri = uri
        self.name = uri.describe()
        self._pin = read_pin(uri, environ)
        self._public = None

    def __getstate__(self):  # never pickled with its PIN
        raise TypeError("a PKCS#11 signer is not picklable")

    def __repr__(self) -> str:
        return f"Pkcs11Signer({self.name})"

    def _token(self):
        pkcs11 = _pkcs11()
        lib = _lib(self.uri.module_path)
        try:
            if self.uri.slot_id is not None:
                slots = [s for s in lib.get_slots(token_present=True) if s.slot_id == self.uri.slot_id]
                if not slots:
                    raise pkcs11.exceptions.NoSuchToken()
                token = slots[0].get_token()
                if self.uri.token and token.label != self.uri.token:
                    raise pkcs11.exceptions.NoSuchToken()
                return token
            return lib.get_token(token_label=self.uri.token)
        except (pkcs11.exceptions.NoSuchToken, pkcs11.exceptions.MultipleTokensReturned) as exc:
            labels = sorted({s.get_token().label for s in lib.get_slots(token_present=True)})
            if self.uri.slot_id is not None:
                raise Pkcs11KeyError(f"{self.name}: no token{' with this label' if self.uri.token else ''} in slot "
                                     f"{self.uri.slot_id} of {self.uri.module_path} (tokens: "
                                     f"{', '.join(labels) or 'none'}): set `slot-id=` to the token's slot, or name "
                                     "the token with `token=` instead") from None
            what = "several tokens have" if isinstance(exc, pkcs11.exceptions.MultipleTokensReturned) else \
                "no token has"
            raise Pkcs11KeyError(f"{self.name}: {what} this label in {self.uri.module_path} (tokens: "
                                 f"{', '.join(labels) or 'none'}): set `token=` to the token's label") from None

    def _session(self):
        pkcs11 = _pkcs11()
        token = self._token()
        try:
            return token.open(user_pin=self._pin)
        except pkcs11.exceptions.PinIncorrect:
            raise Pkcs11KeyError(f"{self.name}: the token refused the PIN (wrong PIN): set {ENV_PIN} (or the "
                                 "pin-source file) to the token's user PIN") from None
        except pkcs11.exceptions.PinLocked:
            raise Pkcs11KeyError(f"{self.name}: the token's user PIN is locked: have the security officer "
                                 "unlock it") from None
        except pkcs11.exceptions.PKCS11Error as exc:
            raise Pkcs11KeyError(f"{self.name}: cannot log in to the token ({type(exc).__name__}): check the "
                                 "PIN and the token") from None

    def _find(self, session, object_class):
        pkcs11 = _pkcs11()
        attrs = {pkcs11.Attribute.CLASS: object_class}
        if self.uri.object:
            attrs[pkcs11.Attribute.LABEL] = self.uri.object
        if self.uri.id:
            attrs[pkcs11.Attribute.ID] = self.uri.id
        found = list(session.get_objects(attrs))
        if len(found) > 1:
            raise Pkcs11KeyError(f"{self.name}: {len(found)} keys match on the token: add `id=` to the URI to "
                                 "name one")
        return found[0] if found else None

    def public_key(self):
        if self._public is not None:
            return self._public
        pkcs11 = _pkcs11()
        A, OC = pkcs11.Attribute, pkcs11.ObjectClass
        with self._session() as session:
            private = self._find(session, OC.PRIVATE_KEY)
            if private is None:
                raise Pkcs11KeyError(f"{self.name}: no private key with this label/id on the token: check "
                                     "`object=`/`id=` (`pkcs11-tool --list-objects --login`)")
            public = self._find(session, OC.PUBLIC_KEY)
            if public is None:
                raise Pkcs11KeyError(f"{self.name}: the token has the private key but no public key object with "
                                     "the same label/id: import the public key beside it (pkcs11-tool "
                                     "--write-object --type pubkey)")
            key_type = public[A.KEY_TYPE]
            if key_type == pkcs11.KeyType.RSA:
                n = int.from_bytes(public[A.MODULUS], "big")
                e = int.from_bytes(public[A.PUBLIC_EXPONENT], "big")
                if n.bit_length() not in (2048, 3072, 4096):
                    raise Pkcs11KeyError(f"{self.name}: an RSA key of {n.bit_length()} bits: a CA key is RSA "
                                         "2048, 3072 or 4096, or EC P-256/P-384/P-521")
                self._public = rsa.RSAPublicNumbers(e, n).public_key()
            elif key_type == pkcs11.KeyType.EC:
                curve = _CURVES.get(bytes(public[A.EC_PARAMS]).hex())
                if curve is None:
                    raise Pkcs11KeyError(f"{self.name}: an EC key on a curve a CA key cannot use: use P-256, P-384 "
                                         "or P-521")
                point = bytes(public[A.EC_POINT])
                if len(point) != 1 + 2 * ((curve.key_size + 7) // 8):  # a DER OCTET STRING around the point
                    point = point[2:] if point[1] < 0x80 else point[2 + (point[1] & 0x7F):]
                self._public = ec.EllipticCurvePublicKey.from_encoded_point(curve(), point)
            else:
                raise Pkcs11KeyError(f"{self.name}: a {getattr(key_type, 'name', key_type)} key: a CA key is RSA "
                                     "or EC")
        return self._public

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        pkcs11 = _pkcs11()
        public = self.public_key()
        with self._session() as session:
            private = self._find(session, pkcs11.ObjectClass.PRIVATE_KEY)
            try:
                if isinstance(public, rsa.RSAPublicKey):
                    return private.sign(DIGEST_INFO[hash_name] + digest, mechanism=pkcs11.Mechanism.RSA_PKCS)
                raw = private.sign(digest, mechanism=pkcs11.Mechanism.ECDSA)
            except pkcs11.exceptions.PKCS11Error as exc:
                raise Pkcs11KeyError(f"{self.name}: the token refused to sign ({type(exc).__name__}): the key "
                                     "must allow signing (CKA_SIGN)") from None
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
