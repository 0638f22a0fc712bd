"""PEM parsing and the canonical form of certificates and chains.

Pure functions: bytes in, facts out. The canonical form is what pca-import sends to AWS and what it
compares in diffs, so two inputs that differ only in line endings, surrounding whitespace or text
between blocks are the same certificate.
"""
from __future__ import annotations

import binascii
from typing import NamedTuple

PRIVATE_KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY",
                      "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY")


class PemBlock(NamedTuple):
    """One `-----BEGIN X-----` block: its label, DER body (None if the base64 is broken) and index."""

    label: str
    der: bytes | None
    index: int  # type: ignore[assignment]  # a field named like tuple.index, as NamedTuples allow
    pem: bytes | None = None  # canonical PEM text of this block (CERTIFICATE blocks only)


class PemDocument:
    """What was found in one input: PEM blocks, stray text outside them, and whether it looks like DER."""

    __slots__ = ("blocks", "stray_text", "looks_like_der", "empty", "key_hint")

    def __init__(self, empty: bool = False) -> None:
        self.blocks: list[PemBlock] = []
        self.stray_text = False
        self.key_hint: str | None = None  # what looks like private key material outside any key PEM block
        self.looks_like_der = False
        self.empty = empty

    @property
    def certificate_ders(self) -> list[bytes | None]:
        return [b.der for b in self.blocks if b.label == "CERTIFICATE"]

    @property
    def certificate_blocks(self) -> list[PemBlock]:
        return [b for b in self.blocks if b.label == "CERTIFICATE"]


def split_pem(data: bytes | str | None) -> PemDocument:
    """Split input into PEM blocks, tolerating CRLF, indentation, and text between blocks.

    A linear scan with bytes.find (no backtracking regex): a 2 MB chain splits in about a millisecond.
    """
    if data is None:
        return PemDocument(empty=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if not data or data.isspace():
        return PemDocument(empty=True)
    doc = PemDocument()
    if b"-----BEGIN" not in data:
        # A DER certificate or PKCS#7 bundle is an ASN.1 SEQUENCE: 0x30 then a length byte.
        doc.looks_like_der = data[:1] == b"\x30" and len(data) > 2
        doc.stray_text = not doc.looks_like_der
        doc.key_hint = (("it is a DER private key" if _is_private_key_der(data) else None) if doc.looks_like_der
                        else _stray_key_hint(data))
        return doc
    stray: list[bytes] = []
    pos, index = 0, 0
    while True:
        begin = data.find(b"-----BEGIN ", pos)
        if begin < 0:
            break
        if begin > pos and not data[pos:begin].isspace():
            doc.stray_text = True
            stray.append(data[pos:begin])
        label_end = data.find(b"-----", begin + 11)
        if label_end < 0:
            doc.stray_text = True
            pos = len(data)
            break
        label = data[begin + 11:label_end]
        end_marker = b"-----END " + label + b"-----"
        end = data.find(end_marker, label_end + 5)
        if end < 0:  # truncated block: keep its label so rules can say so
            doc.blocks.append(PemBlock(label=label.decode("ascii", "replace"), der=None, index=index))
            pos = len(data)
            break
        raw = data[label_end + 5:end]
        body = raw.translate(None, b" \t\r\n")
        try:
            der = binascii.a2b_base64(body, strict_mode=True) if body else None
        except (binascii.Error, ValueError):
            der = None
        canonical = None
        if der is not None and label == b"CERTIFICATE":
            canonical = (_CERT_HEAD + raw + _CERT_TAIL) if _is_canonical_body(raw, len(body)) else der_to_pem(der)
        doc.blocks.append(PemBlock(label=label.decode("ascii", "replace"), der=der, index=index, pem=canonical))
        index += 1
        pos = end + len(end_marker)
    if pos < len(data) and not data[pos:].isspace():
        doc.stray_text = True
        stray.append(data[pos:])
    if stray:
        doc.key_hint = _stray_key_hint(b"\n".join(stray))
    return doc


_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _stray_key_hint(text: bytes) -> str | None:
    """Private key material in text outside PEM blocks: a damaged `PRIVATE KEY` marker, or a key's base64 body
    pasted without its markers. A certificate's own base64 never looks like a key (checked structurally)."""
    if b"PRIVATE KEY" in text.upper():
        return "text outside its PEM blocks names a PRIVATE KEY (a damaged or partial key block)"
    run: list[bytes] = []
    for line in text.splitlines() + [b""]:
        line = line.strip()
        if line and set(line) <= _B64:
            run.append(line)
            continue
        if sum(map(len, run)) >= 64:
            try:
                der = binascii.a2b_base64(b"".join(run))
            except (binascii.Error, ValueError):
                der = b""
            if _is_private_key_der(der):
                return "text outside its PEM blocks is the base64 of a private key (its BEGIN/END lines are missing)"
        run = []
    return None


def _is_private_key_der(der: bytes) -> bool:
    """PKCS#1 / SEC 1 / PKCS#8 keys start SEQUENCE { INTEGER 0|1, ... }; an encrypted PKCS#8 key is
    SEQUENCE { SEQUENCE algorithm, OCTET STRING } — unlike a certificate's SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }."""
    from pca_import.core.der import DerError, children, read_tlv
    try:
        top = read_tlv(der, 0)
        if top.tag != 0x30 or top.end != len(der):
            return False
        parts = []
        for child in children(der, top):
            parts.append(child)
            if len(parts) == 3:
                break
    except DerError:
        return False
    if len(parts) >= 2 and parts[0].tag == 0x02 and der[parts[0].start:parts[0].end] in (b"\x00", b"\x01"):
        return True
    return len(parts) == 2 and parts[0].tag == 0x30 and parts[1].tag == 0x04


_CERT_HEAD, _CERT_TAIL = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----\n"


def _is_canonical_body(raw: bytes, b64_len: int) -> bool:
    """True when `raw` (between the markers) is already LF, 64-column base64: reuse it, don't re-encode."""
    lines = -(-b64_len // 64)
    if len(raw) != 1 + b64_len + lines or raw[-1:] != b"\n":
        return False
    grid = raw[:-1][::65]
    return grid == b"\n" * len(grid) and raw.count(b"\n") == lines + 1


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> bytes:
    """Encode DER as canonical PEM: 64-column base64, LF line endings, one trailing newline."""
    b64 = binascii.b2a_base64(der, newline=False)
    body = b"\n".join([b64[i:i + 64] for i in range(0, len(b64), 64)]) + b"\n"
    return b"-----BEGIN " + label.encode() + b"-----\n" + body + b"-----END " + label.encode() + b"-----\n"


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


def validity_periods(data: bytes | str | None) -> list[tuple] | None:
    """(notBefore, notAfter) of every certificate in a PEM text, read from the DER alone (no cryptography); None
    when any block cannot be read that way (the caller then asks the full parser)."""
    from pca_import.core import der
    periods = []
    for block in split_pem(data).certificate_blocks:
        if block.der is None:
            return None
        try:
            periods.append(der.validity(block.der))
        except der.DerError:
            return None
    return periods
