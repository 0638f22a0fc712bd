"""Independent RFC 5280 path validators, and the documented list of where AWS Private CA differs from them.

Two validators nobody here wrote judge every generated hierarchy:

* **pyhanko-certvalidator** (RFC 5280 6.1 in Python): trust root = the hierarchy's root as an RFC 5937 trust
  anchor (its validity, CA flag, pathLen and name constraints apply; see `_anchor`); the end-entity
  certificate issued by the imported CA is validated with the imported CA and the chain as the pool of
  intermediates, so the imported CA is checked as a CA (basic constraints, keyCertSign, path length, name
  constraints). Revocation is not checked (`NO_REVOCATION`); SHA-1 is not treated as weak (no AWS text
  rejects it in an imported chain), nor RSA-1024 (key sizes are KEY004's business, on the imported CA only).
* **openssl verify** (when the binary exists) with
  `-x509_strict -check_ss_sig -auth_level 0 -no-CApath -no-CAstore -attime NOW -CAfile root -untrusted pool`:
  `-x509_strict` adds OpenSSL's RFC 5280 profile checks, `-check_ss_sig` verifies the root's self-signature
  (off by default), `-auth_level 0` lets SHA-1 signatures through (the default level refuses them),
  `-no-CApath -no-CAstore` keep the machine's trust store out, `-attime` fixes the time.

`classify` explains each disagreement with pca-import by a DIFFERENCE from the documented list below, or
returns None: an unexplained disagreement (a bug on one side).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from pki_gen import NOW, NOW_EPOCH, Built, der, pem, pems

OPENSSL = shutil.which("openssl")
OPENSSL_FLAGS = ["-x509_strict", "-check_ss_sig", "-auth_level", "0", "-no-CApath", "-no-CAstore",
                 "-attime", str(NOW_EPOCH)]


@dataclass(frozen=True)
class Verdict:
    ok: bool | None        # None: the validator cannot judge this input (an unsupported feature)
    reason: str = ""


# ---- pyhanko-certvalidator ----------------------------------------------------------------------------

def _anchor(root_der: bytes):
    """The root as an RFC 5937 trust anchor: its pathLen, name constraints and validity apply to the path.

    pyhanko's own `derive_default_quals_from_cert` is not used: it leaves the name types a root does not
    constrain with an empty permitted set (rejecting every directory name below a DNS-only constraint), fails
    with KeyError on an excluded-only constraint, and turns any certificatePolicies into an explicit-policy
    requirement. Built here the RFC way: unconstrained name types get the universal subtree."""
    from asn1crypto import x509 as ax
    from pyhanko_certvalidator.authority import CertTrustAnchor, TrustedServiceType, TrustQualifiers
    from pyhanko_certvalidator.name_trees import GeneralNameType, NameSubtree, process_general_subtrees
    from pyhanko_certvalidator.policy_decl import PKIXValidationParams
    cert = ax.Certificate.load(root_der)
    params = None
    nc = cert.name_constraints_value
    if nc is not None:
        permitted = {t: {NameSubtree.universal_tree(t)} for t in GeneralNameType}
        excluded = {t: set() for t in GeneralNameType}
        if isinstance(nc["permitted_subtrees"], ax.GeneralSubtrees):
            permitted.update(process_general_subtrees(nc["permitted_subtrees"]))
        if isinstance(nc["excluded_subtrees"], ax.GeneralSubtrees):
            for t, trees in process_general_subtrees(nc["excluded_subtrees"]).items():
                excluded[t] |= trees
        params = PKIXValidationParams(initial_permitted_subtrees=permitted, initial_excluded_subtrees=excluded)
    # max_aa_path_length too: pyhanko copies it whenever max_path_length is set (None would crash it)
    quals = TrustQualifiers(standard_parameters=params, max_path_length=cert.max_path_length,
                            max_aa_path_length=cert.max_path_length,
                            valid_from=cert.not_valid_before, valid_until=cert.not_valid_after,
                            trusted_service_type=(TrustedServiceType.CERTIFICATE_AUTHORITY if cert.ca
                                                  else TrustedServiceType.UNSUPPORTED))
    return CertTrustAnchor(cert, quals=quals)


def pyhanko_verdict(b: Built) -> Verdict:
    from asn1crypto import x509 as ax
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, ValidationError
    from pyhanko_certvalidator.policy_decl import (NO_REVOCATION, CertRevTrustPolicy,
                                                   DisallowWeakAlgorithmsPolicy)
    pool = [] if b.spec.is_root_import else [b.imported] + b.chain
    try:
        vc = ValidationContext(trust_roots=[_anchor(der(b.root))], moment=NOW, allow_fetching=False,
                               revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
                               algorithm_usage_policy=DisallowWeakAlgorithmsPolicy(weak_hash_algos=frozenset(),
                                                                                   rsa_key_size_threshold=1024))
        v = CertificateValidator(ax.Certificate.load(der(b.ee)), [ax.Certificate.load(der(c)) for c in pool], vc)
        asyncio.run(v.async_validate_path())
    except (ValidationError, PathBuildingError) as exc:
        if isinstance(exc.__cause__, NotImplementedError):
            return Verdict(None, f"pyhanko cannot judge: {exc.__cause__}")
        return Verdict(False, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # NotImplementedError for iPAddress constraints; its own bugs on otherName subtrees
        return Verdict(None, f"pyhanko cannot judge: {type(exc).__name__}: {exc}")
    return Verdict(True)


# ---- openssl verify -----------------------------------------------------------------------------------

def openssl_verdict(b: Built) -> Verdict:
    pool = [] if b.spec.is_root_import else [b.imported] + b.chain
    with tempfile.TemporaryDirectory(prefix="pca-import-ossl-") as d:
        paths = {}
        for name, data in (("root.pem", pem(b.root)), ("pool.pem", pems(pool)), ("ee.pem", pem(b.ee))):
            paths[name] = os.path.join(d, name)
            with open(paths[name], "wb") as fh:
                fh.write(data)
        cmd = [OPENSSL, "verify", *OPENSSL_FLAGS, "-CAfile", paths["root.pem"]]
        if pool:
            cmd += ["-untrusted", paths["pool.pem"]]
        cmd.append(paths["ee.pem"])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    out = (p.stdout + p.stderr).replace(d, "")
    if p.returncode == 0:
        return Verdict(True)
    lines = [ln.strip() for ln in out.splitlines() if "error" in ln]
    return Verdict(False, "; ".join(lines) or out.strip())


VALIDATORS = {"pyhanko": pyhanko_verdict}
if OPENSSL:
    VALIDATORS["openssl"] = openssl_verdict


# ---- the documented differences -------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    """Where AWS Private CA's import differs from RFC 5280 path validation (README, Rules section).

    A disagreement is explained by a difference only when the input really has the property (`present`,
    computed from the certificates, not from pca-import's findings): a CHAIN002 on a chain that is in order
    is not explained by "the chain must be in order"."""

    key: str
    rule: str                       # what the README says
    validators: frozenset[str]      # which validators it explains a disagreement with
    present: Callable[[Built], bool]
    codes: frozenset[str] = frozenset()       # pca-import rejects with one of these, the validator accepts
    at_root: bool = False           # ... and only when the finding is on the root certificate
    validator_reasons: tuple[str, ...] = ()   # the validator rejects for this reason, pca-import accepts
    readme: str = ""                # a marker the README's "Differences from RFC 5280 path validation" holds


BOTH = frozenset({"pyhanko", "openssl"})
PYHANKO = frozenset({"pyhanko"})
OPENSSL_ONLY = frozenset({"openssl"})


def _sent(b: Built) -> list[x509.Certificate]:
    return [b.imported] + b.chain


def _ext(cert: x509.Certificate, ext_type):
    try:
        return cert.extensions.get_extension_for_class(ext_type)
    except x509.ExtensionNotFound:
        return None


def _any_bc_noncritical(b: Built) -> bool:
    return any((e := _ext(c, x509.BasicConstraints)) is not None and not e.critical for c in _sent(b))


def _deeper_than_5(b: Built) -> bool:
    return len(b.certs) > 5


def _chain_not_exact(b: Built) -> bool:
    """The chain as sent is not exactly the path issuer-first, root-last (what it should be)."""
    expected = list(reversed(b.certs[:-1]))
    if b.spec.omit_root:
        expected = expected[:-1]
    return [der(c) for c in b.chain] != [der(c) for c in expected]


def _root_missing(b: Built) -> bool:
    return not b.spec.is_root_import and all(der(c) != der(b.root) for c in b.chain)


_AWS_ALLOWED_CRITICAL = {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
                         ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
                         ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.ISSUER_ALTERNATIVE_NAME,
                         ExtensionOID.SUBJECT_INFORMATION_ACCESS, ExtensionOID.CERTIFICATE_POLICIES,
                         ExtensionOID.POLICY_MAPPINGS, ExtensionOID.INHIBIT_ANY_POLICY, ExtensionOID.NAME_CONSTRAINTS,
                         ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES}  # the AWS API reference's allowed list


def _aws_rejected_critical(b: Built) -> bool:
    return any(e.critical and e.oid not in _AWS_ALLOWED_CRITICAL for c in _sent(b) for e in c.extensions)


def _root_ku_or_signature(b: Built) -> bool:
    ku = _ext(b.root, x509.KeyUsage)
    if ku is not None and not ku.value.key_cert_sign:
        return True
    try:
        b.root.verify_directly_issued_by(b.root)
        return False
    except Exception:
        return b.spec.levels[0].signature != "ok"  # SHA-1 is refused by cryptography, not a bad signature


def _ca_without_key_usage(b: Built) -> bool:
    return any(_ext(c, x509.KeyUsage) is None for c in b.certs)


_UNSUPPORTED_NC_FORMS = (x509.OtherName, x509.RegisteredID)  # and x400Address, ediPartyName (not generated)


def _unsupported_nc_form(b: Built) -> bool:
    for c in _sent(b):
        e = _ext(c, x509.NameConstraints)
        if e is not None and any(isinstance(g, _UNSUPPORTED_NC_FORMS) for g in
                                 (e.value.permitted_subtrees or []) + (e.value.excluded_subtrees or [])):
            return True
    return False


def _imported_key_no_ca_holds(b: Built) -> bool:
    """The imported CA's key is none of Private CA's key algorithms (read with cryptography, not pca-import)."""
    from cryptography.hazmat.primitives.asymmetric import ec, mldsa, rsa
    k = b.imported.public_key()
    if isinstance(k, rsa.RSAPublicKey):
        return k.key_size not in (2048, 3072, 4096)
    if isinstance(k, ec.EllipticCurvePublicKey):
        return k.curve.name not in ("secp256r1", "secp384r1", "secp521r1")
    return not isinstance(k, (mldsa.MLDSA44PublicKey, mldsa.MLDSA65PublicKey, mldsa.MLDSA87PublicKey))


def _key_identifier_critical(b: Built) -> bool:
    return any((e := _ext(c, t)) is not None and e.critical for c in _sent(b)
               for t in (x509.AuthorityKeyIdentifier, x509.SubjectKeyIdentifier))


DIFFERENCES: tuple[Difference, ...] = (
    Difference("bc-critical", "Basic constraints must be marked critical (BC002); RFC 5280 path validation "
               "accepts a non-critical one (openssl -x509_strict agrees with AWS).",
               PYHANKO, _any_bc_noncritical, frozenset({"BC002"}), readme="BC002"),
    Difference("depth", "At most 5 CA levels (PATH002); RFC 5280 has no depth limit.",
               BOTH, _deeper_than_5, frozenset({"PATH002"}), readme="PATH002"),
    Difference("chain-order", "The chain is sent in order, issuer first and root last, with nothing else in it "
               "(CHAIN001 the imported certificate, CHAIN002 order and unrelated certificates, CHAIN004 "
               "duplicates); validators build a path from an unordered pool.",
               BOTH, _chain_not_exact, frozenset({"CHAIN001", "CHAIN002", "CHAIN004"}), readme="CHAIN002"),
    Difference("root-in-chain", "The chain ends with the self-signed root (CHAIN003), and a subordinate import "
               "has a chain (SUB002); validators take the trust anchor out of band.",
               BOTH, _root_missing, frozenset({"CHAIN003", "SUB002"}), readme="CHAIN003"),
    Difference("critical-extensions", "AWS rejects critical authority information access, CRL distribution "
               "points, freshest CRL, policy constraints and any extension off its list (EXT001); RFC 5280 "
               "validators process the ones they know.",
               BOTH, _aws_rejected_critical, frozenset({"EXT001"}), readme="EXT001"),
    Difference("nc-unsupported-forms", "Name constraints on the otherName, x400Address, ediPartyName and "
               "registeredID forms are refused (NC002: AWS Private CA does not import them); RFC 5280 validators "
               "apply them only to names of that form, and the certificates here carry none.",
               BOTH, _unsupported_nc_form, frozenset({"NC002"}), readme="NC002"),
    Difference("trust-anchor", "The root certificate is checked like every CA certificate: keyCertSign in its "
               "key usage (KU001) and its self-signature (ROOT001 for a root import, CHAIN003 in a chain). pyhanko "
               "takes the root as an RFC 5937 trust anchor (its name, key, validity, pathLen and name constraints "
               "apply; its key usage and signature are never looked at).",
               PYHANKO, _root_ku_or_signature, frozenset({"KU001", "ROOT001", "CHAIN003"}), at_root=True, readme="KU001"),
    Difference("ca-key-usage", "A CA certificate without a key usage extension is accepted (KU001 only checks "
               "keyCertSign when key usage is present); openssl -x509_strict requires key usage on a CA (an RFC "
               "5280 4.2.1.3 profile rule, not a path-validation step).",
               OPENSSL_ONLY, _ca_without_key_usage,
               validator_reasons=("CA cert does not include key usage extension",), readme="x509_strict"),
    Difference("ca-key", "The imported certificate carries the CA's own key, so its key must be one a Private CA "
               "can hold: RSA 2048/3072/4096, EC P-256/P-384/P-521, ML-DSA-44/65/87 or SM2 (KEY004); path validators "
               "accept any key they can verify with (RSA-1024, P-192, Ed25519 here).",
               BOTH, _imported_key_no_ca_holds, frozenset({"KEY004"}), readme="KEY004"),
    Difference("kid-critical", "A critical authority or subject key identifier is imported with a warning (EXT003: AWS "
               "allows both critical); openssl verify rejects it as an unhandled critical extension (RFC 5280 "
               "4.2.1.1/4.2.1.2: a CA MUST mark them non-critical).",
               OPENSSL_ONLY, _key_identifier_critical, validator_reasons=("unhandled critical extension",),
               readme="EXT003"),
)

def _root_location(b: Built) -> str:
    """Where the root sits in the request pca-import saw ('certificate' for a root import)."""
    if b.spec.is_root_import:
        return "certificate"
    for i, c in enumerate(b.chain):
        if der(c) == der(b.root):
            return f"chain[{i}]"
    return "<absent>"


def _as_given(finding, b: Built) -> bool:
    """CHAIN003 names the last certificate *as given*: in a chain out of order that is not the root."""
    return finding.code == "CHAIN003" and _chain_not_exact(b)


def classify(b: Built, report, validator: str, verdict: Verdict) -> list[str] | None:
    """The documented differences that explain pca-import's verdict disagreeing with `validator`'s, or None.

    pca-import rejects and the validator accepts: every error finding must be covered by a documented
    difference (a bogus extra error is a disagreement too). The validator rejects and pca-import accepts: the
    validator's reason must be a documented one."""
    if verdict.ok is None or verdict.ok == report.ok:
        return []
    if not report.ok:
        root_at = _root_location(b)
        used = []
        for f in report.errors:
            hit = next((d for d in DIFFERENCES if validator in d.validators and f.code in d.codes
                        and (not d.at_root or f.location == root_at or _as_given(f, b)) and d.present(b)), None)
            if hit is None:
                return None
            used.append(hit.key)
        return sorted(set(used))
    hits = [d.key for d in DIFFERENCES if validator in d.validators
            and any(r in verdict.reason for r in d.validator_reasons) and d.present(b)]
    return hits or None
