"""Terraform / OpenTofu plan check: the rule engine on every `aws_acmpca_certificate_authority_certificate`
of a plan (`terraform show -json plan.out`), before `apply`.

Reads the published JSON plan format (format_version 1.x): `resource_changes[].change.after` for planned values,
`after_unknown` for values known only after apply, `prior_state` for CAs that exist already (their type and CSR),
and `configuration` for which CA each certificate resource references (modules and for_each included).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .engine import validate_import
from .report import Report

CERT_TYPE = "aws_acmpca_certificate_authority_certificate"
CA_TYPE = "aws_acmpca_certificate_authority"
CHECKED_ACTIONS = ({"create"}, {"update"}, {"create", "delete"}, {"delete", "create"})


class PlanError(ValueError):
    """The document is not a Terraform JSON plan this command can read."""


@dataclass
class PlanResult:
    address: str
    status: str                       # checked | unknown | skipped
    reason: str = ""
    ca_address: str | None = None
    ca_type: str | None = None
    report: Report | None = None
    unknown: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {"address": self.address, "status": self.status, "ca_address": self.ca_address,
               "ca_type": self.ca_type}
        if self.reason:
            out["reason"] = self.reason
        if self.report is not None:
            out.update(self.report.to_dict())
        return out


def _resources_in_state(module: dict | None, out: dict[str, dict]) -> None:
    if not isinstance(module, dict):
        return
    for r in module.get("resources") or ():
        if isinstance(r, dict) and isinstance(r.get("address"), str):
            out[r["address"]] = r.get("values") or {}
    for child in module.get("child_modules") or ():
        _resources_in_state(child, out)


def _ca_references(module: dict | None, prefix: str, out: dict[str, str]) -> None:
    """config address of each certificate resource -> config address of the CA it references."""
    if not isinstance(module, dict):
        return
    for r in module.get("resources") or ():
        if not isinstance(r, dict) or r.get("type") != CERT_TYPE:
            continue
        expr = (r.get("expressions") or {}).get("certificate_authority_arn") or {}
        for ref in expr.get("references") or ():
            if isinstance(ref, str) and ref.startswith(CA_TYPE + "."):
                name = ref[len(CA_TYPE) + 1:].split(".")[0].split("[")[0]
                out[f"{prefix}{CERT_TYPE}.{r.get('name')}"] = f"{prefix}{CA_TYPE}.{name}"
                break
    for call_name, call in (module.get("module_calls") or {}).items():
        if isinstance(call, dict):
            _ca_references(call.get("module"), f"{prefix}module.{call_name}.", out)


def _split(address: str) -> list[str]:
    """Split a resource address at dots outside instance keys (`["a.b"]` stays whole)."""
    parts, depth, cur = [], 0, ""
    for ch in address:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _strip_key(segment: str) -> tuple[str, str]:
    i = segment.find("[")
    return (segment, "") if i < 0 else (segment[:i], segment[i:])


def _parse_address(address: str) -> tuple[str, str, str, str]:
    """(module instance prefix, module config prefix, resource name, instance key) of a resource address."""
    parts = _split(address)
    modules, name_segment = parts[:-2], parts[-1]
    inst = "".join(p + "." for p in modules)
    conf = "".join(_strip_key(p)[0] + "." for p in modules)
    name, key = _strip_key(name_segment)
    return inst, conf, name, key


def check_plan(plan: Any, *, profile: str = "default") -> list[PlanResult]:
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise PlanError("not a Terraform JSON plan (no format_version): produce one with "
                        "`terraform show -json plan.out > plan.json`")
    changes = plan.get("resource_changes") or []
    if not isinstance(changes, list):
        raise PlanError("resource_changes is not a list")
    prior: dict[str, dict] = {}
    _resources_in_state(((plan.get("prior_state") or {}).get("values") or {}).get("root_module"), prior)
    planned_cas: dict[str, dict] = {}
    for rc in changes:
        if isinstance(rc, dict) and rc.get("type") == CA_TYPE and isinstance(rc.get("address"), str):
            planned_cas[rc["address"]] = ((rc.get("change") or {}).get("after") or {})
    refs: dict[str, str] = {}
    _ca_references((plan.get("configuration") or {}).get("root_module"), "", refs)

    results = []
    for rc in changes:
        if not isinstance(rc, dict) or rc.get("type") != CERT_TYPE or rc.get("mode", "managed") != "managed":
            continue
        address = str(rc.get("address"))
        change = rc.get("change") or {}
        actions = set(change.get("actions") or ())
        if actions not in CHECKED_ACTIONS:
            results.append(PlanResult(address, "skipped", reason=f"actions {sorted(actions)}: nothing is imported"))
            continue
        after = change.get("after") or {}
        unknown = change.get("after_unknown") or {}
        missing = [k for k in ("certificate", "certificate_chain") if unknown.get(k) is True]
        ca_address, ca_type, csr = _ca_for(address, refs, planned_cas, prior)
        if "certificate" in missing:
            results.append(PlanResult(address, "unknown", reason="certificate is known only after apply",
                                      ca_address=ca_address, ca_type=ca_type, unknown=missing))
            continue
        cert, chain = after.get("certificate"), after.get("certificate_chain")
        if not isinstance(cert, str) or (chain is not None and not isinstance(chain, str)):
            results.append(PlanResult(address, "skipped", reason="certificate or chain is not a string in the plan"))
            continue
        chain_known = "certificate_chain" not in missing
        report = validate_import(cert, chain if chain_known else None, csr=csr, ca_type=ca_type, profile=profile,
                                 chain_known=chain_known)
        results.append(PlanResult(address, "checked", ca_address=ca_address, ca_type=ca_type, report=report,
                                  unknown=missing))
    return results


def _ca_for(address: str, refs: dict[str, str], planned: dict[str, dict], prior: dict[str, dict]):
    """(CA address, type, CSR) of the CA a certificate resource references, where the plan says."""
    inst, conf, name, key = _parse_address(address)
    ca_config = refs.get(f"{conf}{CERT_TYPE}.{name}")
    if ca_config is None:
        return None, None, None
    ca_name = ca_config.rsplit(".", 1)[-1]
    candidates = ([f"{inst}{CA_TYPE}.{ca_name}{key}"] if key else []) + [f"{inst}{CA_TYPE}.{ca_name}"]
    for ca in candidates:
        values = planned.get(ca) if ca in planned else prior.get(ca)
        if values is not None:
            ca_type = values.get("type") if isinstance(values.get("type"), str) else None
            csr = (prior.get(ca) or {}).get("certificate_signing_request")
            return ca, ca_type, csr if isinstance(csr, str) and csr else None
    return candidates[0], None, None
