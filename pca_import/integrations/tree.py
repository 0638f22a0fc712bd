"""A picture of a CA hierarchy: a terminal tree, a Mermaid flowchart, a Mermaid Gantt chart of validity
windows, or JSON. Pure: CA records in, text out.

A record is a dict with `name`, `arn`, `type`, `status`, `key_algorithm`, `not_before`, `not_after` (ISO 8601 or
None), `parent` (the key of the CA that signed it, or None) and optionally `issuer` (how an external signer is
named), `renew_before_days`, `enabled` (the declared state: a CA in another status is marked). A CA is keyed by its ARN (by its name only when it has no ARN): names repeat across
environments and regions, ARNs do not. Records come from a stack's `cas` output or from AWS (`cli.cmd_tree`).

"Critical" (marked `!!`, red in Mermaid, `crit` in the Gantt chart) means the CA needs someone: it is expired,
inside its renewal window, or outlives its issuer. Several CAs expiring in one month is a note, not critical: a
hierarchy created on one day always does.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pca_import.core.renewal import DEFAULT_RENEW_BEFORE_DAYS
from pca_import.errors import InputError

SAME_MONTH_NOTE = 3  # this many CAs expiring in one calendar month earn a note


def key(record: dict[str, Any]) -> str:
    """How a CA is told apart from every other: its ARN, or its name when it has none yet."""
    return record.get("arn") or record["name"]


def _date(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def annotate(records: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """Each record with `key`, `parent_name`, `days_left`, `renew_on`, the `problems` that make it critical and
    `notes` worth a glance."""
    by_key = {key(r): r for r in records}
    out = []
    for r in records:
        r = dict(r)
        r["key"] = key(r)
        na, parent = _date(r.get("not_after")), by_key.get(r.get("parent") or "")
        r["parent_name"] = parent["name"] if parent else None
        window = r.get("renew_before_days")
        window = DEFAULT_RENEW_BEFORE_DAYS if not isinstance(window, int) or isinstance(window, bool) else window
        r["days_left"] = (na - now).days if na else None
        renew_on = na - dt.timedelta(days=window) if na else None
        r["renew_on"] = renew_on.date().isoformat() if renew_on else None
        problems = []
        if na and na < now:
            problems.append("expired")
        elif renew_on and renew_on <= now:
            problems.append(f"renewal due: {r['days_left']}d left, inside its {window}-day renewal window")
        pna = _date(parent.get("not_after")) if parent else None
        if na and pna and na > pna:
            problems.append(f"outlives its issuer {parent['name']} ({pna.date().isoformat()})")
        enabled = r.get("enabled")
        if isinstance(enabled, bool) and r.get("status") in ("ACTIVE", "DISABLED", "EXPIRED") \
                and r["status"] != ("ACTIVE" if enabled else "DISABLED"):
            problems.append(f"{r['status']}, declared {'enabled' if enabled else 'disabled'}")
        r["problems"] = problems + r.get("problems", [])
        r["notes"] = list(r.get("notes", []))
        out.append(r)
    months: dict[str, list[str]] = {}
    for r in out:
        na = _date(r.get("not_after"))
        if na:
            months.setdefault(na.strftime("%Y-%m"), []).append(r["key"])
    for r in out:
        na = _date(r.get("not_after"))
        same = months.get(na.strftime("%Y-%m"), []) if na else []
        if len(same) >= SAME_MONTH_NOTE:
            r["notes"].append(f"{len(same)} CAs expire in {na.strftime('%Y-%m')}")
    return out


def _break_cycles(records: list[dict[str, Any]]) -> None:
    """A CA whose chain of parents never reaches a top (a cycle, or signed by itself) is drawn at the top, marked,
    instead of vanishing from the picture."""
    by_key = {r["key"]: r for r in records}
    for r in records:
        seen, cur = set(), r
        while cur is not None and cur.get("parent") in by_key and cur["key"] not in seen:
            seen.add(cur["key"])
            cur = by_key[cur["parent"]]
        if cur is not None and cur["key"] in seen:  # walked back into the loop
            r.setdefault("problems", []).append(f"its issuers form a cycle ({r.get('parent_name') or r.get('parent')})")
            r["parent"] = None


def _children(records):
    keys = {r["key"] for r in records}
    kids: dict[str | None, list] = {}
    for r in records:
        parent = r.get("parent") if r.get("parent") in keys else None
        kids.setdefault(parent, []).append(r)
    for v in kids.values():  # roots first, then CAs signed outside the hierarchy
        v.sort(key=lambda r: (r.get("type") != "ROOT", r["name"], r["key"]))
    return kids


def _titles(records) -> dict[str, str]:
    """What to call each CA: its name, with its ARN when another CA has the same name."""
    count: dict[str, int] = {}
    for r in records:
        count[r["name"]] = count.get(r["name"], 0) + 1
    return {r["key"]: r["name"] if count[r["name"]] == 1 or r["key"] == r["name"] else f"{r['name']} [{r['key']}]"
            for r in records}


def render_text(records: list[dict[str, Any]]) -> str:
    kids, titles = _children(records), _titles(records)
    lines: list[str] = []

    def line(r) -> str:
        left = "-" if r.get("days_left") is None else f"{r['days_left']}d left"
        expires = (r.get("not_after") or "-")[:10]
        via = f", signed by {r['issuer']}" if r.get("issuer") and not r.get("parent") else ""
        warn = "".join(f"  !! {p}" for p in r.get("problems", ()))
        note = "".join(f"  (note: {n})" for n in r.get("notes", ()))
        return (f"{titles[r['key']]}  {r.get('type') or '?'} {r.get('status') or '?'} {r.get('key_algorithm') or '?'}  "
                f"expires {expires} ({left}), renew by {r.get('renew_on') or '-'}{via}{warn}{note}")

    def walk(r, prefix: str, last: bool, top: bool) -> None:
        lines.append((prefix + ("" if top else ("└── " if last else "├── "))) + line(r))
        sub = kids.get(r["key"], [])
        for i, c in enumerate(sub):
            walk(c, prefix + ("" if top else ("    " if last else "│   ")), i == len(sub) - 1, False)

    for r in kids.get(None, []):
        walk(r, "", True, True)
    return "\n".join(lines)


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def node_ids(records: list[dict[str, Any]]) -> dict[str, str]:
    """A Mermaid id per CA key, unique: `ca_<name>`, with the end of the ARN when names repeat."""
    by_base: dict[str, list[str]] = {}
    for r in records:
        by_base.setdefault("ca_" + _ident(r["name"]), []).append(r["key"])
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for base, keys in by_base.items():
        for k in keys:
            mid = base if len(keys) == 1 else f"{base}_{_ident(k.rsplit('/', 1)[-1])[-12:]}"
            while mid in taken:
                mid += "_"
            ids[k] = mid
            taken.add(mid)
    return ids


def _label(text: str) -> str:
    return text.replace('"', "'").replace("\n", " ")


def render_mermaid(records: list[dict[str, Any]]) -> str:
    """A flowchart GitHub renders: one node per CA, an edge from each issuer, critical CAs marked."""
    out = ["flowchart TD"]
    ids, titles = node_ids(records), _titles(records)
    externals: dict[str, str] = {}
    for r in records:
        info = f"{titles[r['key']]}<br/>{r.get('type') or '?'} · {r.get('status') or '?'} · " \
               f"{r.get('key_algorithm') or '?'}<br/>expires {(r.get('not_after') or '-')[:10]}"
        if r.get("days_left") is not None:
            info += f" ({r['days_left']}d)"
        out.append(f'    {ids[r["key"]]}["{_label(info)}"]')
    for r in records:
        if r.get("parent") in ids:
            out.append(f"    {ids[r['parent']]} --> {ids[r['key']]}")
        elif r.get("issuer") and r.get("type") != "ROOT":
            ext = externals.setdefault(r["issuer"], f"ext_{len(externals)}")
            out.append(f'    {ext}(["{_label(r["issuer"])}"]) -.-> {ids[r["key"]]}')
    bad = [ids[r["key"]] for r in records if r.get("problems")]
    if bad:
        out.append("    classDef problem fill:#fdd,stroke:#c00")
        out.append(f"    class {','.join(bad)} problem")
    return "\n".join(out)


def render_gantt(records: list[dict[str, Any]]) -> str:
    """Validity windows side by side: a critical CA (expired, due for renewal, outliving its issuer) stands out."""
    out = ["gantt", "    title CA certificate validity", "    dateFormat YYYY-MM-DD", "    axisFormat %Y"]
    kids, ids, titles = _children(records), node_ids(records), _titles(records)
    order: list[dict] = []

    def walk(r):
        order.append(r)
        for c in kids.get(r["key"], []):
            walk(c)
    for r in kids.get(None, []):
        walk(r)
    for r in order:
        nb, na = _date(r.get("not_before")), _date(r.get("not_after"))
        if not nb or not na:
            continue
        tag = "crit, " if r.get("problems") else ""
        out.append(f"    section {_label(titles[r['key']])}")
        out.append(f"    {_label(r['name'])} ({r.get('type') or '?'}) :{tag}{ids[r['key']]}, "
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


def stack_output(outputs: dict[str, Any], stack: str, name: str = "cas") -> Any:
    """The per-CA map among a stack's outputs; InputError saying what `tree` needs when it is not there."""
    if name in outputs:
        return outputs[name]
    have = ", ".join(f"`{k}`" for k in sorted(outputs)) or "none"
    raise InputError(
        f"stack {stack!r} has no `{name}` output (its outputs: {have}). `pca-import tree --stack` draws the per-CA "
        "map a pca-import hierarchy exports: CA name -> {arn, type, status, not_before, not_after, parent or "
        "signed_by}. The hierarchy project exports it as `cas`; in your own program export that map (e.g. "
        "`pulumi.export(\"cas\", cas)`) or pass its output's name with --output NAME. To draw what AWS holds "
        "instead, use `pca-import tree --from-aws`.")


def from_stack_output(cas: Any) -> list[dict[str, Any]]:
    """Records from the PKI stack's `cas` output (hierarchy program)."""
    if not isinstance(cas, dict):
        raise InputError(f"the `cas` output is a JSON {type(cas).__name__}, not the per-CA map `tree` draws (CA name "
                         "-> {arn, type, status, not_before, not_after, parent or signed_by})")
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
                    "renew_before_days": c["renew_before_days"] if c.get("renew_before_days") is not None
                    else c.get("expiry_warning_days"),  # a deliberate 0 stays 0
                    "arn": c.get("arn"), "enabled": enabled.get(name)})
    keys = {r["name"]: key(r) for r in out}  # `parent` names a CA of the map: point it at that CA's ARN
    for r in out:
        if r["parent"] in keys:
            r["parent"] = keys[r["parent"]]
    return out


REFRESHED = ("status", "serial", "not_before", "not_after")


def with_refreshed_state(cas: Any, resources: list[dict[str, Any]]) -> Any:
    """The `cas` output with each CA's status, serial and dates taken from its import resource in the stack's
    state (matched by the CA's ARN): a `pulumi refresh` updates the resources, not the program's outputs, so
    after a refresh only the state tells the truth."""
    if not isinstance(cas, dict):
        return cas
    by_arn = {}
    for res in resources or []:
        outs = res.get("outputs") if isinstance(res, dict) else None
        if isinstance(outs, dict) and isinstance(outs.get("certificate_authority_arn"), str) and "owner" in outs:
            by_arn[outs["certificate_authority_arn"]] = outs
    out = {}
    for name, c in cas.items():
        state = by_arn.get(c.get("arn")) if isinstance(c, dict) and isinstance(c.get("arn"), str) else None
        if state is not None:
            c = {**c, **{k: state[k] for k in REFRESHED if isinstance(state.get(k), str)}}
        out[name] = c
    return out


def from_certificates(cas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records from AWS directly: each CA's description and the certificate it holds, chained by issuer
    (RFC 5280 name match and signature, via the rule engine's facts, so three roots with one name stay three)."""
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
                    rec["parent"] = parent["arn"]
                else:
                    rec["issuer"] = f"external ({short_name(info.issuer)})"
        out.append(rec)
    return out
