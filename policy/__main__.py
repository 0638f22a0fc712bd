"""pca-import's policy pack: `pulumi preview --policy-pack policy` runs the rule engine on every
aws.acmpca.CertificateAuthorityCertificate and every CaCertificateImport of the stack.

Three policies: `pca-import-errors` (mandatory: the import would fail), `pca-import-warnings` (advisory), and
the stack policy `pca-import-ca` (mandatory: the certificate does not fit the CA it is imported into).
What is checked and how lives in pca_import/crossguard.py; this file only wires it to pulumi_policy.
"""
import sys

try:
    from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy
    from pulumi_policy.proxy import UnknownValueError
    from pca_import.integrations import crossguard
except ImportError as exc:  # a message the user can act on, not a traceback
    print(f"pca-import policy pack: {exc}. Create the pack's virtualenv: `make policy-venv` in the pca-import "
          "checkout (or: cd policy && python3 -m venv venv && venv/bin/pip install -r requirements.txt)",
          file=sys.stderr, flush=True)
    sys.exit(1)

_cache: dict = {}  # (urn, inputs) -> violations: both policies read one engine run per resource


def _inputs(props) -> dict:
    """The resource's inputs, an unknown value (preview) as crossguard.UNKNOWN."""
    out = {}
    for key in props:
        try:
            out[key] = props[key]
        except UnknownValueError:
            out[key] = crossguard.UNKNOWN
    return out


def _violations(args) -> list:
    if args.resource_type not in (crossguard.AWS_TYPE, crossguard.DYNAMIC_TYPE, crossguard.IMPORT_TYPE):
        return []
    inputs = _inputs(args.props)
    key = (args.urn, repr(sorted(inputs.items(), key=lambda kv: kv[0])))
    if key not in _cache:
        try:
            found = crossguard.check(args.resource_type, args.name, inputs)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, never a traceback
            found = [crossguard.Violation(True, "FATAL", f"[FATAL] {args.name}: pca-import could not check this "
                                                         f"resource ({type(exc).__name__}: {exc}); please report it")]
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = found
    return _cache[key]


def _report(mandatory: bool):
    def validate(args, report_violation):
        for v in _violations(args):
            if v.mandatory == mandatory:
                report_violation(v.message)
    return validate


def _check_stack(args, report_violation):
    resources = []
    for r in args.resources:
        if r.resource_type not in crossguard.CHECKED_TYPES:
            continue
        deps = {k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()}
        resources.append(crossguard.StackResource(r.urn, r.resource_type, r.name, _inputs(r.props), deps))
    try:
        found = crossguard.check_against_ca(resources)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, never a traceback
        report_violation(f"[FATAL] pca-import could not check the stack's CA certificates against their CAs "
                         f"({type(exc).__name__}: {exc}); please report it")
        return
    for urn, v in found:
        report_violation(v.message, urn)


PolicyPack(
    name="pca-import",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="pca-import-errors",
            description="The CA certificate would be refused by ImportCertificateAuthorityCertificate.",
            enforcement_level=EnforcementLevel.MANDATORY,
            validate=_report(True),
        ),
        ResourceValidationPolicy(
            name="pca-import-warnings",
            description="The CA certificate can be imported, but something in it deserves a look.",
            enforcement_level=EnforcementLevel.ADVISORY,
            validate=_report(False),
        ),
        StackValidationPolicy(
            name="pca-import-ca",
            description="The CA certificate does not fit the CA it is imported into (its type or its key).",
            enforcement_level=EnforcementLevel.MANDATORY,
            validate=_check_stack,
        ),
    ],
)
