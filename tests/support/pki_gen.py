"""Generated CA hierarchies for the independent-validator tests: a plain description in, real certificates out.

A `HierarchySpec` says what a hierarchy looks like (depth, key types, basic constraints, key usage, extra
critical extensions, name constraints, validity, name encodings, signature faults, chain order, extra
certificates); `build` turns it into certificates signed with `cryptography`, plus one end-entity certificate
issued by the imported CA, so that an RFC 5280 validator checks the imported CA as an intermediate (what AWS
means by "a CA certificate": it will sign). Keys come from a small pool made once per session.

Nothing here decides what a verdict should be: the independent validators do (tests/independent.py).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import random
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, ObjectIdentifier

# One instant for every tool: pca-import's `now`, pyhanko's `moment`, openssl's `-attime`.
NOW_EPOCH = int(time.time())
NOW = dt.datetime.fromtimestamp(NOW_EPOCH, dt.timezone.utc)
DAY = dt.timedelta(days=1)

KEY_TYPES = ("rsa2048", "p256", "p384", "ed25519")
WEAK_KEY_TYPES = ("rsa1024", "p192")   # keys validators accept that no Private CA can hold (KEY004 on the imported CA)
EE_KEY = ("p256", 20)
WRONG_KEY = ("p256", 21)
UNRELATED_KEYS = (("p256", 22), ("p256", 23))


@lru_cache(maxsize=None)
def pool_key(kind: str, index: int):
    """A private key of `kind`, the same for every test of the session (key generation is the slow part)."""
    if kind == "rsa2048":
        return rsa.generate_private_key(65537, 2048)
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "rsa1024":
        return rsa.generate_private_key(65537, 1024)
    if kind == "p192":
        return ec.generate_private_key(ec.SECP192R1())
    raise ValueError(kind)


def _hash(key):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


# ---- names ------------------------------------------------------------------------------------------

Attr = tuple  # (oid, value, asn1 type)
ORG = "Example Org"


def level_attrs(i: int) -> tuple[Attr, ...]:
    return ((NameOID.COUNTRY_NAME, "US", _ASN1Type.PrintableString),
            (NameOID.ORGANIZATION_NAME, ORG, _ASN1Type.UTF8String),
            (NameOID.COMMON_NAME, f"Level {i} CA", _ASN1Type.UTF8String))


# How a certificate's issuer field spells its issuer's subject. All four match under RFC 5280 7.1
# (caseIgnoreMatch after RFC 4518 preparation: case, insignificant spaces, PrintableString vs UTF8String).
NAME_VARIANTS = ("exact", "case", "spaces", "printable")


def spelled(attrs: tuple[Attr, ...], variant: str) -> tuple[Attr, ...]:
    out = []
    for oid, value, typ in attrs:
        if oid != NameOID.COUNTRY_NAME:
            if variant == "case":
                value = value.upper()
            elif variant == "spaces":
                value = "  " + value.replace(" ", "   ") + " "
            elif variant == "printable":
                typ = _ASN1Type.PrintableString
        out.append((oid, value, typ))
    return tuple(out)


def to_name(attrs: tuple[Attr, ...]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value, _type=typ) for oid, value, typ in attrs])


# ---- name constraints ---------------------------------------------------------------------------------

def _dirname(*attrs: Attr) -> x509.DirectoryName:
    return x509.DirectoryName(to_name(attrs))


_C, _O = (NameOID.COUNTRY_NAME, "US", _ASN1Type.PrintableString), (NameOID.ORGANIZATION_NAME, ORG, _ASN1Type.UTF8String)
# subtree name -> GeneralName. "dir_imported" is filled in per hierarchy (the imported CA's exact subject).
SUBTREES = {
    "dns_example": x509.DNSName("example.com"),
    "dns_bad": x509.DNSName("bad.example.com"),
    "email_example": x509.RFC822Name("example.com"),
    "uri_example": x509.UniformResourceIdentifier(".example.com"),
    "ip_10": x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")),
    "dir_org": _dirname(_C, _O),
    "dir_other_org": _dirname(_C, (NameOID.ORGANIZATION_NAME, "Other Org", _ASN1Type.UTF8String)),
    "dir_imported": None,
    # forms AWS Private CA does not import (its name-constraints page)
    "othername_upn": x509.OtherName(ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x0bexample.com"),
    "registered_id": x509.RegisteredID(ObjectIdentifier("1.3.6.1.4.1.55555.7")),
}
UNSUPPORTED_SUBTREES = ("othername_upn", "registered_id")
# subject alternative names the imported CA may carry, inside or outside the subtrees above
SAN_NAMES = {
    "dns_in": x509.DNSName("ca.example.com"),
    "dns_bad": x509.DNSName("ca.bad.example.com"),
    "dns_out": x509.DNSName("ca.other.org"),
    "email_in": x509.RFC822Name("ca@example.com"),
    "email_out": x509.RFC822Name("ca@other.org"),
    "uri_in": x509.UniformResourceIdentifier("https://ca.example.com/"),
    "uri_out": x509.UniformResourceIdentifier("https://ca.other.org/"),
    "ip_in": x509.IPAddress(ipaddress.ip_address("10.1.2.3")),
    "ip_out": x509.IPAddress(ipaddress.ip_address("192.168.1.1")),
}


# ---- extra extensions -----------------------------------------------------------------------------------

def extra_extension(kind: str) -> x509.ExtensionType:
    uri = x509.UniformResourceIdentifier
    if kind == "aia":
        return x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS, uri("http://pki.example.com/ca.cer"))])
    if kind == "crldp":
        return x509.CRLDistributionPoints([x509.DistributionPoint([uri("http://pki.example.com/ca.crl")],
                                                                  None, None, None)])
    if kind == "freshest_crl":
        return x509.FreshestCRL([x509.DistributionPoint([uri("http://pki.example.com/delta.crl")], None, None, None)])
    if kind == "policy_constraints":  # inhibitPolicyMapping only: requireExplicitPolicy would need policies
        return x509.PolicyConstraints(require_explicit_policy=None, inhibit_policy_mapping=0)
    if kind == "certificate_policies":
        return x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier("2.5.29.32.0"), None)])
    if kind == "unknown":
        return x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
    raise ValueError(kind)


EXTRA_EXTENSIONS = ("aia", "crldp", "freshest_crl", "policy_constraints", "certificate_policies", "unknown")


# ---- the description ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LevelSpec:
    """One CA of the hierarchy (level 0 is the root; the last level is the imported CA)."""

    key: str = "p256"
    bc: str = "critical"            # critical | noncritical | absent
    ca: bool = True
    path_len: int | None = None
    ku: str = "critical"            # critical | noncritical | absent | no_cert_sign
    extras: tuple[tuple[str, bool], ...] = ()     # (extension kind, critical)
    permitted: tuple[str, ...] = ()                # name-constraint subtrees (SUBTREES keys)
    excluded: tuple[str, ...] = ()
    nc_critical: bool = True
    validity: str = "ok"            # ok | expired | not_yet_valid | outlives_parent | expiring_soon
    issuer_variant: str = "exact"   # how this certificate spells its issuer's name (NAME_VARIANTS)
    self_issued: bool = False       # same subject as its issuer, new key (a key rollover)
    signature: str = "ok"           # ok | flip (a corrupted bit) | wrong_key (signed by another key)
    sha1: bool = False              # signed with SHA-1 (RSA and ECDSA only)
    kid_critical: str = "none"      # none | aki | ski: that key identifier marked critical (RFC 5280 forbids it)


@dataclass(frozen=True)
class HierarchySpec:
    levels: tuple[LevelSpec, ...]
    san: tuple[str, ...] = ()                      # SAN_NAMES keys on the imported CA
    order: str = "given"            # given | reversed | shuffled
    shuffle_seed: int = 0
    omit_root: bool = False
    extras: tuple[str, ...] = ()    # unrelated_root | unrelated_sub | duplicate | imported_copy

    @property
    def depth(self) -> int:
        return len(self.levels)

    @property
    def is_root_import(self) -> bool:
        return self.depth == 1

    def describe(self) -> str:
        """A compact one-line description with only what differs from a clean hierarchy."""
        base = LevelSpec()
        parts = []
        for i, lv in enumerate(self.levels):
            diff = {k: v for k, v in lv.__dict__.items() if getattr(base, k) != v}
            parts.append(f"L{i}{diff if diff else ''}")
        top = {k: v for k, v in (("san", self.san), ("order", self.order), ("omit_root", self.omit_root),
                                 ("extras", self.extras)) if v not in ((), "given", False)}
        return " / ".join(parts) + (f" {top}" if top else "")


@dataclass
class Built:
    spec: HierarchySpec
    certs: list[x509.Certificate]          # top-down: certs[0] is the root, certs[-1] the imported CA
    keys: list = field(default_factory=list)
    chain: list[x509.Certificate] = field(default_factory=list)   # as sent to AWS (issuer first, root last)
    ee: x509.Certificate | None = None     # an end-entity certificate issued by the imported CA

    @property
    def root(self) -> x509.Certificate:
        return self.certs[0]

    @property
    def imported(self) -> x509.Certificate:
        return self.certs[-1]


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def pems(certs) -> bytes:
    return b"".join(pem(c) for c in certs)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


# ---- building ---------------------------------------------------------------------------------------------

def _validity(spec: HierarchySpec, i: int, parent_not_after: dt.datetime | None):
    lv = spec.levels[i]
    nb, na = NOW - (400 - i) * DAY, NOW + (7300 - 300 * i) * DAY
    if lv.validity == "expired":
        nb, na = NOW - 800 * DAY, NOW - DAY
    elif lv.validity == "not_yet_valid":
        nb, na = NOW + 2 * DAY, NOW + 400 * DAY
    elif lv.validity == "outlives_parent" and parent_not_after is not None:
        na = max(na, parent_not_after + 200 * DAY)
    elif lv.validity == "expiring_soon":
        na = NOW + 10 * DAY
    return nb, na


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _subtrees(names: tuple[str, ...], imported_attrs) -> list[x509.GeneralName] | None:
    if not names:
        return None
    return [to_name_dir(imported_attrs) if n == "dir_imported" else SUBTREES[n] for n in names]


def to_name_dir(attrs) -> x509.DirectoryName:
    return x509.DirectoryName(to_name(attrs))


def resign_sha1(cert: x509.Certificate, key) -> x509.Certificate:
    """The same certificate signed with SHA-1 (cryptography refuses to sign SHA-1 certificates itself)."""
    from asn1crypto import x509 as ax
    a = ax.Certificate.load(der(cert))
    algo = "sha1_rsa" if isinstance(key, rsa.RSAPrivateKey) else "sha1_ecdsa"
    tbs = a["tbs_certificate"]
    tbs["signature"] = {"algorithm": algo}
    a["signature_algorithm"] = {"algorithm": algo}
    tbs_der = tbs.dump(force=True)
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA1())
    else:
        sig = key.sign(tbs_der, ec.ECDSA(hashes.SHA1()))
    a["signature_value"] = sig
    return x509.load_der_x509_certificate(a.dump(force=True))


def flip_signature(cert: x509.Certificate) -> x509.Certificate:
    """Flip one bit in the last byte of the signature value: still parses, no longer verifies."""
    data = bytearray(der(cert))
    data[-1] ^= 0x01
    return x509.load_der_x509_certificate(bytes(data))


def _sign(builder: x509.CertificateBuilder, key):
    return builder.sign(key, _hash(key))


def build(spec: HierarchySpec) -> Built:
    keys = [pool_key(lv.key, i) for i, lv in enumerate(spec.levels)]
    attrs: list[tuple[Attr, ...]] = []
    for i, lv in enumerate(spec.levels):
        attrs.append(attrs[i - 1] if (lv.self_issued and i > 0) else level_attrs(i))
    imported_attrs = attrs[-1]
    certs: list[x509.Certificate] = []
    for i, lv in enumerate(spec.levels):
        parent_attrs = attrs[i - 1] if i > 0 else attrs[0]
        issuer_key = keys[i - 1] if i > 0 else keys[0]
        signer = pool_key(*WRONG_KEY) if lv.signature == "wrong_key" else issuer_key
        nb, na = _validity(spec, i, certs[i - 1].not_valid_after_utc if i > 0 else None)
        b = (x509.CertificateBuilder().subject_name(to_name(attrs[i]))
             .issuer_name(to_name(spelled(parent_attrs, lv.issuer_variant)))
             .public_key(keys[i].public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(nb).not_valid_after(na))
        if lv.bc != "absent":
            b = b.add_extension(x509.BasicConstraints(ca=lv.ca, path_length=lv.path_len if lv.ca else None),
                                lv.bc == "critical")
        if lv.ku != "absent":
            b = b.add_extension(_key_usage(lv.ku != "no_cert_sign"), lv.ku != "noncritical")
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(keys[i].public_key()), lv.kid_critical == "ski")
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                            lv.kid_critical == "aki")
        if lv.permitted or lv.excluded:
            b = b.add_extension(x509.NameConstraints(_subtrees(lv.permitted, imported_attrs),
                                                     _subtrees(lv.excluded, imported_attrs)), lv.nc_critical)
        if i == len(spec.levels) - 1 and spec.san:
            b = b.add_extension(x509.SubjectAlternativeName([SAN_NAMES[s] for s in spec.san]), False)
        for kind, critical in lv.extras:
            b = b.add_extension(extra_extension(kind), critical)
        cert = _sign(b, signer)
        if lv.sha1 and not isinstance(signer, ed25519.Ed25519PrivateKey):
            cert = resign_sha1(cert, signer)
        if lv.signature == "flip":
            cert = flip_signature(cert)
        certs.append(cert)
    built = Built(spec, certs, keys)
    built.ee = _end_entity(imported_attrs, keys[-1])
    built.chain = _chain_as_sent(spec, certs)
    return built


def _end_entity(imported_attrs, issuer_key) -> x509.Certificate:
    """An end-entity certificate under the imported CA: its name sits inside the imported CA's subtree and it
    carries no alternative names, so only the constraints that concern the CAs can make it fail."""
    key = pool_key(*EE_KEY)
    subject = imported_attrs + ((NameOID.COMMON_NAME, "pca-import test leaf", _ASN1Type.UTF8String),)
    b = (x509.CertificateBuilder().subject_name(to_name(subject)).issuer_name(to_name(imported_attrs))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - dt.timedelta(hours=1)).not_valid_after(NOW + DAY)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
         .add_extension(_key_usage(False), True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False))
    return _sign(b, issuer_key)


@lru_cache(maxsize=None)
def unrelated_root() -> x509.Certificate:
    key = pool_key(*UNRELATED_KEYS[0])
    attrs = ((NameOID.COMMON_NAME, "Unrelated Root", _ASN1Type.UTF8String),)
    b = (x509.CertificateBuilder().subject_name(to_name(attrs)).issuer_name(to_name(attrs))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - 10 * DAY).not_valid_after(NOW + 3000 * DAY)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
         .add_extension(_key_usage(True), True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False))
    return _sign(b, key)


@lru_cache(maxsize=None)
def unrelated_sub() -> x509.Certificate:
    key, root_key = pool_key(*UNRELATED_KEYS[1]), pool_key(*UNRELATED_KEYS[0])
    b = (x509.CertificateBuilder().subject_name(to_name(((NameOID.COMMON_NAME, "Unrelated Sub", _ASN1Type.UTF8String),)))
         .issuer_name(unrelated_root().subject)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - 10 * DAY).not_valid_after(NOW + 2000 * DAY)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
         .add_extension(_key_usage(True), True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False))
    return _sign(b, root_key)


def _chain_as_sent(spec: HierarchySpec, certs: list[x509.Certificate]) -> list[x509.Certificate]:
    if spec.is_root_import:
        return []
    chain = list(reversed(certs[:-1]))            # issuer first, root last
    if spec.omit_root:
        chain = chain[:-1]
    if spec.order == "reversed":
        chain.reverse()
    elif spec.order == "shuffled":
        random.Random(spec.shuffle_seed).shuffle(chain)
    rng = random.Random(spec.shuffle_seed + 1)
    for extra in spec.extras:
        if extra == "unrelated_root":
            cert = unrelated_root()
        elif extra == "unrelated_sub":
            cert = unrelated_sub()
        elif extra == "duplicate" and chain:
            cert = rng.choice(chain)
        elif extra == "imported_copy":
            cert = certs[-1]
        else:
            continue
        chain.insert(rng.randrange(len(chain) + 1), cert)
    return chain


def clean(depth: int, key: str = "p256") -> HierarchySpec:
    """A hierarchy every validator accepts: `depth` CAs, critical BC and KU, nested validity."""
    return HierarchySpec(levels=tuple(LevelSpec(key=key) for _ in range(depth)))


def with_level(spec: HierarchySpec, i: int, **changes) -> HierarchySpec:
    levels = list(spec.levels)
    levels[i] = replace(levels[i], **changes)
    return replace(spec, levels=tuple(levels))
