"""A minimal, defensive DER reader: just enough to see what cryptography will not parse.

Used for the name-constraint forms AWS Private CA refuses (x400Address, ediPartyName), which cryptography
cannot represent at all: their presence makes the whole extension list unreadable there. Pure; every
malformed input ends in `DerError`, never in an IndexError.
"""
from __future__ import annotations

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
