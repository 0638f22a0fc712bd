"""PEM parsing and the canonical form of certificates and chains.

Pure functions: bytes in, facts out. The canonical form is what pca-import sends to AWS and what it
compares in diffs, so two inputs that differ only in line endings, surrounding whitespace or text
between blocks are the same certificate.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END ([A-Z0-9 ]+)-----", re.DOTALL
)
PRIVATE_KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY",
                      "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY")


@dataclass(frozen=True)
class PemBlock:
    """One `-----BEGIN X-----` block: its label, DER body (None if the base64 is broken) and index."""

    label: str
    der: bytes | None
    index: int


@dataclass
class PemDocument:
    """What was found in one input: PEM blocks, stray text outside them, and whether it looks like DER."""

    blocks: list[PemBlock] = field(default_factory=list)
    stray_text: bool = False
    looks_like_der: bool = False
    empty: bool = False

    @property
    def certificate_ders(self) -> list[bytes | None]:
        return [b.der for b in self.blocks if b.label == "CERTIFICATE"]


def split_pem(data: bytes | str | None) -> PemDocument:
    """Split input into PEM blocks, tolerating CRLF, indentation, and text between blocks."""
    if data is None:
        return PemDocument(empty=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if not data.strip():
        return PemDocument(empty=True)
    doc = PemDocument()
    if b"-----BEGIN" not in data:
        # A DER certificate or PKCS#7 bundle is an ASN.1 SEQUENCE: 0x30 then a length byte.
        doc.looks_like_der = data[:1] == b"\x30" and len(data) > 2
        doc.stray_text = not doc.looks_like_der
        return doc
    last_end = 0
    for i, m in enumerate(_BLOCK.finditer(data)):
        if data[last_end:m.start()].strip():
            doc.stray_text = True
        last_end = m.end()
        label = m.group(1).decode("ascii")
        body = re.sub(rb"\s+", b"", m.group(2))
        # Headers such as "Proc-Type:" (legacy encrypted keys) make the body non-base64: keep the label.
        try:
            der = base64.b64decode(body, validate=True) if body else None
        except (binascii.Error, ValueError):
            der = None
        doc.blocks.append(PemBlock(label=label, der=der, index=i))
    if data[last_end:].strip():
        doc.stray_text = True
    return doc


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> bytes:
    """Encode DER as canonical PEM: 64-column base64, LF line endings, one trailing newline."""
    b64 = base64.b64encode(der)
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return b"-----BEGIN " + label.encode() + b"-----\n" + b"\n".join(lines) + b"\n-----END " + label.encode() + b"-----\n"


def canonical_pem(data: bytes | str | None) -> str | None:
    """The canonical PEM of every CERTIFICATE block in `data`, or None if there is none.

    Used by diffs: whitespace, CRLF and stray text never make a difference; content does.
    Blocks whose base64 is broken are kept verbatim (normalised whitespace) so they still differ.
    """
    doc = split_pem(data)
    out = []
    for b in doc.blocks:
        if b.label != "CERTIFICATE":
            continue
        out.append(der_to_pem(b.der) if b.der is not None else f"<unreadable block {b.index}>\n".encode())
    if not out:
        if isinstance(data, (bytes, str)) and str(data).strip():
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            return " ".join(text.split())
        return None
    return b"".join(out).decode("ascii")
