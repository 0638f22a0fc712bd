"""Chain-order analysis: the links as given, the broken ones, and an order that works when there is one.

Pure and near-linear in the number of certificates: issuers are looked up in an index by subject name
(RFC 5280 §7.1), narrowed by key identifier, so a chain of thousands of certificates costs one signature check
per link tried, never every pair.
"""
from __future__ import annotations

from collections import defaultdict

from cryptography import x509

from typing import TYPE_CHECKING

from pca_import.core.certinfo import CertInfo, signed_by

if TYPE_CHECKING:
    from pca_import.core.facts import Facts

MAX_CANDIDATES = 32   # issuer candidates tried per link (same name and key id): more is an attack, not a chain


def _key_ids(c: CertInfo) -> tuple[bytes | None, bytes | None]:
    aki = c.ext(x509.AuthorityKeyIdentifier)
    ski = c.ext(x509.SubjectKeyIdentifier)
    return (aki.value.key_identifier if aki is not None else None,
            ski.value.digest if ski is not None else None)


class ChainOrder:
    """The imported certificate and its chain: broken links as given, the working order and the extras."""

    def __init__(self, f: Facts):
        cert = f.certificate
        seen, chain = {cert.der}, []
        for c in f.chain:  # duplicates and the certificate itself are reported by their own rules
            if c.der not in seen:
                seen.add(c.der)
                chain.append(c)
        self.certificate = cert
        self.chain = chain
        self.path = [cert] + chain                      # as given
        self.by_subject: dict = defaultdict(list)
        for c in chain:
            if c.cert is not None:
                self.by_subject[c.subject_key].append(c)
        self.broken = [i for i in range(len(self.path) - 1) if not signed_by(self.path[i], self.path[i + 1])]
        self.working_order: list[CertInfo] | None = None
        self.extras: list[CertInfo] = []
        if not self.broken:
            self.working_order = chain
        elif all(c.cert is not None for c in chain):
            self.working_order, self.extras = self._find_order()

    def issuer_of(self, child: CertInfo, used: set[int] | None = None) -> CertInfo | None:
        """A chain certificate that names and signs `child` (key identifiers narrow the candidates first)."""
        aki, _ = _key_ids(child)
        tried = 0
        candidates = self.by_subject.get(child.issuer_key, ())
        if aki is not None and len(candidates) > 1:
            candidates = sorted(candidates, key=lambda c: _key_ids(c)[1] != aki)
        for c in candidates:
            if used is not None and id(c) in used:
                continue
            if tried >= MAX_CANDIDATES:
                break
            tried += 1
            if signed_by(child, c):
                return c
        return None

    def _find_order(self) -> tuple[list[CertInfo] | None, list[CertInfo]]:
        """Walk issuer links from the certificate up to a self-signed root using the chain's certificates."""
        current, order, used = self.certificate, [], {id(self.certificate)}
        while not (order and current.self_signed):  # each step uses up a chain certificate: at most n steps
            nxt = self.issuer_of(current, used)
            if nxt is None:
                break
            order.append(nxt)
            used.add(id(nxt))
            current = nxt
        if not order or not current.self_signed:
            return None, []
        return order, [c for c in self.chain if id(c) not in used]

    @property
    def in_order(self) -> bool:
        return self.working_order is not None and [c for c in self.chain if c not in self.extras] == self.working_order

    @property
    def issuer_path(self) -> list[CertInfo] | None:
        return None if self.working_order is None else [self.certificate] + self.working_order

    def named(self, name_key) -> list[CertInfo]:
        return self.by_subject.get(name_key, [])
