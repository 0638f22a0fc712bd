"""Names as RFC 5280 compares them: distinguished-name matching (§7.1) and name constraints (§4.2.1.10).

Pure functions over cryptography's `x509.Name` and `GeneralName` objects.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

NameKey = tuple  # tuple of frozensets of (OID, normalised value): one per RDN


def _norm(value) -> object:
    """RFC 5280 §7.1 (via RFC 4518): case-insensitive, leading/trailing space removed, inner runs of space
    collapsed. The ASN.1 string type (PrintableString, UTF8String) does not matter."""
    if isinstance(value, str):
        return " ".join(value.casefold().split())
    return bytes(value)


def name_key(name: x509.Name) -> NameKey:
    """What two names must share to match under RFC 5280 §7.1."""
    return tuple(frozenset((a.oid.dotted_string, _norm(a.value)) for a in rdn) for rdn in name.rdns)


def name_within(name: NameKey, subtree: NameKey) -> bool:
    """directoryName constraint: `subtree` is a prefix of `name` (RFC 5280 §4.2.1.10)."""
    return len(subtree) <= len(name) and name[:len(subtree)] == subtree


def _dns_within(host: str, constraint: str) -> bool:
    host, constraint = host.lower(), constraint.rstrip(".").lower()
    if not constraint:
        return True
    if constraint.startswith("."):
        return host.endswith(constraint)
    return host == constraint or host.endswith("." + constraint)


def _email_within(mailbox: str, constraint: str) -> bool:
    constraint = constraint.lower()
    if "@" in constraint:
        return mailbox.lower() == constraint
    host = mailbox.rpartition("@")[2].lower()
    if constraint.startswith("."):
        return host.endswith(constraint)
    return host == constraint


def _uri_host(uri: str) -> str | None:
    from urllib.parse import urlsplit
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return None
    return host or None


def _uri_within(uri: str, constraint: str) -> bool:
    host = _uri_host(uri)
    if host is None:
        return False
    constraint = constraint.lower()
    if constraint.startswith("."):
        return host.endswith(constraint)
    return host == constraint


def _ip_within(addr, network) -> bool:
    return addr.version == network.version and addr in network


def general_name_within(name: x509.GeneralName, constraint: x509.GeneralName) -> bool | None:
    """True/False when `constraint` has the form of `name`; None when it constrains another form."""
    if type(name) is not type(constraint):
        return None
    if isinstance(name, x509.DNSName):
        return _dns_within(name.value, constraint.value)
    if isinstance(name, x509.RFC822Name):
        return _email_within(name.value, constraint.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        return _uri_within(name.value, constraint.value)
    if isinstance(name, x509.IPAddress):
        net = constraint.value
        if not isinstance(net, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return False
        return _ip_within(name.value, net)
    if isinstance(name, x509.DirectoryName):
        return name_within(name_key(name.value), name_key(constraint.value))
    return None


def subject_names(subject: x509.Name, san: Iterable[x509.GeneralName]) -> list[x509.GeneralName]:
    """The names a certificate's name constraints apply to: its subject DN (when not empty), its SAN entries,
    and — when there is no SAN email — emailAddress attributes of the subject DN (RFC 5280 §4.2.1.10)."""
    names: list[x509.GeneralName] = []
    if subject.rdns:
        names.append(x509.DirectoryName(subject))
    san = list(san)
    names.extend(n for n in san if isinstance(n, (x509.DNSName, x509.RFC822Name, x509.UniformResourceIdentifier,
                                                  x509.IPAddress, x509.DirectoryName)))
    if not any(isinstance(n, x509.RFC822Name) for n in san):
        for a in subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
            if isinstance(a.value, str):
                names.append(x509.RFC822Name(a.value))
    return names


def describe(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DirectoryName):  # in X.500 order, as a prefix match reads it
        return "directoryName " + ("".join(f"/{rdn.rfc4514_string()}" for rdn in name.value.rdns) or "<empty>")
    kind = {x509.DNSName: "dNSName", x509.RFC822Name: "rfc822Name", x509.UniformResourceIdentifier: "URI",
            x509.IPAddress: "iPAddress", x509.RegisteredID: "registeredID", x509.OtherName: "otherName"}
    value = getattr(name, "value", name)
    if isinstance(value, x509.ObjectIdentifier):
        value = value.dotted_string
    return f"{kind.get(type(name), type(name).__name__)} {value}"


def _without_trailing_dot(name: x509.GeneralName) -> x509.GeneralName:
    """`a.example.com.` (a fully qualified form RFC 5280's preferred syntax does not allow) as `a.example.com`."""
    if isinstance(name, x509.DNSName) and name.value.endswith("."):
        return x509.DNSName(name.value.rstrip("."))
    if isinstance(name, x509.UniformResourceIdentifier):
        host = _uri_host(name.value)
        if host and host.endswith("."):
            return x509.UniformResourceIdentifier(name.value.replace(host, host.rstrip("."), 1))
    return name


def violation(name: x509.GeneralName, nc: x509.NameConstraints) -> str | None:
    """Why `name` breaks these constraints (excluded first, then permitted), or None.

    Read strictly both ways: a trailing-dot name is excluded when its dotless form is, and permitted only as
    written (openssl refuses `a.example.com.` under a permitted `example.com`)."""
    loose = _without_trailing_dot(name)
    for sub in nc.excluded_subtrees or ():
        if general_name_within(name, sub) or general_name_within(loose, sub):
            return f"excluded by {describe(sub)}"
    permitted = [s for s in (nc.permitted_subtrees or ()) if type(s) is type(name)]
    if permitted and not any(general_name_within(name, s) for s in permitted):
        return "outside the permitted " + ", ".join(describe(s) for s in permitted)
    return None
