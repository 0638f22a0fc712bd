"""Hierarchy rules: root vs subordinate, what the chain holds, its order, path length and depth."""
from __future__ import annotations

from cryptography import x509

from ..facts import ROOT, SUBORDINATE, CertInfo, Facts, short_name, signed_by
from .registry import ERROR, rule

MAX_DEPTH = 5


@rule("ROOT001", ERROR, "Only a self-signed certificate can be imported as a root",
      "Only a self-signed certificate can be imported as a root CA.", needs=("certificate",))
def root_is_self_signed(f: Facts):
    c = f.certificate
    if f.ca_type != ROOT or c.self_signed:
        return
    if c.self_issued:
        yield None, (f"{c.label} names itself as issuer but its own public key does not verify its signature, "
                     "so it is not self-signed: have the root CA's CSR signed by its own key "
                     "(RootCACertificate/V1 template)"), "certificate"
    else:
        yield None, (f"{c.label} is issued by {short_name(c.cert.issuer)}, so it is not self-signed and cannot be "
                     "imported into a ROOT CA: import it into a SUBORDINATE CA with its chain"), "certificate"


@rule("ROOT002", ERROR, "A root import has no chain",
      "When you import a root CA, there is no chain.", needs=("certificate",))
def root_has_no_chain(f: Facts):
    if f.ca_type == ROOT and f.chain_given and f.certificate.self_signed:
        yield None, "a root CA certificate is imported without a certificate chain: remove certificate_chain", "chain"


@rule("SUB001", ERROR, "A self-signed certificate cannot be imported as a subordinate",
      "A self-signed certificate cannot be imported as a subordinate CA.", needs=("certificate",))
def subordinate_not_self_signed(f: Facts):
    c = f.certificate
    if f.requested_type == SUBORDINATE and c.self_signed:
        yield None, (f"{c.label} is self-signed and cannot be imported into a SUBORDINATE CA: get this CA's CSR "
                     "signed by its parent CA and import that certificate"), "certificate"


@rule("SUB002", ERROR, "A subordinate import needs a chain",
      "This parameter must be supplied when you import a subordinate CA.", needs=("certificate",))
def subordinate_has_chain(f: Facts):
    if f.ca_type == SUBORDINATE and not f.chain_given:
        yield None, (f"{f.certificate.label} is a subordinate CA certificate (issued by "
                     f"{short_name(f.cert.issuer)}) and needs its certificate chain: pass the issuer's "
                     "certificate and every certificate up to the root, root last"), "chain"


@rule("CHAIN001", ERROR, "The chain does not contain the certificate being imported",
      "Your certificate chain must not include the private CA certificate that you are importing.",
      needs=("certificate",))
def chain_excludes_certificate(f: Facts):
    for c in f.chain:
        if c.der is not None and c.der == f.certificate.der:
            yield None, (f"{c.location} is the certificate being imported: remove it from the chain "
                         "(the chain holds only its issuers)"), c.location


@rule("CHAIN004", ERROR, "No certificate appears twice in the chain",
      "Each certificate in the chain signs the one preceding.", needs=("chain",))
def chain_no_duplicates(f: Facts):
    first: dict[bytes, str] = {}
    for c in f.chain:
        if c.der in first:
            yield None, f"{c.label} repeats {first[c.der]}: remove the duplicate", c.location
        else:
            first[c.der] = c.location


class OrderAnalysis:
    """The chain as given, the broken links, and — when one exists — an order that would work."""

    def __init__(self, f: Facts):
        self.f = f
        seen, chain = {f.certificate.der}, []
        for c in f.chain:  # duplicates and the certificate itself are reported by their own rules
            if c.der not in seen:
                seen.add(c.der)
                chain.append(c)
        path = [f.certificate] + chain
        self.broken = [i for i in range(len(path) - 1) if not signed_by(path[i], path[i + 1])]
        self.path = path
        self.working_order: list[CertInfo] | None = None
        self.extras: list[CertInfo] = []
        if self.broken:
            self.working_order, self.extras = self._find_order(chain)

    def _find_order(self, chain: list[CertInfo]) -> tuple[list[CertInfo] | None, list[CertInfo]]:
        """Walk issuer links from the certificate up to a self-signed root using the chain's certificates.

        Returns the working order and the certificates it did not need, or (None, []) when no root is reached."""
        current, remaining, order = self.f.certificate, list(chain), []
        while remaining and not (order and current.self_signed):
            nxt = next((c for c in remaining if c.subject == current.issuer and signed_by(current, c)), None)
            if nxt is None:
                return None, []
            order.append(nxt)
            remaining.remove(nxt)
            current = nxt
        return (order, remaining) if current.self_signed else (None, [])

    @property
    def effective_path(self) -> list[CertInfo]:
        if self.working_order is not None:
            return [self.f.certificate] + self.working_order
        return self.path


def order_analysis(f: Facts) -> OrderAnalysis:
    if "_order" not in f.__dict__:
        f.__dict__["_order"] = OrderAnalysis(f)
    return f.__dict__["_order"]


def _describe_broken_link(child: CertInfo, parent: CertInfo, chain: list[CertInfo]) -> str:
    if child.issuer != parent.subject:
        issuer = short_name(child.cert.issuer)
        present = [c for c in chain if c.subject == child.issuer]
        where = (f"; {present[0].location} has that name" if present else
                 f"; no certificate named {issuer} is in the chain — add it")
        return (f"{child.label} is not signed by {parent.label}: it was issued by {issuer}{where}")
    return (f"{child.label} is not signed by {parent.label}: the names match but {parent.location}'s key does "
            "not verify the signature (a re-keyed or different issuer certificate?) — use the certificate of "
            "the key that signed it")


@rule("CHAIN002", ERROR, "The chain is in order: issuer first, root last",
      "Your root CA must be the last certificate in your chain. The subordinate certificate, if any, that your "
      "root CA signed must be next to last. The subordinate certificate signed by the preceding subordinate CA "
      "must come next, and so on until your chain is built.", needs=("certificate", "chain"))
def chain_order(f: Facts):
    a = order_analysis(f)
    if not a.broken:
        return
    if a.working_order is not None:
        order = ", ".join(c.label for c in a.working_order)
        in_order = [c for c in a.path[1:] if c not in a.extras] == a.working_order
        for c in a.extras:
            yield None, (f"{c.label} is not on the path from the certificate to its root: remove it "
                         f"(the chain that works: {order})"), c.location
        if not in_order:
            yield None, (f"the chain is out of order; this order would work: {order} (the certificate's issuer "
                         "first, the root last)"), "chain"
        return
    for i in a.broken:
        yield None, _describe_broken_link(a.path[i], a.path[i + 1], a.path[1:]), a.path[i].location


@rule("CHAIN003", ERROR, "The chain ends with a self-signed root",
      "Your root CA must be the last certificate in your chain.", needs=("certificate", "chain"))
def chain_ends_at_root(f: Facts):
    a = order_analysis(f)
    if a.working_order is not None or len(a.path) < 2:
        return
    last = a.path[-1]
    if not last.self_signed:
        yield None, (f"the chain ends at {last.label}, which is not a self-signed root: append its issuer "
                     f"{short_name(last.cert.issuer)} and every certificate up to the root, root last"), last.location


def _bc(c: CertInfo):
    e = c.ext(x509.BasicConstraints)
    return e.value if e is not None else None


@rule("PATH001", ERROR, "Path length constraints hold along the whole path",
      "An import that would violate a pathLenConstraint in the certificate or chain fails. "
      "(AWS Private CA RFC compliance page; RFC 5280 4.2.1.9)", needs=("certificate",))
def path_length(f: Facts):
    path = order_analysis(f).effective_path if f.chain and f.chain_parsed else f.path
    constrained = [(j, bc) for j, c in enumerate(path) if j > 0
                   for bc in [_bc(c)] if bc is not None and bc.path_length is not None]
    if not constrained:
        return
    # CA certificates below path[j]: the imported CA and every non-self-issued intermediate (RFC 5280 6.1.4)
    below_at = [0]
    for j, c in enumerate(path[:-1]):
        below_at.append(below_at[-1] + (0 if j > 0 and c.self_issued else 1))
    for j, bc in constrained:
        below = below_at[j]
        c = path[j]
        if bc.path_length < below:
            yield None, (f"{c.label} allows {bc.path_length} CA level(s) below it (pathLenConstraint="
                         f"{bc.path_length}) but {below} would sit below it with this import: re-issue "
                         f"{c.location} with pathLen >= {below}, or place this CA higher in the hierarchy"), c.location


@rule("PATH002", ERROR, "At most 5 levels of CA hierarchy",
      "Hierarchies are at most 5 levels deep. (AWS Private CA: designing a CA hierarchy)", needs=("certificate",))
def depth(f: Facts):
    n = len(order_analysis(f).effective_path) if f.chain and f.chain_parsed else len(f.path)
    if n > MAX_DEPTH:
        yield None, (f"this import makes a hierarchy {n} CA levels deep (the certificate plus {n - 1} in the "
                     f"chain); AWS Private CA allows at most {MAX_DEPTH}: sign this CA higher in the hierarchy"), "chain"
