"""Terraform / OpenTofu plan check: the rule engine on every `aws_acmpca_certificate_authority_certificate`
of a plan (`terraform show -json plan.out`), before `apply`.

Reads the published JSON plan format (format_version 1.x): `resource_changes[].change.after` for planned values,
`after_unknown` for values known only after apply, `prior_state` for CAs that exist already (their type and CSR),
and `configuration` for which CA each certificate resource references (modules and for_each included).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pca_import.core.validate import validate_import
from pca_import.core.report import Report
from pca_import.errors import PlanError  # noqa: F401 (defined with the other errors)

CERT_TYPE = "aws_acmpca_certificate_authority_certificate"
CA_TYPE = "aws_acmpca_certificate_authority"
CHECKED_ACTIONS = ({"create"}, {"update"}, {"create", "delete"}, {"delete", "create"})


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
    for r in _list(module.get("resources"), "prior_state resources"):
        if isinstance(r, dict) and isinstance(r.get("address"), str):
            out[r["address"]] = _dict(r.get("values"), f"prior_state {r['address']}.values")
    for child in _list(module.get("child_modules"), "prior_state child_modules"):
        _resources_in_state(child, out)


def _ca_references(module: dict | None, prefix: str, out: dict[str, str]) -> None:
    """config address of each certificate resource -> config address of the CA it references."""
    if not isinstance(module, dict):
        return
    for r in _list(module.get("resources"), "configuration resources"):
        if not isinstance(r, dict) or r.get("type") != CERT_TYPE:
            continue
        expr = _dict(_dict(r.get("expressions"), "expressions").get("certificate_authority_arn"), "expressions")
        for ref in _list(expr.get("references"), "references"):
            if isinstance(ref, str) and ref.startswith(CA_TYPE + "."):
                name = ref[len(CA_TYPE) + 1:].split(".")[0].split("[")[0]
                out[f"{prefix}{CERT_TYPE}.{r.get('name')}"] = f"{prefix}{CA_TYPE}.{name}"
                break
    for call_name, call in _dict(module.get("module_calls"), "configuration module_calls").items():
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


def _dict(value: Any, where: str) -> dict:
    """An object of the plan, {} when absent; anything else is not Terraform's format."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PlanError(f"{where} is a JSON {type(value).__name__}, not an object: this is not Terraform's JSON plan "
                        "format (`terraform show -json plan.out`)")
    return value


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PlanError(f"{where} is a JSON {type(value).__name__}, not a list: this is not Terraform's JSON plan "
                        "format (`terraform show -json plan.out`)")
    return value


def check_plan(plan: Any, *, profile: str = "default") -> list[PlanResult]:
    """Every certificate resource of the plan, checked (or why not). PlanError when it is not a JSON plan."""
    try:
        return _check_plan(plan, profile)
    except RecursionError:
        raise PlanError("the plan's modules are nested too deeply to be a real configuration") from None


def _check_plan(plan: Any, profile: str) -> list[PlanResult]:
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise PlanError("not a Terraform JSON plan (no format_version): produce one with "
                        "`terraform show -json plan.out > plan.json`")
    changes = _list(plan.get("resource_changes"), "resource_changes")
    prior: dict[str, dict] = {}
    prior_values = _dict(_dict(plan.get("prior_state"), "prior_state").get("values"), "prior_state.values")
    _resources_in_state(_dict(prior_values.get("root_module"), "prior_state.values.root_module"), prior)
    planned_cas: dict[str, dict] = {}
    for i, rc in enumerate(changes):
        if isinstance(rc, dict) and rc.get("type") == CA_TYPE and isinstance(rc.get("address"), str):
            change = _dict(rc.get("change"), f"resource_changes[{i}].change")
            planned_cas[rc["address"]] = _dict(change.get("after"), f"resource_changes[{i}].change.after")
    refs: dict[str, str] = {}
    configuration = _dict(plan.get("configuration"), "configuration")
    _ca_references(_dict(configuration.get("root_module"), "configuration.root_module"), "", refs)

    results = []
    for i, rc in enumerate(changes):
        if not isinstance(rc, dict) or rc.get("type") != CERT_TYPE or rc.get("mode", "managed") != "managed":
            continue
        address = str(rc.get("address"))
        where = f"resource_changes[{i}] ({address})"
        change = _dict(rc.get("change"), f"{where}.change")
        actions = set(a for a in _list(change.get("actions"), f"{where}.change.actions") if isinstance(a, str))
        if actions not in CHECKED_ACTIONS:
            results.append(PlanResult(address, "skipped", reason=f"actions {sorted(actions)}: nothing is imported"))
            continue
        after = _dict(change.get("after"), f"{where}.change.after")
        unknown = _dict(change.get("after_unknown"), f"{where}.change.after_unknown")
        missing = [k for k in ("certificate", "certificate_chain") if unknown.get(k) is True]
        ca_address, ca_type, csr = _ca_for(address, refs, planned_cas, prior)
        if "certificate" in missing:
            results.append(PlanResult(address, "unknown", reason="certificate is known only after apply",
                                      ca_address=ca_address, ca_type=ca_type, unknown=missing))
            continue
        cert, chain = after.get("certificate"), after.get("certificate_chain")
        if not isinstance(cert, str) or (chain is not None and not isinstance(chain, str)):
            raise PlanError(f"{where}: certificate and certificate_chain must be strings in the plan")
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
