"""Chain rules: root vs subordinate, what the chain holds, its order, signatures, names, name constraints,
path length and depth. The order itself is analysed once in `pca_import.chain` (`Facts.order`)."""
from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from pca_import.core import der
from pca_import.core.facts import ROOT, SUBORDINATE, CertInfo, Facts, names_chain, short_name, signature_status
from pca_import.core.names import Budget, BudgetExhausted, ConstraintIndex, describe, subject_names
from pca_import.core.signatures import INVALID, UNSUPPORTED, algorithm_name
from pca_import.core.spec import MAX_DEPTH, UNSUPPORTED_NAME_CONSTRAINT_FORMS
from pca_import.core.rules.registry import ERROR, WARNING, rule

MAX_LINK_FINDINGS = 20  # a chain of thousands of unrelated certificates gets a summary, not thousands of lines


@rule("ROOT001", ERROR, "Only a self-signed certificate can be imported as a root",
      "Only a self-signed certificate can be imported as a root CA.", needs=("certificate",),
      source="aws-api", aws_exception='CertificateMismatchException')
def root_is_self_signed(f: Facts):
    c = f.certificate
    if f.ca_type != ROOT or c.self_signed:
        return
    if c.self_issued:
        yield None, (f"{c.label} names itself as issuer but its own public key does not verify its signature "
                     f"({algorithm_name(c.cert)}), so it is not self-signed: have the root CA's CSR signed by its own "
                     "key (RootCACertificate/V1 template)"), "certificate"
    else:
        yield None, (f"{c.label} is issued by {short_name(c.issuer)}, so it is not self-signed and cannot be "
                     "imported into a ROOT CA: import it into a SUBORDINATE CA with its chain"), "certificate"


@rule("ROOT002", ERROR, "A root import has no chain",
      "When you import a root CA, there is no chain.", needs=("certificate", "chain_known"),
      source="aws-api", aws_exception='CertificateMismatchException')
def root_has_no_chain(f: Facts):
    if f.ca_type == ROOT and f.chain_given and f.certificate.self_signed:
        yield None, "a root CA certificate is imported without a certificate chain: remove certificate_chain", "chain"


@rule("SUB001", ERROR, "A self-signed certificate cannot be imported as a subordinate",
      "A self-signed certificate cannot be imported as a subordinate CA.", needs=("certificate",),
      source="aws-api", aws_exception='CertificateMismatchException')
def subordinate_not_self_signed(f: Facts):
    c = f.certificate
    if f.requested_type == SUBORDINATE and c.self_signed:
        yield None, (f"{c.label} is self-signed and cannot be imported into a SUBORDINATE CA: get this CA's CSR "
                     "signed by its parent CA and import that certificate"), "certificate"


@rule("SUB002", ERROR, "A subordinate import needs a chain",
      "This parameter must be supplied when you import a subordinate CA.", needs=("certificate", "chain_known"),
      source="aws-api", aws_exception='CertificateMismatchException')
def subordinate_has_chain(f: Facts):
    if f.ca_type == SUBORDINATE and not f.chain_given and not f.certificate.self_signed:  # self-signed: SUB001
        yield None, (f"{f.certificate.label} is a subordinate CA certificate (issued by "
                     f"{short_name(f.certificate.issuer)}) and needs its certificate chain: pass the issuer's "
                     "certificate and every certificate up to the root, root last"), "chain"


@rule("CHAIN001", ERROR, "The chain does not contain the certificate being imported",
      "Your certificate chain must not include the private CA certificate that you are importing.",
      needs=("certificate",),
      source="aws-api", aws_exception='CertificateMismatchException')
def chain_excludes_certificate(f: Facts):
    for c in f.chain:
        if c.der is not None and c.der == f.certificate.der:
            yield None, (f"{c.location} is the certificate being imported: remove it from the chain "
                         "(the chain holds only its issuers)"), c.location


@rule("CHAIN004", ERROR, "No certificate appears twice in the chain",
      "Each certificate in the chain signs the one preceding.", needs=("chain",),
      source="aws-api", aws_exception='CertificateMismatchException')
def chain_no_duplicates(f: Facts):
    first: dict[bytes, str] = {}
    repeats = 0
    for c in f.chain:
        if c.der in first:
            repeats += 1
            if repeats <= MAX_LINK_FINDINGS:
                yield None, f"{c.label} repeats {first[c.der]}: remove the duplicate", c.location
        else:
            first[c.der] = c.location
    if repeats > MAX_LINK_FINDINGS:
        yield None, f"... and {repeats - MAX_LINK_FINDINGS} more repeated certificates: remove them", "chain"


def _root_with_chain(f: Facts) -> bool:
    """A self-signed root imported as a ROOT with a chain: ROOT002 says to remove the chain; its order is moot."""
    return f.ca_type == ROOT and f.certificate.self_signed


def _describe_broken_link(f: Facts, child: CertInfo, parent: CertInfo) -> str:
    if child.self_signed:
        return (f"{child.label} is a self-signed root, so nothing may follow it: put it last in the chain "
                "(issuer first, root last)")
    if child.self_issued and signature_status(child, child) == INVALID:
        return (f"{child.label} names itself as issuer, but its own key does not verify its "
                f"{algorithm_name(child.cert)} signature: it is a damaged or altered root — re-export the root from "
                "its source")
    if not names_chain(child, parent):
        issuer = short_name(child.issuer)
        present = [c for c in f.order.named(child.issuer_key) if c is not child]
        where = (f"; {present[0].location} has that name" if present else
                 f"; no certificate named {issuer} is in the chain — add it")
        return f"{child.label} is not signed by {parent.label}: it was issued by {issuer}{where}"
    if parent.public_key is None:
        return (f"{child.label} names {parent.label} as its issuer, but {parent.location}'s public key cannot be read "
                f"({parent.key_error}): re-export {parent.location} from its issuer")
    return (f"{child.label} is not signed by {parent.label}: the names match but {parent.location}'s key does "
            f"not verify its {algorithm_name(child.cert)} signature (a re-keyed or different issuer certificate, or "
            "a damaged signature?) — use the certificate of the key that signed it")


@rule("CHAIN002", ERROR, "The chain is in order: issuer first, root last",
      "Your root CA must be the last certificate in your chain. The subordinate certificate, if any, that your "
      "root CA signed must be next to last. The subordinate certificate signed by the preceding subordinate CA "
      "must come next, and so on until your chain is built.", needs=("certificate", "chain"),
      source="aws-api", aws_exception='CertificateMismatchException')
def chain_order(f: Facts):
    if _root_with_chain(f):
        return
    a = f.order
    if not a.broken:
        return
    if a.working_order is not None:
        order = ", ".join(c.label for c in a.working_order)
        for c in a.extras[:MAX_LINK_FINDINGS]:
            yield None, (f"{c.label} is not on the path from the certificate to its root: remove it "
                         f"(the chain that works: {order})"), c.location
        if len(a.extras) > MAX_LINK_FINDINGS:
            yield None, (f"... and {len(a.extras) - MAX_LINK_FINDINGS} more certificates not on the path: keep only "
                         f"{order}"), "chain"
        if not a.in_order:
            yield None, (f"the chain is out of order; this order would work: {order} (the certificate's issuer "
                         "first, the root last)"), "chain"
        return
    for i in a.broken[:MAX_LINK_FINDINGS]:
        yield None, _describe_broken_link(f, a.path[i], a.path[i + 1]), a.path[i].location
    if len(a.broken) > MAX_LINK_FINDINGS:
        yield None, (f"... and {len(a.broken) - MAX_LINK_FINDINGS} more broken links: the chain must hold only the "
                     "certificate's issuers, issuer first, root last"), "chain"


@rule("CHAIN003", ERROR, "The chain ends with a self-signed root",
      "Your root CA must be the last certificate in your chain.", needs=("certificate", "chain"),
      source="aws-api", aws_exception='CertificateMismatchException')
def chain_ends_at_root(f: Facts):
    if _root_with_chain(f):
        return
    a = f.order
    if (a.broken and a.working_order is not None) or len(a.path) < 2:
        return
    last = a.path[-1]
    if not last.self_signed:
        if last.self_issued and signature_status(last, last) == INVALID:
            yield None, (f"the chain ends at {last.label}, a root whose own key does not verify its "
                         f"{algorithm_name(last.cert)} signature: it is damaged or altered — re-export the root from "
                         "its source"), last.location
            return
        yield None, (f"the chain ends at {last.label}, which is not a self-signed root (it is issued by "
                     f"{short_name(last.issuer)}): append its issuer and every certificate up to the root, root "
                     "last"), last.location


@rule("SIG001", WARNING, "No collision-weak signature (SHA-1, MD5) below the root",
      "No AWS text rejects SHA-1 in an imported chain; RFC 6194 / CA/Browser Forum: SHA-1 and MD5 signatures are "
      "collision-weak, and relying parties increasingly refuse them.", needs=("certificate",),
      source="operational", aws_exception=None)
def weak_signature(f: Facts):
    for c in f.parsed_path:
        if c.weak_signature and not c.self_signed:  # a trust anchor's own signature is never checked
            yield None, (f"{c.label} is signed with {c.weak_signature}: AWS accepts it, but clients that refuse "
                         "SHA-1/MD5 (browsers, OpenSSL at security level 2+) will not build paths through it — "
                         "re-issue it with SHA-256 or stronger when you can"), c.location


@rule("SIG002", WARNING, "Every signature on the path could be checked",
      "Operational: pca-import verifies each link's signature with the issuer's public key.", needs=("certificate",),
      source="operational", aws_exception=None)
def unverifiable_signature(f: Facts):
    path = f.issuer_path or []
    for child, parent in zip(path, path[1:] + ([path[-1]] if path and path[-1].self_issued else [])):
        if names_chain(child, parent) and signature_status(child, parent) == UNSUPPORTED:
            yield None, (f"pca-import cannot check the {algorithm_name(child.cert)} signature of {child.label} with "
                         f"{parent.label}'s key: the link is chained by name only, AWS will verify it"), child.location


@rule("NAME001", WARNING, "Issuer and subject names are encoded identically",
      "RFC 5280 4.1.2.6: a CA MUST encode its subject name in the issuer field of the certificates it issues "
      "exactly as in its own certificate; 7.1 lets validators match case and whitespace variants.",
      needs=("certificate",),
      source="rfc5280", aws_exception=None)
def name_encoding(f: Facts):
    path = f.issuer_path or []
    pairs = list(zip(path, path[1:]))
    if path and path[-1].self_issued:
        pairs.append((path[-1], path[-1]))  # a root's issuer field against its own subject
    for child, parent in pairs:
        if child.issuer.public_bytes() == parent.subject.public_bytes():
            continue
        a, b = child.issuer.rfc4514_string(), parent.subject.rfc4514_string()
        how = ("the same text in another ASN.1 string type (e.g. PrintableString vs UTF8String)" if a == b else
               "letter case" if a.casefold() == b.casefold() else "spacing")
        whose = "its own subject" if child is parent else f"{parent.label}'s subject"
        yield None, (f"{child.label} names its issuer {a!r}, which matches {whose} {b!r} only under RFC 5280 7.1 "
                     f"({how} differs): strict clients may not chain them — re-issue {child.location} with the "
                     f"issuer name copied byte for byte"), child.location




class _NcCheck:
    """The name constraints of the path checked once, for NC001, NC003 and NC004 (see `_name_constraint_check`)."""

    def __init__(self) -> None:
        self.violations: list[tuple[CertInfo, CertInfo, str]] = []   # (certificate below, constraining CA, text)
        self.exempt: list[tuple[CertInfo, CertInfo, str]] = []       # the same, for a self-issued imported CA
        self.budget = Budget()
        self.stopped: tuple[CertInfo, CertInfo, int, int] | None = None  # (below, CA, names checked, names there)


def _name_constraint_check(f: Facts) -> _NcCheck:
    """Every name of every certificate of the path against the name constraints of every CA above it, through one
    index per extension, counting comparisons; stops at `names.MAX_CONSTRAINT_COMPARISONS` (NC003 says so)."""
    cached = f.__dict__.get("_nc_check")
    if cached is not None:
        return cached
    out = f.__dict__["_nc_check"] = _NcCheck()
    path = f.issuer_path
    if not path:
        return out
    path = path[:MAX_DEPTH * 3]  # longer paths are refused by PATH002; do not let them cost quadratic time
    names_of: dict[int, list] = {}
    for j in range(1, len(path)):
        ca = path[j]
        e = ca.ext(x509.NameConstraints)
        if e is None:
            continue
        index = ConstraintIndex(e.value)
        for i in range(j - 1, -1, -1):
            below = path[i]
            # RFC 5280 6.1.3 (b): a self-issued certificate is skipped unless it is the last of the path. The
            # imported CA is never last (it issues certificates, as PATH001 counts it); NC004 warns when that
            # exemption is what lets it through, because a validator that ends the path there rejects it.
            into = out.exempt if below.self_issued else out.violations
            if below.self_issued and i != 0:
                continue
            if i not in names_of:
                san = below.ext(x509.SubjectAlternativeName)
                names_of[i] = subject_names(below.subject, san.value if san is not None else ())
            for n, name in enumerate(names_of[i]):
                try:
                    why = index.violation(name, out.budget)
                except BudgetExhausted:
                    out.stopped = (below, ca, n, len(names_of[i]))
                    return out
                if why:
                    into.append((below, ca, f"{describe(name)}, {why}"))
    return out


@rule("NC001", ERROR, "Name constraints of the chain hold for every certificate below them",
      "AWS Private CA enforces DNS, email (rfc822), URI, IP address and directory-name constraints in an imported "
      "chain; RFC 5280 6.1.3 (b)(c): every name of a certificate below must be within the permitted and outside "
      "the excluded subtrees.", needs=("certificate",),
      source="aws-guide", aws_exception='CertificateMismatchException')
def name_constraints_hold(f: Facts):
    shown: dict[tuple[int, int], int] = {}
    for below, ca, what in _name_constraint_check(f).violations:
        pair = (id(below), id(ca))
        shown[pair] = shown.get(pair, 0) + 1
        if shown[pair] <= MAX_LINK_FINDINGS:
            yield None, (f"{below.label} has {what} in the name constraints of {ca.label}: re-issue {below.location} "
                         f"with names inside those constraints, or {ca.location} with constraints that allow them"), \
                below.location
    for (below_id, ca_id), n in shown.items():
        if n > MAX_LINK_FINDINGS:
            below = next(b for b, c, _ in _name_constraint_check(f).violations if id(b) == below_id)
            ca = next(c for b, c, _ in _name_constraint_check(f).violations if id(c) == ca_id)
            yield None, (f"... and {n - MAX_LINK_FINDINGS} more names of {below.label} outside the name constraints "
                         f"of {ca.label}"), below.location


@rule("NC003", WARNING, "Name-constraint checking finished within its bound",
      "RFC 5280 6.1.3 (b)(c) compares every name below with every subtree; pca-import bounds that work at "
      "250,000 comparisons, as Go's crypto/x509 does (VerifyOptions.MaxConstraintComparisions).",
      needs=("certificate",), source="operational", aws_exception=None)
def name_constraints_bounded(f: Facts):
    check = _name_constraint_check(f)
    if check.stopped is None:
        return
    below, ca, done, total = check.stopped
    yield None, (f"name constraints were not fully checked: pca-import stopped after {check.budget.limit:,} "
                 f"comparisons, at name {done + 1} of {total} of {below.label} against the constraints of {ca.label}; "
                 "the names after it were not checked (NC001 reports only what was checked) and AWS checks them "
                 "at import (Go's crypto/x509 bounds the same work at 250,000 comparisons by default) — fewer names "
                 f"in {below.location} or fewer subtrees in {ca.location} let pca-import check them all"), below.location


@rule("NC004", WARNING, "A self-issued imported CA is outside its issuers' name constraints",
      "RFC 5280 6.1.3 (b): \"If certificate i is self-issued and it is not the final certificate in the path, skip "
      "this step for certificate i.\" The imported CA is not final (it issues certificates), so NC001 exempts it.",
      needs=("certificate",), source="rfc5280", aws_exception=None)
def self_issued_outside_constraints(f: Facts):
    for below, ca, what in _name_constraint_check(f).exempt[:MAX_LINK_FINDINGS]:
        yield None, (f"{below.label} is self-issued and has {what} in the name constraints of {ca.label}: RFC 5280 "
                     "exempts a self-issued CA that is not the end of the path, so the certificates it issues "
                     "validate, but `openssl verify` of this certificate itself (the path ending here) fails — re-issue "
                     f"{below.location} with names inside those constraints to be safe with both"), below.location


@rule("NC002", ERROR, "No name-constraint form AWS Private CA does not support",
      "AWS Private CA does not support name constraints on the otherName, x400Address, ediPartyName or "
      "registeredID forms in an imported CA certificate or chain.", needs=("certificate",),
      source="aws-guide", aws_exception='MalformedCertificateException')
def name_constraint_forms(f: Facts):
    nc_oid = ExtensionOID.NAME_CONSTRAINTS.dotted_string
    for c in f.parsed_path:
        e = c.ext(x509.NameConstraints)
        if e is None and c.extension_error is None:
            continue  # read the DER only where cryptography could not read the extensions
        if e is not None:  # cryptography read them: x400Address and ediPartyName would have made that fail
            bad = sorted({f"{kind} {_FORM_NAMES[type(g)]}" for kind, subtrees in
                          (("permitted", e.value.permitted_subtrees), ("excluded", e.value.excluded_subtrees))
                          for g in subtrees or () if type(g) in _FORM_NAMES})
            if bad:
                yield None, _unsupported_forms_message(c, bad), c.location
            continue
        for oid, _critical, value in c.raw_extensions or ():
            if oid != nc_oid:
                continue
            try:
                forms = der.name_constraint_forms(value)
            except der.DerError:
                continue  # unreadable: ENC007 reports the extensions
            bad = sorted({f"{kind} {form}" for kind, form in forms if form in UNSUPPORTED_NAME_CONSTRAINT_FORMS})
            if bad:
                yield None, _unsupported_forms_message(c, bad), c.location


_FORM_NAMES = {x509.OtherName: "otherName", x509.RegisteredID: "registeredID"}  # the unsupported forms it can read


def _unsupported_forms_message(c: CertInfo, bad: list[str]) -> str:
    return (f"{c.label} has name constraints on {', '.join(bad)}, which AWS Private CA does not support: re-issue "
            "it with DNS, email, URI, IP address or directory-name constraints only")


def _bc(c: CertInfo):
    e = c.ext(x509.BasicConstraints)
    return e.value if e is not None else None


@rule("PATH001", ERROR, "Path length constraints hold along the whole path",
      "An import that would violate a pathLenConstraint in the certificate or chain fails. "
      "(AWS Private CA RFC compliance page; RFC 5280 4.2.1.9, 6.1.4 (l): self-issued certificates do not count)",
      needs=("certificate",),
      source="aws-guide", aws_exception='CertificateMismatchException')
def path_length(f: Facts):
    path = f.issuer_path
    if not path:  # no working order: CHAIN002/CHAIN003 say what is wrong; counting levels would mislead
        return
    # CA certificates below path[j] that count: the imported CA (it issues certificates) and every intermediate,
    # except self-issued ones (RFC 5280 6.1.4 (l)).
    below_at = [0]
    for c in path[:-1]:
        below_at.append(below_at[-1] + (0 if c.self_issued else 1))
    for j in range(1, len(path)):
        bc = _bc(path[j])
        if bc is None or bc.path_length is None:
            continue
        below, c = below_at[j], path[j]
        if bc.path_length < below:
            yield None, (f"{c.label} allows {bc.path_length} CA level(s) below it (pathLenConstraint="
                         f"{bc.path_length}) but {below} would sit below it with this import: re-issue "
                         f"{c.location} with pathLen >= {below}, or place this CA higher in the hierarchy"), c.location


@rule("PATH002", ERROR, "At most 5 levels of CA hierarchy",
      "Hierarchies are at most 5 levels deep. (AWS Private CA: designing a CA hierarchy)", needs=("certificate",),
      source="aws-guide", aws_exception='CertificateMismatchException')
def depth(f: Facts):
    path = f.issuer_path
    if not path:
        return
    n = len(path)
    if n > MAX_DEPTH:
        yield None, (f"this import makes a hierarchy {n} CA levels deep (the certificate plus {n - 1} in the "
                     f"chain); AWS Private CA allows at most {MAX_DEPTH}: sign this CA higher in the hierarchy"), "chain"
