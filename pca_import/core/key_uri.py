"""Signer key URIs: `awskms:` (a KMS key) and `pkcs11:` (RFC 7512, a key on a token), parsed and checked.

A URI names a key; it is never one. It may sit in stack config in plain text, so it must not carry a secret:
a `pin-value` is refused (the PIN comes from `PCA_IMPORT_PKCS11_PIN` or a `pin-source` file).

Forms (attribute names as step-ca and RFC 7512 spell them):

* `awskms:key-id=<key ARN, key id, alias/name or alias ARN>[;region=<region>][;profile=<profile>]`
* `pkcs11:token=<label>;object=<label>[;id=<%xx bytes>][;slot-id=<n>]?module-path=<library>[&pin-source=<file>]`
  (values percent-encoded; `module-path` is also accepted among the path attributes, as step-ca writes it).

Pure: strings in, a dataclass or a `KeyUriError` naming the problem and the fix out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from pca_import.errors import SignerKeyError

PKCS11_PATH_ATTRS = {"token", "object", "id", "slot-id", "manufacturer", "model", "serial", "type",
                     "slot-description", "slot-manufacturer", "library-manufacturer", "library-description",
                     "library-version", "module-path"}
PKCS11_QUERY_ATTRS = {"module-path", "module-name", "pin-source", "pin-value"}
AWSKMS_ATTRS = {"key-id", "region", "profile"}
EXAMPLES = ("`awskms:key-id=alias/offline-root` or "
            "`pkcs11:token=offline;object=root?module-path=/usr/lib/softhsm/libsofthsm2.so`")


class KeyUriError(SignerKeyError):
    """A malformed signer key URI (a SignerKeyError: the message names the source and the fix)."""


@dataclass(frozen=True)
class KmsKeyUri:
    key_id: str
    region: str | None = None
    profile: str | None = None

    def describe(self) -> str:
        return f"awskms:key-id={self.key_id}"


@dataclass(frozen=True)
class Pkcs11Uri:
    module_path: str
    token: str | None = None
    object: str | None = None
    id: bytes | None = None
    slot_id: int | None = None
    pin_source: str | None = None

    def describe(self) -> str:
        parts = [f"token={self.token}"] if self.token else []
        parts += [f"slot-id={self.slot_id}"] if self.slot_id is not None else []
        parts += [f"object={self.object}"] if self.object else []
        parts += [f"id=%{self.id.hex()}"] if self.id else []
        return "pkcs11:" + ";".join(parts)


def looks_like_uri(text: str) -> bool:
    return bool(re.match(r"^[a-z0-9]+:", text.strip())) and not text.strip().startswith("-----")


def _split(text: str, sep: str, where: str, source: str, known: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, text.split(sep)):
        if "=" not in part:
            raise KeyUriError(f"{source}: `{part}` in the {where} is not `name=value`: write it as {EXAMPLES}")
        name, value = part.split("=", 1)
        name = name.strip().lower()
        if name not in known and not name.startswith("x-"):
            raise KeyUriError(f"{source}: unknown attribute `{name}` in the {where}: use "
                              f"{', '.join(sorted(known))}")
        if name in out:
            raise KeyUriError(f"{source}: `{name}` appears twice: keep one")
        out[name] = value
    return out


def _text(value: str, name: str, source: str) -> str:
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise KeyUriError(f"{source}: `{name}` is not UTF-8 after percent-decoding: percent-encode its UTF-8 "
                          "bytes") from None


def parse(uri: str, source: str = "the signer key URI") -> KmsKeyUri | Pkcs11Uri:
    """The key a URI names; a KeyUriError naming `source` and the fix when it is malformed."""
    uri = uri.strip()
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if scheme == "awskms":
        attrs = _split(rest, ";", "URI", source, AWSKMS_ATTRS)
        key_id = attrs.get("key-id", "").strip()
        if not key_id:
            raise KeyUriError(f"{source}: an awskms URI needs `key-id=<key ARN or alias/name>`, e.g. "
                              "`awskms:key-id=alias/offline-root`")
        return KmsKeyUri(_text(key_id, "key-id", source), attrs.get("region") or None, attrs.get("profile") or None)
    if scheme == "pkcs11":
        path, _, query = rest.partition("?")
        p = _split(path, ";", "path", source, PKCS11_PATH_ATTRS)
        q = _split(query, "&", "query", source, PKCS11_QUERY_ATTRS)
        if "pin-value" in q:
            raise KeyUriError(f"{source}: the URI carries `pin-value`, a secret in config: remove it and set "
                              "PCA_IMPORT_PKCS11_PIN in the environment of the command (or `pin-source=<file>`)")
        module = _text(q.get("module-path") or p.get("module-path") or "", "module-path", source)
        if not module:
            raise KeyUriError(f"{source}: a pkcs11 URI needs `?module-path=<PKCS#11 library>`, e.g. "
                              "`?module-path=/usr/lib/softhsm/libsofthsm2.so`")
        if not (p.get("object") or p.get("id")):
            raise KeyUriError(f"{source}: a pkcs11 URI needs `object=<key label>` or `id=<%xx key id>` to name "
                              "the key on the token")
        if not (p.get("token") or p.get("slot-id")):
            raise KeyUriError(f"{source}: a pkcs11 URI needs `token=<token label>` (or `slot-id=<n>`) to name the "
                              "token that holds the key")
        slot = p.get("slot-id")
        if slot is not None and not slot.isdigit():
            raise KeyUriError(f"{source}: slot-id `{slot}` is not a number: give the decimal slot id")
        pin_source = q.get("pin-source")
        if pin_source is not None:
            pin_source = _text(pin_source, "pin-source", source).removeprefix("file://").removeprefix("file:")
        return Pkcs11Uri(module_path=module,
                         token=_text(p["token"], "token", source) if "token" in p else None,
                         object=_text(p["object"], "object", source) if "object" in p else None,
                         id=unquote_to_bytes(p["id"]) if p.get("id") else None,
                         slot_id=int(slot) if slot is not None else None, pin_source=pin_source)
    raise KeyUriError(f"{source}: `{scheme}:` is not a signer key URI scheme: use {EXAMPLES}")
