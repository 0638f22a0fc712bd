"""A picture of a CA hierarchy: a terminal tree, a Mermaid flowchart, a Mermaid Gantt chart of validity
windows, or JSON. Pure: CA records in, text out.

A record is a dict with `name`, `type`, `status`, `key_algorithm`, `not_before`, `not_after` (ISO 8601 or None),
`parent` (the name of the CA that signed it, or None) and optionally `issuer` (how an external signer is named),
`renew_before_days`, `enabled` (the declared state: a CA in another status is marked). Records come from a
stack's `cas` output or from AWS directly (`cli.cmd_tree`).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pca_import.core.renewal import DEFAULT_RENEW_BEFORE_DAYS
from pca_import.errors import InputError


def _date(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def annotate(records: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """Each record with `days_left`, `renew_on`, and the problems a picture should shout about."""
    by_name = {r["name"]: r for r in records}
    out = []
    for r in records:
        r = dict(r)
        na, parent = _date(r.get("not_after")), by_name.get(r.get("parent") or "")
        window = r.get("renew_before_days")
        window = DEFAULT_RENEW_BEFORE_DAYS if not isinstance(window, int) or isinstance(window, bool) else window
        r["days_left"] = (na - now).days if na else None
        r["renew_on"] = (na - dt.timedelta(days=window)).date().isoformat() if na else None
        problems = []
        if na and na < now:
            problems.append("expired")
        pna = _date(parent.get("not_after")) if parent else None
        if na and pna and na > pna:
            problems.append(f"outlives its issuer {parent['name']} ({pna.date().isoformat()})")
        enabled = r.get("enabled")
        if isinstance(enabled, bool) and r.get("status") in ("ACTIVE", "DISABLED", "EXPIRED") \
                and r["status"] != ("ACTIVE" if enabled else "DISABLED"):
            problems.append(f"{r['status']}, declared {'enabled' if enabled else 'disabled'}")
        r["problems"] = problems + r.get("problems", [])
        out.append(r)
    months: dict[str, list[str]] = {}
    for r in out:
        na = _date(r.get("not_after"))
        if na:
            months.setdefault(na.strftime("%Y-%m"), []).append(r["name"])
    for r in out:
        na = _date(r.get("not_after"))
        same = months.get(na.strftime("%Y-%m"), []) if na else []
        if len(same) >= 3:
            r["problems"].append(f"{len(same)} CAs expire in {na.strftime('%Y-%m')}")
    return out


def _break_cycles(records: list[dict[str, Any]]) -> None:
    """A CA whose chain of parents never reaches a top (a cycle, or signed by itself) is drawn at the top, marked,
    instead of vanishing from the picture."""
    by_name = {r["name"]: r for r in records}
    for r in records:
        seen, cur = set(), r
        while cur is not None and cur.get("parent") in by_name and cur["name"] not in seen:
            seen.add(cur["name"])
            cur = by_name[cur["parent"]]
        if cur is not None and cur["name"] in seen:  # walked back into the loop
            r.setdefault("problems", []).append(f"its issuers form a cycle ({r.get('parent')})")
            r["parent"] = None


def _children(records):
    names = {r["name"] for r in records}
    kids: dict[str | None, list] = {}
    for r in records:
        parent = r.get("parent") if r.get("parent") in names else None
        kids.setdefault(parent, []).append(r)
    for v in kids.values():  # roots first, then CAs signed outside the hierarchy
        v.sort(key=lambda r: (r.get("type") != "ROOT", r["name"]))
    return kids


def render_text(records: list[dict[str, Any]]) -> str:
    kids = _children(records)
    lines: list[str] = []

    def line(r) -> str:
        left = "-" if r.get("days_left") is None else f"{r['days_left']}d left"
        expires = (r.get("not_after") or "-")[:10]
        via = f", signed by {r['issuer']}" if r.get("issuer") and not r.get("parent") else ""
        warn = "".join(f"  !! {p}" for p in r.get("problems", ()))
        return (f"{r['name']}  {r.get('type') or '?'} {r.get('status') or '?'} {r.get('key_algorithm') or '?'}  "
                f"expires {expires} ({left}), renew by {r.get('renew_on') or '-'}{via}{warn}")

    def walk(r, prefix: str, last: bool, top: bool) -> None:
        lines.append((prefix + ("" if top else ("└── " if last else "├── "))) + line(r))
        sub = kids.get(r["name"], [])
        for i, c in enumerate(sub):
            walk(c, prefix + ("" if top else ("    " if last else "│   ")), i == len(sub) - 1, False)

    for r in kids.get(None, []):
        walk(r, "", True, True)
    return "\n".join(lines)


def _mid(name: str) -> str:
    return "ca_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(text: str) -> str:
    return text.replace('"', "'").replace("\n", " ")


def render_mermaid(records: list[dict[str, Any]]) -> str:
    """A flowchart GitHub renders: one node per CA, an edge from each issuer, expired/outliving CAs marked."""
    out = ["flowchart TD"]
    externals: dict[str, str] = {}
    for r in records:
        info = f"{r['name']}<br/>{r.get('type') or '?'} · {r.get('status') or '?'} · {r.get('key_algorithm') or '?'}"
        info += f"<br/>expires {(r.get('not_after') or '-')[:10]}"
        if r.get("days_left") is not None:
            info += f" ({r['days_left']}d)"
        out.append(f'    {_mid(r["name"])}["{_label(info)}"]')
    names = {r["name"] for r in records}
    for r in records:
        if r.get("parent") in names:
            out.append(f"    {_mid(r['parent'])} --> {_mid(r['name'])}")
        elif r.get("issuer") and r.get("type") != "ROOT":
            ext = externals.setdefault(r["issuer"], f"ext_{len(externals)}")
            out.append(f'    {ext}(["{_label(r["issuer"])}"]) -.-> {_mid(r["name"])}')
    bad = [_mid(r["name"]) for r in records if r.get("problems")]
    if bad:
        out.append("    classDef problem fill:#fdd,stroke:#c00")
        out.append(f"    class {','.join(bad)} problem")
    return "\n".join(out)


def render_gantt(records: list[dict[str, Any]]) -> str:
    """Validity windows side by side: a child outliving its parent or a month of expiries stands out."""
    out = ["gantt", "    title CA certificate validity", "    dateFormat YYYY-MM-DD", "    axisFormat %Y"]
    kids = _children(records)
    order: list[dict] = []

    def walk(r):
        order.append(r)
        for c in kids.get(r["name"], []):
            walk(c)
    for r in kids.get(None, []):
        walk(r)
    for r in order:
        nb, na = _date(r.get("not_before")), _date(r.get("not_after"))
        if not nb or not na:
            continue
        tag = "crit, " if r.get("problems") else ""
        out.append(f"    section {_label(r['name'])}")
        out.append(f"    {_label(r['name'])} ({r.get('type') or '?'}) :{tag}{_mid(r['name'])}, "
                   f"{nb.date().isoformat()}, {na.date().isoformat()}")
    return "\n".join(out)


def render(records: list[dict[str, Any]], fmt: str, now: dt.datetime) -> str:
    recs = annotate(records, now)
    _break_cycles(recs)
    if fmt == "json":
        return json.dumps(recs, indent=2)
    if fmt == "mermaid":
        return render_mermaid(recs)
    if fmt == "gantt":
        return render_gantt(recs)
    return render_text(recs)


def from_stack_output(cas: Any) -> list[dict[str, Any]]:
    """Records from the PKI stack's `cas` output (hierarchy program)."""
    if not isinstance(cas, dict):
        raise InputError("the stack's `cas` output is not a mapping of CA name to its facts")
    out = []
    enabled = {name: c.get("enabled") for name, c in cas.items()
               if isinstance(c, dict) and isinstance(c.get("enabled"), bool)}
    for name, c in cas.items():
        if not isinstance(c, dict):
            raise InputError(f"cas.{name} is a JSON {type(c).__name__}, not the mapping of a CA's facts")
        c = {k: v for k, v in c.items() if v is None or isinstance(v, (str, int)) and not isinstance(v, bool)}
        for k in ("not_before", "not_after", "type", "status", "key_algorithm", "signed_by", "parent", "issuer"):
            if not isinstance(c.get(k), (str, type(None))):
                raise InputError(f"cas.{name}.{k} is {c[k]!r}, not a string")
        parent = c.get("parent")
        signed_by = c.get("signed_by") or ""
        if parent is None and signed_by and not signed_by.startswith("itself"):
            parent = signed_by.split(" (")[0] if not signed_by.startswith("external") else None
        out.append({"name": name, "type": c.get("type"), "status": c.get("status"),
                    "key_algorithm": c.get("key_algorithm"), "not_before": c.get("not_before"),
                    "not_after": c.get("not_after"), "parent": parent,
                    "issuer": signed_by if signed_by.startswith("external") else c.get("issuer"),
                    "renew_before_days": c.get("renew_before_days") or c.get("expiry_warning_days"),
                    "arn": c.get("arn"), "enabled": enabled.get(name)})
    return out


REFRESHED = ("status", "serial", "not_before", "not_after")


def with_refreshed_state(cas: Any, resources: list[dict[str, Any]]) -> Any:
    """The `cas` output with each CA's status, serial and dates taken from its `<name>-cert` resource in the
    stack's state: a `pulumi refresh` updates the resources, not the program's outputs, so after a refresh
    only the state tells the truth."""
    if not isinstance(cas, dict):
        return cas
    by_name = {}
    for res in resources or []:
        urn = res.get("urn") if isinstance(res, dict) else None
        if isinstance(urn, str) and urn.endswith("-cert") and isinstance(res.get("outputs"), dict):
            by_name[urn.rsplit("::", 1)[-1][:-len("-cert")]] = res["outputs"]
    out = {}
    for name, c in cas.items():
        state = by_name.get(name)
        if isinstance(c, dict) and state is not None:
            c = {**c, **{k: state[k] for k in REFRESHED if isinstance(state.get(k), str)}}
        out[name] = c
    return out


def from_certificates(cas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records from AWS directly: each CA's description and the certificate it holds, chained by issuer
    (RFC 5280 name match and signature, via the rule engine's facts)."""
    from pca_import.core.facts import CertInfo, short_name, signed_by
    from pca_import.core.pem import split_pem
    infos = {}
    for c in cas:
        blocks = split_pem(c.get("certificate")).certificate_blocks
        infos[c["arn"]] = CertInfo(c["arn"], blocks[0].der, blocks[0].pem) if blocks else None
    out = []
    for c in cas:
        info = infos[c["arn"]]
        rec = {"name": c.get("name") or c["arn"].rsplit("/", 1)[-1], "arn": c["arn"], "type": c.get("type"),
               "status": c.get("status"), "key_algorithm": c.get("key_algorithm"), "parent": None, "issuer": None,
               "not_before": None, "not_after": None}
        if info is not None and info.cert is not None:
            rec["not_before"], rec["not_after"] = info.not_before().isoformat(), info.not_after().isoformat()
            if not info.self_signed:
                parent = next((o for o in cas if o is not c and infos[o["arn"]] is not None
                               and signed_by(info, infos[o["arn"]])), None)
                if parent is not None:
                    rec["parent"] = parent.get("name") or parent["arn"].rsplit("/", 1)[-1]
                else:
                    rec["issuer"] = f"external ({short_name(info.issuer)})"
        out.append(rec)
    return out
