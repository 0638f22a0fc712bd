"""Names as RFC 5280 compares them: distinguished-name matching (§7.1) and name constraints (§4.2.1.10).

Pure functions over cryptography's `x509.Name` and `GeneralName` objects.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Iterable

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


# ---- name constraints at scale: an index per extension, and a bound on the work --------------------------------
#
# `violation` compares a name with every subtree: names x constraints comparisons (2,048 names below 4,100 subtrees
# took 6.8 s). `ConstraintIndex` answers the same question with a few set look-ups per name (one per label of a
# host, per prefix length of an address, per RDN of a directory name), whatever the number of subtrees. Every
# look-up counts as one comparison against a `Budget` (a long key as one per 256 characters, or 16 RDNs, since
# hashing it costs its length), and so does each name; past the budget the check stops (Go's crypto/x509 stops at
# 250,000 comparisons by default, `VerifyOptions.MaxConstraintComparisions`).

MAX_CONSTRAINT_COMPARISONS = 250_000


class BudgetExhausted(Exception):
    """The name-constraint check reached its bound of comparisons."""


class Budget:
    """Counts comparisons; raises BudgetExhausted when `limit` would be passed."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int = MAX_CONSTRAINT_COMPARISONS) -> None:
        self.limit, self.used = limit, 0

    def spend(self, n: int = 1) -> None:
        if self.used + n > self.limit:
            raise BudgetExhausted()
        self.used += n


def _dot_suffixes(host: str) -> Iterable[tuple[str, str]]:
    """(".b.c", "b.c") for every dot of `host` (`a.b.c` -> (".b.c", "b.c"), (".c", "c"))."""
    i = host.find(".")
    while i >= 0:
        yield host[i:], host[i + 1:]
        i = host.find(".", i + 1)


class _Subtrees:
    """The subtrees of one kind (permitted or excluded) of one extension, keyed for look-up.

    Each key maps to the position of the first subtree with that key, so a match names the same subtree `violation`
    names (the first in the extension's order)."""

    def __init__(self, subtrees) -> None:
        self.subtrees = list(subtrees or ())
        self.forms: dict[type, list[x509.GeneralName]] = {}
        self.dns_all: int | None = None                 # an empty dNSName constraint: every host
        self.dns_dot: dict[str, int] = {}                # ".example.com": hosts below it
        self.dns_plain: dict[str, int] = {}              # "example.com": it and hosts below it
        self.mail_box: dict[str, int] = {}               # "a@example.com"
        self.mail_dot: dict[str, int] = {}
        self.mail_host: dict[str, int] = {}
        self.uri_dot: dict[str, int] = {}
        self.uri_host: dict[str, int] = {}
        self.ip: dict[tuple[int, int], dict[int, int]] = {}   # (version, prefix length) -> network address -> pos
        self.dirs: dict[tuple, int] = {}
        for pos, s in enumerate(self.subtrees):
            self.forms.setdefault(type(s), []).append(s)
            v: Any = getattr(s, "value", None)
            if isinstance(s, x509.DNSName):
                c = v.rstrip(".").lower()
                if not c:
                    self.dns_all = pos if self.dns_all is None else self.dns_all
                else:
                    (self.dns_dot if c.startswith(".") else self.dns_plain).setdefault(c, pos)
            elif isinstance(s, x509.RFC822Name):
                c = v.lower()
                target = self.mail_box if "@" in c else self.mail_dot if c.startswith(".") else self.mail_host
                target.setdefault(c, pos)
            elif isinstance(s, x509.UniformResourceIdentifier):
                c = v.lower()
                (self.uri_dot if c.startswith(".") else self.uri_host).setdefault(c, pos)
            elif isinstance(s, x509.IPAddress) and isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                self.ip.setdefault((v.version, v.prefixlen), {}).setdefault(int(v.network_address), pos)
            elif isinstance(s, x509.DirectoryName):
                self.dirs.setdefault(name_key(v), pos)

    def match(self, name: x509.GeneralName, budget: Budget) -> int | None:
        """The position of the first subtree `name` is within (as `general_name_within` decides), or None."""
        hits: list[int] = []

        def look(table: dict, key) -> None:
            # hashing a key costs its length: a 25,000-character host of 12,500 labels counts for what it costs
            budget.spend(1 + len(key) // (256 if isinstance(key, str) else 16) if not isinstance(key, int) else 1)
            pos = table.get(key)
            if pos is not None:
                hits.append(pos)

        if isinstance(name, x509.DNSName):
            if self.dns_all is not None:
                hits.append(self.dns_all)
            if self.dns_dot or self.dns_plain:
                host = name.value.lower()
                look(self.dns_plain, host)
                for dotted, plain in _dot_suffixes(host):
                    look(self.dns_dot, dotted)
                    look(self.dns_plain, plain)
        elif isinstance(name, x509.RFC822Name):
            if self.mail_box or self.mail_dot or self.mail_host:
                look(self.mail_box, name.value.lower())
                host = name.value.rpartition("@")[2].lower()
                look(self.mail_host, host)
                for dotted, _plain in _dot_suffixes(host):
                    look(self.mail_dot, dotted)
        elif isinstance(name, x509.UniformResourceIdentifier):
            if self.uri_dot or self.uri_host:
                uri_host = _uri_host(name.value)
                if uri_host is not None:
                    look(self.uri_host, uri_host)
                    for dotted, _plain in _dot_suffixes(uri_host):
                        look(self.uri_dot, dotted)
        elif isinstance(name, x509.IPAddress):
            addr = name.value
            if isinstance(addr, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
                bits = addr.max_prefixlen
                for (version, length), table in self.ip.items():
                    if version == addr.version:
                        look(table, int(addr) >> (bits - length) << (bits - length))
        elif isinstance(name, x509.DirectoryName):
            if self.dirs:
                key = name_key(name.value)
                for n in range(len(key) + 1):
                    look(self.dirs, key[:n])
        return min(hits) if hits else None


MAX_LISTED_SUBTREES = 5


class ConstraintIndex:
    """One NameConstraints extension, ready to judge many names in a few look-ups each (same verdicts and
    reasons as `violation`)."""

    def __init__(self, nc: x509.NameConstraints) -> None:
        self.excluded = _Subtrees(nc.excluded_subtrees)
        self.permitted = _Subtrees(nc.permitted_subtrees)

    def violation(self, name: x509.GeneralName, budget: Budget) -> str | None:
        budget.spend()  # the name itself: even a name no subtree concerns costs a step
        loose = _without_trailing_dot(name)
        hits = [p for p in (self.excluded.match(name, budget),
                            self.excluded.match(loose, budget) if loose is not name else None) if p is not None]
        if hits:
            return f"excluded by {describe(self.excluded.subtrees[min(hits)])}"
        permitted = self.permitted.forms.get(type(name))
        if permitted and self.permitted.match(name, budget) is None:
            shown = ", ".join(describe(s) for s in permitted[:MAX_LISTED_SUBTREES])
            more = len(permitted) - MAX_LISTED_SUBTREES
            return "outside the permitted " + shown + (f" (and {more} more)" if more > 0 else "")
        return None
