"""A minimal, defensive DER reader: just enough to see what cryptography will not parse.

Used for the name-constraint forms AWS Private CA refuses (x400Address, ediPartyName), which cryptography
cannot represent at all: their presence makes the whole extension list unreadable there. Pure; every
malformed input ends in `DerError`, never in an IndexError.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator, NamedTuple


class DerError(ValueError):
    """The bytes are not the DER this reader expected."""


class Tlv(NamedTuple):
    tag: int
    start: int   # first byte of the value
    end: int     # one past the last byte of the value


def read_tlv(data: bytes, pos: int) -> Tlv:
    if pos + 2 > len(data):
        raise DerError("truncated tag or length")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used in certificates")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise DerError("value runs past the end")
    return Tlv(tag, pos, pos + length)


def children(data: bytes, tlv: Tlv) -> Iterator[Tlv]:
    pos = tlv.start
    while pos < tlv.end:
        child = read_tlv(data, pos)
        if child.end > tlv.end:
            raise DerError("child runs past its parent")
        yield child
        pos = child.end


def decode_oid(body: bytes) -> str:
    if not body:
        raise DerError("empty OID")
    first = body[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for b in body[1:]:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def extensions(tbs: bytes) -> list[tuple[str, bool, bytes]]:
    """(OID, critical, extnValue) of every extension of a TBSCertificate; [] when there are none."""
    top = read_tlv(tbs, 0)
    out = []
    for field in children(tbs, top):
        if field.tag != 0xA3:  # [3] EXPLICIT Extensions
            continue
        seq = read_tlv(tbs, field.start)
        for ext in children(tbs, seq):
            parts = list(children(tbs, ext))
            if not parts or parts[0].tag != 0x06:
                raise DerError("extension without an OID")
            oid = decode_oid(tbs[parts[0].start:parts[0].end])
            critical = len(parts) == 3 and parts[1].tag == 0x01 and tbs[parts[1].start:parts[1].end] != b"\x00"
            value = parts[-1]
            if value.tag != 0x04:
                raise DerError("extension value is not an OCTET STRING")
            out.append((oid, critical, tbs[value.start:value.end]))
    return out


GENERAL_NAME_FORMS = {0: "otherName", 1: "rfc822Name", 2: "dNSName", 3: "x400Address", 4: "directoryName",
                      5: "ediPartyName", 6: "uniformResourceIdentifier", 7: "iPAddress", 8: "registeredID"}


def name_constraint_forms(value: bytes) -> list[tuple[str, str]]:
    """("permitted" | "excluded", GeneralName form) for every subtree of a NameConstraints value."""
    top = read_tlv(value, 0)
    out = []
    for subtrees in children(value, top):
        kind = {0xA0: "permitted", 0xA1: "excluded"}.get(subtrees.tag)
        if kind is None:
            raise DerError("unexpected field in NameConstraints")
        for subtree in children(value, subtrees):
            base = next(iter(children(value, subtree)), None)
            if base is None:
                raise DerError("empty GeneralSubtree")
            out.append((kind, GENERAL_NAME_FORMS.get(base.tag & 0x1F, f"[{base.tag & 0x1F}]")))
    return out


def encode_tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV (definite length, single-byte tag)."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(body)]) + body + content


def subject_public_key_info(tbs: bytes) -> tuple[str, bytes | None, bytes]:
    """(algorithm OID, DER of its parameters or None, the subject public key's bytes) of a TBSCertificate.

    Read from the DER, so it works for keys cryptography will not load (explicit EC parameters, SM2, DSA)."""
    top = read_tlv(tbs, 0)
    fields = list(children(tbs, top))
    if fields and fields[0].tag == 0xA0:  # [0] EXPLICIT version
        fields = fields[1:]
    if len(fields) < 6 or fields[5].tag != 0x30:
        raise DerError("no subjectPublicKeyInfo")
    return _spki_parts(tbs, fields[5])


def spki_parts(spki: bytes) -> tuple[str, bytes | None, bytes]:
    """The same three parts of a DER SubjectPublicKeyInfo on its own (a CSR's key)."""
    return _spki_parts(spki, read_tlv(spki, 0))


def _spki_parts(data: bytes, spki: Tlv) -> tuple[str, bytes | None, bytes]:
    parts = list(children(data, spki))
    if len(parts) != 2 or parts[0].tag != 0x30 or parts[1].tag != 0x03:
        raise DerError("subjectPublicKeyInfo is not an algorithm and a BIT STRING")
    alg = list(children(data, parts[0]))
    if not alg or alg[0].tag != 0x06:
        raise DerError("public key algorithm without an OID")
    oid = decode_oid(data[alg[0].start:alg[0].end])
    params = data[alg[0].end:alg[1].end] if len(alg) > 1 else None  # the whole TLV, tag and length included
    bits = data[parts[1].start:parts[1].end]
    if not bits:
        raise DerError("empty BIT STRING")
    return oid, params, bits[1:]


def integers(data: bytes) -> list[int]:
    """The INTEGERs of a DER SEQUENCE of INTEGERs (an RSA public key, DSA parameters), as unsigned numbers."""
    top = read_tlv(data, 0)
    out = []
    for child in children(data, top):
        if child.tag != 0x02:
            raise DerError("not an INTEGER")
        out.append(int.from_bytes(data[child.start:child.end], "big"))
    return out


def well_formed(data: bytes, pos: int = 0, end: int | None = None, depth: int = 0) -> None:
    """Walk every TLV of `data` (into constructed ones); DerError naming the byte offset where it breaks."""
    end = len(data) if end is None else end
    if depth > 64:
        raise DerError(f"nested more than 64 levels at byte {pos}")
    while pos < end:
        try:
            tlv = read_tlv(data, pos)
        except DerError as exc:
            raise DerError(f"{exc} at byte {pos}") from None
        if tlv.end > end:
            raise DerError(f"element at byte {pos} runs past its parent")
        if tlv.tag & 0x20:
            well_formed(data, tlv.start, tlv.end, depth + 1)
        pos = tlv.end


def extension_elements(tbs: bytes) -> tuple[bytes, list[bytes]]:
    """(the TBSCertificate's content before its [3] extensions, each Extension's whole TLV): to rebuild a
    certificate holding one extension at a time."""
    top = read_tlv(tbs, 0)
    prefix_end, elements = top.end, []
    pos = top.start
    for field in children(tbs, top):
        if field.tag == 0xA3:
            prefix_end = pos
            seq = read_tlv(tbs, field.start)
            at = seq.start
            for ext in children(tbs, seq):
                elements.append(tbs[at:ext.end])
                at = ext.end
        pos = field.end
    return tbs[top.start:prefix_end], elements


def _time(data: bytes, tlv: Tlv) -> dt.datetime:
    """A UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 4.1.2.5 fixes
    them for certificates."""
    text = data[tlv.start:tlv.end].decode("ascii", "replace")
    if tlv.tag == 0x17 and len(text) == 13 and text.endswith("Z") and text[:12].isdigit():
        year = int(text[:2])
        text = f"{19 if year >= 50 else 20}{text}"
    elif not (tlv.tag == 0x18 and len(text) == 15 and text.endswith("Z") and text[:14].isdigit()):
        raise DerError("a validity time not in the form RFC 5280 requires")
    try:  # digits only (checked above): fixed positions, no strptime (its first call builds locale tables)
        return dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                           int(text[12:14]), tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise DerError(f"a validity time that is no date: {exc}") from None


def validity(certificate: bytes) -> tuple[dt.datetime, dt.datetime]:
    """(notBefore, notAfter) of a DER certificate, read without cryptography (a no-change preview needs only
    these). `DerError` for anything that is not a certificate's layout."""
    top = read_tlv(certificate, 0)
    tbs = next(children(certificate, top), None)
    if tbs is None or top.tag != 0x30 or tbs.tag != 0x30:
        raise DerError("not a certificate")
    fields = list(children(certificate, tbs))
    if fields and fields[0].tag == 0xA0:  # [0] EXPLICIT version
        fields = fields[1:]
    if len(fields) < 4 or fields[3].tag != 0x30:
        raise DerError("no validity")
    times = list(children(certificate, fields[3]))
    if len(times) != 2:
        raise DerError("a validity without exactly two times")
    return _time(certificate, times[0]), _time(certificate, times[1])
