"""`PkiHierarchy`: a whole PKI hierarchy as one Pulumi component, for a user's own infrastructure program.

Everything the stack-config hierarchy expresses, as typed arguments: the three scenarios (a root hosted by
Private CA, a subordinate signed by a Private CA parent, a subordinate signed outside — by a signer stack, by
certificates passed in as outputs, pasted or read from files), parents, `renew_before_days`, regions, `on_delete`
and adoption by ARN. Its children are named `<component>-<ca>-ca|-issued|-cert` and parented to it, so two
hierarchies in one program never collide. Arguments are checked as a whole before anything is registered, with
the same schema as the stack config; every mistake is reported at once (a `pulumi.RunError`: no traceback).

    from pca_import import CaSpec, PkiHierarchy, PkiHierarchyArgs
    pki = PkiHierarchy("corp", PkiHierarchyArgs(cas=[
        CaSpec("root", "ROOT", subject={"commonName": "Corp Root CA"}, key_algorithm="EC_secp384r1"),
        CaSpec("issuing", "SUBORDINATE", parent="root"),
    ]))
    pulumi.export("cas", pki.cas)

Outputs: `cas` (per CA: arn, type, status, csr, serial, not_before, not_after, signed_by, parent, key_algorithm,
region, renew_before_days, enabled (the declared state), renewal_due, complete_chain — what `pca-import tree --cas-json` reads) and
`external_csrs` (the CSRs waiting for an external signature, by CA name).
"""

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import pulumi

from pca_import.core.schema import camel, snake
from pca_import.core.spec import ROOT_TEMPLATE, SUBORDINATE_TEMPLATES, account_of, default_signing_algorithm
from pca_import.errors import ActionableError, HierarchyError
from pca_import.resources.hierarchy.config import (DEFAULT_RENEW_BEFORE_DAYS, Node, parse_hierarchy,
                                                   private_key_problems)
from pca_import.resources.types import LEGACY_TYPE

BACKENDS = ("boto3", "pulumi-aws")
COMPONENT_TYPE = "pca-import:index:PkiHierarchy"


@dataclass
class CaSpec:
    """One CA of the hierarchy (the stack config's fields, in snake_case). A SUBORDINATE has exactly one of
    `parent` (another CA of the hierarchy) or `signer="external"`."""

    name: str
    type: str
    parent: Optional[str] = None
    signer: Optional[str] = None               # "external": signed outside Private CA
    subject: Optional[Mapping[str, str]] = None  # commonName, organization, organizationalUnit, country, ...
    key_algorithm: Optional[str] = None
    path_length: Optional[int] = None
    validity_days: Optional[int] = None
    renew_before_days: Optional[int] = None
    region: Optional[str] = None
    arn: Optional[str] = None                  # adopt an existing CA instead of creating one
    certificate: Optional[str] = None          # an externally signed certificate, pasted (PEM)
    certificate_chain: Optional[str] = None
    certificate_file: Optional[str] = None     # ... or read from files (relative to the program's directory)
    chain_file: Optional[str] = None
    on_delete: Optional[str] = None            # retain (default) or disable
    rule_profile: Optional[str] = None         # default or strict
    expiry_warning_days: Optional[int] = None
    enabled: Optional[bool] = None             # declared state: True (default) ACTIVE, False DISABLED
    account: Optional[Mapping[str, str]] = None  # {"role_arn": ..., "external_id": ..., "session_name": ...}


@dataclass
class ExternalSignature:
    """An externally signed certificate passed in as values or outputs (e.g. another stack's outputs)."""

    certificate: Any
    chain: Any = None


@dataclass
class PkiHierarchyArgs:
    cas: Sequence[Any]                                    # CaSpec, or a mapping of its fields
    backend: str = "boto3"                                # or "pulumi-aws" (needs the aws plugin)
    signer_stack: Optional[str] = None                    # a signer stack whose `signed` output signs external CAs
    signed: Mapping[str, ExternalSignature] = field(default_factory=dict)  # external signatures passed in
    renew_before_days: Optional[int] = None               # the default for CAs without their own


def _as_config(ca: Any) -> Any:
    """A CaSpec (or mapping) as the config schema reads it: camelCase keys, no None values."""
    if dataclasses.is_dataclass(ca) and not isinstance(ca, type):
        ca = dataclasses.asdict(ca)
    if not isinstance(ca, Mapping):
        return ca
    out = {}
    for key, value in ca.items():
        if value is None:
            continue
        if key in ("subject", "account") and isinstance(value, Mapping):
            value = {camel(k): v for k, v in value.items()}
        out[camel(str(key))] = value
    return out


def validate(name: str, args: PkiHierarchyArgs) -> list[Node]:
    """The hierarchy's nodes, parents first; one HierarchyError naming every mistake by position, CA and field."""
    where = f"PkiHierarchy {name}: cas"
    problems: list[str] = []
    if args.backend not in BACKENDS:
        problems.append(f"PkiHierarchy {name}: backend must be one of {', '.join(BACKENDS)}, not {args.backend!r}")
    rbd = DEFAULT_RENEW_BEFORE_DAYS if args.renew_before_days is None else args.renew_before_days
    try:
        nodes = parse_hierarchy([_as_config(c) for c in args.cas] if isinstance(args.cas, (list, tuple)) else args.cas,
                                rbd, where=where)
    except HierarchyError as exc:
        problems += [_snake_fields(p) for p in exc.problems]
        nodes = []
    unknown = sorted(set(args.signed) - {n.name for n in nodes if n.signer == "external"}) if nodes else []
    if unknown:
        problems.append(f"PkiHierarchy {name}: signed names {', '.join(unknown)}, which are not CAs with "
                        "signer='external' in cas")
    problems += backend_problems(nodes, args.backend, where)
    problems += refuse_keys_in_files(nodes, where)
    if problems:
        raise HierarchyError(problems)
    return nodes


def backend_problems(nodes: list[Node], backend: str, where: str) -> list[str]:
    """What the pulumi-aws backend cannot do yet: a CA in another region or another account than the provider's."""
    problems = []
    if backend == "pulumi-aws" and any(n.account for n in nodes):
        problems.append(f"{where}: `account` per CA works with backend boto3 only (pulumi-aws would need an aws "
                        "provider per account, not done): remove `account` or use backend boto3")
    if backend == "pulumi-aws" and any(n.region for n in nodes):
        problems.append(f"{where}: `region` per CA works with backend boto3 only (with pulumi-aws every CA is in the "
                        f"provider's region): remove `region` from {', '.join(n.name for n in nodes if n.region)}")
    return problems


def _snake_fields(problem: str) -> str:
    """`... cas[0] (root).validityDays: ...` -> `.validity_days`: the component's argument names."""
    return re.sub(r"\.([a-z]+[A-Z][A-Za-z]*)(?=[:.\s])", lambda m: "." + snake(m.group(1)), problem)


def _read_file(path: str | None) -> str | None:
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def refuse_keys_in_files(nodes: list[Node], where: str = "pca-import:hierarchy") -> list[str]:
    """A manual certificate or chain file that holds a private key: its content would become a resource input."""
    problems = []
    for n in nodes:
        for key, path in (("certificateFile", n.certificate_file), ("chainFile", n.chain_file)):
            problems += private_key_problems(
                f"{where} ({n.name}).{key}", _read_file(path),
                fix=f"point `{key}` at the signed certificate's PEM file instead of {path}, and keep keys out "
                    "of the project directory")
    return problems


class PkiHierarchy(pulumi.ComponentResource):
    """A PKI hierarchy: each CA, its signer step and its `CaCertificateImport`, as children of this component."""

    cas: pulumi.Output[dict]
    external_csrs: pulumi.Output[dict]

    def __init__(self, name: str, args: PkiHierarchyArgs | None = None,
                 opts: Optional[pulumi.ResourceOptions] = None, *, child_prefix: Optional[str] = None,
                 adopt_stack_level_resources: bool = False, nodes: Optional[list[Node]] = None, **kwargs: Any):
        """`args` (or its fields as keyword arguments). `child_prefix`: what child names start with (default
        `<name>-`). `adopt_stack_level_resources`: children were created at the stack's top level by an earlier
        version of the pca-import project (aliases keep them). `nodes`: already validated nodes (the project)."""
        if args is None:
            args = PkiHierarchyArgs(**kwargs)
        elif kwargs:
            raise TypeError("pass either args=PkiHierarchyArgs(...) or keyword arguments, not both")
        try:
            if nodes is None:
                nodes = validate(name, args)
            elif backend_problems(nodes, args.backend, "pca-import:hierarchy"):
                raise HierarchyError(backend_problems(nodes, args.backend, "pca-import:hierarchy"))
        except HierarchyError as exc:
            raise pulumi.RunError("pca-import: " + "\npca-import: ".join(exc.problems)) from None
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._prefix = f"{name}-" if child_prefix is None else child_prefix
        self._adopt = adopt_stack_level_resources
        try:  # an adopted CA's CSR is read now; a wrong role or PCA_IMPORT_NOW is a message, not a traceback
            from pca_import.core import clock
            self._now = clock.now()
            results, csrs = _register(self, nodes, args)
        except ActionableError as exc:
            raise pulumi.RunError(f"pca-import: {exc}") from None
        self.ca_outputs: dict[str, dict[str, Any]] = results  # per CA, each value an Output or a plain value
        self.cas = _map_output(results)
        self.external_csrs = _map_output(csrs)
        self.register_outputs({"cas": self.cas, "external_csrs": self.external_csrs})

    def child(self, ca: str, kind: str, ours: bool = True) -> tuple[str, pulumi.ResourceOptions]:
        """The name and options of one of a CA's resources (`ca`, `issued`, `cert`); `ours` False for a
        pulumi-aws resource (its type never changed)."""
        name = f"{self._prefix}{ca}-{kind}"
        aliases = []
        if self._adopt:  # it sat at the stack's top level, and ours had the one dynamic type then
            aliases.append(pulumi.Alias(name=name, type_=LEGACY_TYPE if ours else None,
                                        parent=pulumi.ROOT_STACK_RESOURCE))
        return name, pulumi.ResourceOptions(parent=self, aliases=aliases)


def _map_output(mapping: dict[str, Any]) -> pulumi.Output:
    """The map (of per-CA maps) as one Output, as `Output.from_input` would give it — a value known at preview stays
    known to whoever reads it (`cas["root"]["arn"]`) while another CA's is not yet — at a fraction of the cost:
    `from_input` makes an Output of every key and every plain value (~1,000 tasks for 20 CAs, each polled by the
    SDK until the program ends); this waits on the Outputs alone."""
    def leaf(value: Any) -> Any:
        if isinstance(value, pulumi.Output):
            return value.apply(lambda v: v, True)  # an unknown value becomes the UNKNOWN marker, as from_input does
        if isinstance(value, (dict, list, tuple)) and value:
            return pulumi.Output.from_input(value)  # nothing nests today; kept exact if something ever does
        return None
    slots = [(key, inner, out) for key, entry in mapping.items()
             for inner, value in (entry.items() if isinstance(entry, dict) and entry else [(None, entry)])
             if (out := leaf(value)) is not None]

    def assemble(values: list[Any]) -> dict[str, Any]:
        result = {key: dict(entry) if isinstance(entry, dict) else entry for key, entry in mapping.items()}
        for (key, inner, _), value in zip(slots, values):
            if inner is None:
                result[key] = value
            else:
                result[key][inner] = value
        return result
    return pulumi.Output.all(*[out for _, _, out in slots]).apply(assemble, True)


def _register(owner: PkiHierarchy, nodes: list[Node], args: PkiHierarchyArgs) -> tuple[dict, dict]:
    """Register every CA, its signer step and its import; return (per-CA outputs, CSRs awaiting a signature)."""
    from pca_import.resources.ca import IssuedCaCertificate, PrivateCertificateAuthority
    from pca_import.resources.resource import CaCertificateImport

    backend = args.backend
    from_stack = _signed_outputs(args.signer_stack) if any(n.signer == "external" for n in nodes) else {}
    by_name = {n.name: n for n in nodes}
    arns: dict[str, Any] = {}
    imports: dict[str, Any] = {}
    results: dict[str, Any] = {}
    external_csrs: dict[str, Any] = {}
    for n in nodes:
        # 1. the CA
        if n.arn:
            arn, csr = pulumi.Output.from_input(n.arn), _existing_csr(n.arn, backend, n.account)
        elif backend == "pulumi-aws":
            arn, csr = _aws_ca(owner, n)
        else:
            ca_name, ca_opts = owner.child(n.name, "ca")
            ca = PrivateCertificateAuthority(ca_name, ca_type=n.type, key_algorithm=n.key_algorithm,
                                             subject=n.subject, region=n.region, account=n.account, opts=ca_opts)
            arn, csr = ca.arn, ca.csr
        arns[n.name] = arn
        # 2. the signer step
        cert = chain = None
        signed_by = ""
        if n.signer == "self":
            signed_by = "itself (RootCACertificate/V1)"
            cert, chain = _issue(owner, n, arn, csr, ROOT_TEMPLATE, default_signing_algorithm(n.key_algorithm),
                                 backend, IssuedCaCertificate, issuer_chain=None, issuer_account=n.account)
        elif n.signer == "pca":
            parent = by_name[n.parent]
            signed_by = f"{parent.name} (Private CA, PathLen{n.path_length})"
            cert, chain = _issue(owner, n, arns[parent.name], csr, SUBORDINATE_TEMPLATES[n.path_length],
                                 default_signing_algorithm(parent.key_algorithm), backend, IssuedCaCertificate,
                                 depends_on=[imports[parent.name]] if parent.name in imports else [],
                                 issuer_chain=imports[parent.name].complete_chain if parent.name in imports else None,
                                 issuer_account=parent.account)  # issued in the parent's account
        else:
            external_csrs[n.name] = csr
            manual_cert, manual_chain = _read_file(n.certificate_file), _read_file(n.chain_file)
            passed = args.signed.get(n.name)
            got = from_stack.get(n.name) or {}
            if n.certificate:
                cert, chain, signed_by = n.certificate, n.certificate_chain, "external (stack config)"
            elif manual_cert:
                cert, chain, signed_by = manual_cert, manual_chain, f"external (file {n.certificate_file})"
            elif passed is not None:
                cert, chain, signed_by = passed.certificate, passed.chain, "external (passed in)"
            elif got.get("certificate"):
                cert, chain, signed_by = got["certificate"], got.get("chain"), f"external (stack {args.signer_stack})"
            else:
                signed_by = "external (awaiting signature)"
        # 3. the import
        entry: dict[str, Any] = {"arn": arn, "type": n.type, "csr": csr, "signed_by": signed_by, "parent": n.parent,
                                 "key_algorithm": n.key_algorithm, "expiry_warning_days": n.expiry_warning_days,
                                 "renew_before_days": n.renew_before_days, "region": n.region,
                                 "enabled": n.enabled,
                                 "account": account_of((n.account or {}).get("role_arn"))}
        if cert is None:
            entry.update(status="AWAITING_CERTIFICATE", serial=None, not_before=None, not_after=None)
            pulumi.log.info(f"{n.name}: awaiting its certificate from the external signer; its CSR is exported "
                            f"as cas.{n.name}.csr and external_csrs.{n.name}", resource=owner)
        else:
            cert_name, cert_opts = owner.child(n.name, "cert")
            imp = CaCertificateImport(cert_name, certificate_authority_arn=arn, certificate=cert,
                                      certificate_chain=chain, on_delete=n.on_delete, rule_profile=n.rule_profile,
                                      expiry_warning_days=n.expiry_warning_days, enabled=n.enabled,
                                      account=n.account, opts=cert_opts)
            imports[n.name] = imp
            entry.update(status=imp.status, serial=imp.serial, not_before=imp.not_before, not_after=imp.not_after,
                         complete_chain=imp.complete_chain,
                         renewal_due=imp.not_after.apply(lambda na, n=n: _renewal_due(n, na, owner._now)))
        results[n.name] = entry
    return results, external_csrs


def _renewal_due(n: Node, not_after: str | None, now) -> bool:
    """Whether `n`'s certificate is within its renewal window now; for an externally signed CA, say who acts."""
    import datetime as dt

    from pca_import.core.renewal import renewal_due
    if not not_after:
        return False
    decision = renewal_due(dt.datetime.fromisoformat(not_after), now, n.renew_before_days)
    if decision.due and n.signer == "external":
        pulumi.log.info(f"{n.name}: renewal due ({decision.reason}): exported as cas.{n.name}.renewal_due; the "
                        "signer stack signs it again at its next `up`, and the next `up` here imports it in place")
    return decision.due


def _issue(owner: PkiHierarchy, n: Node, issuer_arn, csr, template, signing_algorithm, backend, issued_cls,
           depends_on=(), issuer_chain=None, issuer_account=None):
    name, opts = owner.child(n.name, "issued", ours=backend != "pulumi-aws")
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(depends_on)))
    if backend == "pulumi-aws":
        import pulumi_aws as aws
        c = aws.acmpca.Certificate(name, certificate_authority_arn=issuer_arn,
                                   certificate_signing_request=csr, signing_algorithm=signing_algorithm,
                                   template_arn=template,
                                   validity=aws.acmpca.CertificateValidityArgs(type="DAYS",
                                                                               value=str(n.validity_days)),
                                   opts=opts)
        chain = None if n.signer == "self" else c.certificate_chain
        return c.certificate, chain
    c = issued_cls(name, issuer_arn=issuer_arn, csr=csr, template_arn=template, issuer_account=issuer_account,
                   signing_algorithm=signing_algorithm, validity_days=n.validity_days,
                   renew_before_days=n.renew_before_days, issuer_chain=issuer_chain, ca_name=n.name, opts=opts)
    return c.certificate, (None if n.signer == "self" else c.certificate_chain)


def _aws_ca(owner: PkiHierarchy, n: Node):
    import pulumi_aws as aws

    from pca_import.core.spec import AWS_SUBJECT_KEYS
    name, opts = owner.child(n.name, "ca", ours=False)
    subject = {snake(AWS_SUBJECT_KEYS[k]): v for k, v in n.subject.items()}
    ca = aws.acmpca.CertificateAuthority(
        name, type=n.type, permanent_deletion_time_in_days=7, enabled=n.enabled,
        certificate_authority_configuration=aws.acmpca.CertificateAuthorityCertificateAuthorityConfigurationArgs(
            key_algorithm=n.key_algorithm, signing_algorithm=default_signing_algorithm(n.key_algorithm),
            subject=aws.acmpca.CertificateAuthorityCertificateAuthorityConfigurationSubjectArgs(**subject)),
        opts=opts)
    return ca.arn, ca.certificate_signing_request


def _existing_csr(arn: str, backend: str, account: dict | None = None):
    """The CSR of a CA that already exists (adopted by ARN)."""
    if backend == "pulumi-aws":
        import pulumi_aws as aws
        return aws.acmpca.get_certificate_authority_output(arn=arn).certificate_signing_request
    from pca_import.aws.client import PrivateCa
    pca = PrivateCa.from_environment(region=pulumi.Config("aws").get("region")).for_arn(arn).as_role(account)
    return pulumi.Output.from_input(pca.csr(arn))


def _stack_output(resource_name: str, stack_name: str, output: str) -> dict:
    """Another stack's output, read by StackReference at program time (so each entry can become its own
    resource); {} when the stack has no such output yet."""
    from pulumi.runtime.sync_await import _sync_await
    ref = _REFS.get(resource_name)
    if ref is None:
        ref = _REFS[resource_name] = pulumi.StackReference(resource_name, stack_name=stack_name)
    return _sync_await(ref.get_output_details(output)).value or {}


_REFS: dict[str, Any] = {}  # one StackReference per other stack and program run


def _signed_outputs(stack_name: str | None) -> dict:
    """The signer stack's `signed` output ({name: {certificate, chain}})."""
    if not stack_name:
        return {}
    return _stack_output(f"signer-{stack_name.replace('/', '-')}", stack_name, "signed")
