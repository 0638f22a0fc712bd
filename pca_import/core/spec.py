"""What AWS Private CA defines, in one place: limits, statuses, templates, algorithms, critical extensions.

Pure data (no boto3). Rules, the emulator, the CA resources, the hierarchy and tests read these; where the
emulator deliberately differs from a rule, the difference is commented at the emulator.
"""
from __future__ import annotations


# ---- ImportCertificateAuthorityCertificate limits (API reference; botocore service model) --------------
MAX_CERTIFICATE_BYTES = 32768      # Certificate blob 1..32768
MAX_CHAIN_BYTES = 2097152          # CertificateChain 0..2097152
# pca-import reads no input larger than this (SIZE003): even with CRLF line ends and comments between blocks, such a
# text cannot fit AWS's limit once canonical (SIZE001/SIZE002 measure the canonical bytes).
RAW_LIMITS = {"certificate": 4 * MAX_CERTIFICATE_BYTES, "chain": 4 * MAX_CHAIN_BYTES, "csr": 1024 * 1024}
MAX_DEPTH = 5                      # "hierarchies are at most 5 levels deep"

# ---- CA statuses ---------------------------------------------------------------------------------
FIRST_IMPORT_STATUSES = ("PENDING_CERTIFICATE",)
# ACTIVE and EXPIRED accept a renewal (API reference); DISABLED is named by the user guide only: STAT001 lets it
# through with the STAT002 warning, and the emulator refuses it (the stricter reading) — see emulator.import_.
RENEWAL_STATUSES = ("ACTIVE", "EXPIRED")
DISPUTED_STATUSES = ("DISABLED",)
NO_CERTIFICATE_STATUSES = ("PENDING_CERTIFICATE", "CREATING", "FAILED", "DELETED")

# ---- CA types, keys, signing algorithms, templates ------------------------------------------------
CA_TYPES = ("ROOT", "SUBORDINATE")
DEFAULT_KEY_ALGORITHM = "EC_prime256v1"  # pca-import's choice for a CA that names none
KEY_ALGORITHMS = ("RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1",
                  "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "SM2")
# The ones whose keys this tool can make and sign with (cryptography has no SM2); x509build has a generator for
# each. Here, not there, so the hierarchy config is checked without loading cryptography.
LOCAL_KEY_ALGORITHMS = tuple(a for a in KEY_ALGORITHMS if not a.startswith("SM2"))
SIGNING_ALGORITHMS = {  # key family -> what a CA of that family may issue with
    "RSA": ("SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA",  # the *_PSS values: RSASSA-PSS (service model)
            "SHA256WITHRSA_PSS", "SHA384WITHRSA_PSS", "SHA512WITHRSA_PSS"),
    "EC": ("SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"),
    "ML_DSA": ("ML_DSA_44", "ML_DSA_65", "ML_DSA_87"),
    "SM2": ("SM3WITHSM2",),
}
# ASN1Subject (CreateCertificateAuthority): the attributes pca-import sets, by their config names, and their
# maximum lengths; a country is two letters.
SUBJECT_MAX_LENGTHS = {"commonName": 64, "organization": 64, "organizationalUnit": 64, "country": 2,
                       "state": 128, "locality": 128}
# The same attributes as CreateCertificateAuthority's Subject keys.
AWS_SUBJECT_KEYS = {"commonName": "CommonName", "organization": "Organization",
                    "organizationalUnit": "OrganizationalUnit", "country": "Country", "state": "State",
                    "locality": "Locality"}
# IAM role ARNs (a CA account's role) and the account any ARN names.
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/[A-Za-z0-9+=,.@/_-]{1,512}$"
_ARN_ACCOUNT_PATTERN = r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):"


def account_of(arn: object) -> str | None:
    """The account an ARN names (`arn:aws:acm-pca:<region>:<account>:…`, `arn:aws:iam::<account>:role/…`)."""
    import re
    if not isinstance(arn, str):
        return None
    m = re.match(_ARN_ACCOUNT_PATTERN, arn) or re.match(ROLE_ARN_PATTERN, arn)
    return m.group(1) if m else None


TEMPLATE_PREFIX = "arn:aws:acm-pca:::template/"
ROOT_TEMPLATE = TEMPLATE_PREFIX + "RootCACertificate/V1"
SUBORDINATE_TEMPLATES = {n: TEMPLATE_PREFIX + f"SubordinateCACertificate_PathLen{n}/V1" for n in range(4)}


def key_family(key_algorithm: str) -> str:
    return "ML_DSA" if key_algorithm.startswith("ML_DSA") else key_algorithm.split("_")[0]


def allowed_signing_algorithms(key_algorithm: str) -> tuple[str, ...]:
    """The SigningAlgorithm values a CA with this key can sign with: its key family's; for ML-DSA, whose
    parameter set is the key's own, only that one (an ML-DSA-44 key cannot make an ML-DSA-65 signature)."""
    if key_family(key_algorithm) == "ML_DSA":
        return (key_algorithm,)
    return SIGNING_ALGORITHMS[key_family(key_algorithm)]


def default_signing_algorithm(key_algorithm: str) -> str:
    """The SigningAlgorithm pca-import asks for with a CA of this key: SHA-384 for P-384/P-521 (a hash as strong
    as the curve), SHA-256 otherwise; an ML-DSA key's own parameter set."""
    if key_family(key_algorithm) == "ML_DSA":
        return key_algorithm
    if key_family(key_algorithm) == "EC":
        return "SHA384WITHECDSA" if key_algorithm in ("EC_secp384r1", "EC_secp521r1") else "SHA256WITHECDSA"
    return "SHA256WITHRSA"


def signing_hash_name(signing_algorithm: str | None) -> str | None:
    """`SHA384WITHECDSA` -> `SHA384`; None for ML-DSA (it signs the message itself) or when not given."""
    if not signing_algorithm or not signing_algorithm.startswith("SHA"):
        return None
    return signing_algorithm.split("WITH")[0]


# ---- validity (IssueCertificate's Validity) and pca-import's own defaults ----------------------------
MAX_VALIDITY_DAYS = 36500          # 100 years: beyond that a date overflows long before any CA needs it
DEFAULT_VALIDITY_DAYS = {"ROOT": 3650, "SUBORDINATE": 1825}
# An expiry warning may look as far ahead as the longest validity (decided once: 0 turns it off).
MAX_WARNING_DAYS = MAX_VALIDITY_DAYS
DEFAULT_EXPIRY_WARNING_DAYS = 30
# rule profiles: `strict` also refuses what only the API page (not the current reference) forbids
PROFILES = ("default", "strict")
DEFAULT_PROFILE = "default"
DEFAULT_RENEW_BEFORE_DAYS = 30


# ---- critical extensions in an imported certificate or chain (API reference, current user guide) ---
# allowed: may be critical; rejected: AWS refuses it critical; profile: the API page rejects it, the current
# reference allows it (and RFC 5280 requires it critical) — allowed in `default` (EXT002 warns), rejected in `strict`.
# Any extension not listed is rejected when critical ("Any other extension"). Keyed by dotted OID: this module
# stays free of cryptography (a no-change preview never loads it).
ALLOWED, REJECTED, PROFILE = "allowed", "rejected", "profile"
CRITICAL_EXTENSIONS = {
    "2.5.29.19": ("basic constraints", ALLOWED),
    "2.5.29.17": ("subject alternative names", ALLOWED),
    "2.5.29.15": ("key usage", ALLOWED),
    "2.5.29.37": ("extended key usage", ALLOWED),
    "2.5.29.35": ("authority key identifier", ALLOWED),
    "2.5.29.14": ("subject key identifier", ALLOWED),
    "2.5.29.18": ("issuer alternative name", ALLOWED),
    "2.5.29.9": ("subject directory attributes", ALLOWED),
    "1.3.6.1.5.5.7.1.11": ("subject information access", ALLOWED),
    "2.5.29.32": ("certificate policies", ALLOWED),
    "2.5.29.33": ("policy mappings", ALLOWED),
    "2.5.29.54": ("inhibit anyPolicy", ALLOWED),
    "2.5.29.30": ("name constraints", PROFILE),
    "2.5.29.36": ("policy constraints", REJECTED),
    "2.5.29.31": ("CRL distribution points", REJECTED),
    "1.3.6.1.5.5.7.1.1": ("authority information access", REJECTED),
    "2.5.29.46": ("freshest CRL", REJECTED),
}


def critical_verdict(oid, profile: str) -> tuple[str, str]:
    """(name, ALLOWED | REJECTED | PROFILE-resolved) for a critical extension under a rule profile."""
    dotted = getattr(oid, "dotted_string", oid)
    name, verdict = CRITICAL_EXTENSIONS.get(dotted, (f"extension {dotted}", REJECTED))
    if verdict == PROFILE:
        verdict = REJECTED if profile == "strict" else PROFILE
    return name, verdict

# Name-constraint forms AWS Private CA does not support in an imported certificate or chain.
UNSUPPORTED_NAME_CONSTRAINT_FORMS = ("otherName", "x400Address", "ediPartyName", "registeredID")
