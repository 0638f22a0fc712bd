"""Why cryptography cannot read a certificate's extensions: which extension (OID and name) and, where the DER
shows it, what is malformed.

Pure. Used by ENC007 only when reading the extensions failed. Each extension is tried on its own in a copy of the
certificate that holds only it (the signature is not checked by parsing), so the one cryptography refuses is
named; then its DER is read to say what is wrong with it in RFC 5280's terms.
"""
from __future__ import annotations

import re
from collections import Counter

from cryptography import x509

from pca_import.core import der

_PREFERRED = re.compile(r"^\.?([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")
NAME_CONSTRAINTS = "2.5.29.30"
MAX_REASONS = 5


def extension_label(oid: str) -> str:
    """`2.5.29.30 (name constraints)`: the OID and the name a person knows it by."""
    from pca_import.core.spec import CRITICAL_EXTENSIONS
    if oid in CRITICAL_EXTENSIONS:
        return f"{oid} ({CRITICAL_EXTENSIONS[oid][0]})"
    try:
        name = x509.ObjectIdentifier(oid)._name
    except ValueError:
        name = "Unknown OID"
    return f"{oid} ({name})" if name != "Unknown OID" else f"{oid} (an extension pca-import does not know)"


def why_unreadable(cert_der: bytes, tbs: bytes) -> list[str]:
    """One sentence per extension that cannot be read; [] when none can be singled out."""
    try:
        extensions = der.extensions(tbs)
        prefix, elements = der.extension_elements(tbs)
        top = der.read_tlv(cert_der, 0)
        tbs_tlv = next(der.children(cert_der, top))
        signature_part = cert_der[tbs_tlv.end:top.end]
    except der.DerError as exc:
        return [f"the extensions field is not well-formed DER ({exc})"]
    out = []
    counts = Counter(oid for oid, _c, _v in extensions)
    for oid, n in counts.items():
        if n > 1:
            out.append(f"extension {extension_label(oid)} appears {n} times (RFC 5280 4.2: at most once)")
    for (oid, _critical, value), element in zip(extensions, elements):
        if counts[oid] > 1:
            continue
        error = _alone(prefix, element, signature_part)
        if error is None:
            continue
        detail = _detail(oid, value)
        out.append(f"extension {extension_label(oid)}: {detail or error}")
    return out[:MAX_REASONS]


def _alone(prefix: bytes, element: bytes, signature_part: bytes) -> str | None:
    """cryptography's reason for refusing a copy of the certificate holding only this extension, or None."""
    tbs = der.encode_tlv(0x30, prefix + der.encode_tlv(0xA3, der.encode_tlv(0x30, element)))
    try:
        list(x509.load_der_x509_certificate(der.encode_tlv(0x30, tbs + signature_part)).extensions)
    except Exception as exc:  # noqa: BLE001 - whatever cryptography says is the reason
        return str(exc).strip() or type(exc).__name__
    return None


def _detail(oid: str, value: bytes) -> str | None:
    try:
        der.well_formed(value)
    except der.DerError as exc:
        return f"its value is not well-formed DER ({exc})"
    if oid == NAME_CONSTRAINTS:
        try:
            return _name_constraints_detail(value)
        except der.DerError as exc:
            return f"its value is not a NameConstraints ({exc})"
    return None


def _name_constraints_detail(value: bytes) -> str | None:
    top = der.read_tlv(value, 0)
    problems = []
    for subtrees in der.children(value, top):
        kind = {0xA0: "permitted", 0xA1: "excluded"}.get(subtrees.tag, "unknown")
        for subtree in der.children(value, subtrees):
            base = next(iter(der.children(value, subtree)), None)
            if base is None:
                problems.append(f"a {kind} subtree is empty")
                continue
            body = value[base.start:base.end]
            form = base.tag & 0x1F
            if form in (1, 2, 6) and not base.tag & 0x20:
                text = body.decode("latin-1")
                form_name = {1: "rfc822Name", 2: "dNSName", 6: "uniformResourceIdentifier"}[form]
                if any(b > 0x7F for b in body):
                    problems.append(f"{kind} {form_name} {text!r} is not IA5String (ASCII)")
                elif form == 2 and body and not _PREFERRED.match(text):
                    problems.append(f"{kind} dNSName {text!r} is not a name in preferred syntax (RFC 5280 4.2.1.10 "
                                    "and 4.2.1.6: letters, digits and hyphens in dot-separated labels, no wildcard "
                                    "or space)")
            elif form == 7 and not base.tag & 0x20:
                if len(body) not in (8, 32):
                    problems.append(f"{kind} iPAddress constraint is {len(body)} bytes; it must be an address and "
                                    "mask: 8 bytes for IPv4, 32 for IPv6 (RFC 5280 4.2.1.10)")
                else:
                    mask = int.from_bytes(body[len(body) // 2:], "big")
                    bits = len(body) * 4
                    inverted = ~mask & ((1 << bits) - 1)
                    if inverted & (inverted + 1):
                        problems.append(f"{kind} iPAddress constraint has a mask that is not a prefix "
                                        f"({body[len(body) // 2:].hex()})")
    return "; ".join(problems[:MAX_REASONS]) or None
