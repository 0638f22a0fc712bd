"""The project's stack config as a declarative schema: `pca-import:hierarchy` (PKI stack) and
`pca-import:signs` (signer stack).

Pure: config in, nodes out, or one `HierarchyError` that lists every mistake at once — by position, CA name
and field, with the fix, never the value of a field that could hold a secret. Types and ranges are schemas
(`core/schema.py`; strict: `pathLength: true` is not 1, `validityDays: "365"` is not a number); what spans
several CAs (parents, cycles, depth, path lengths) is checked after, on the validated nodes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from pca_import.core.pem import PRIVATE_KEY_LABELS
from pca_import.core.spec import (DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_KEY_ALGORITHM, DEFAULT_PROFILE, DEFAULT_VALIDITY_DAYS,
                                  LOCAL_KEY_ALGORITHMS as KEY_ALGORITHMS, MAX_DEPTH, MAX_VALIDITY_DAYS, MAX_WARNING_DAYS,
                                  PROFILES, ROLE_ARN_PATTERN, SUBJECT_MAX_LENGTHS, account_of)
from pca_import.core.renewal import DEFAULT_RENEW_BEFORE_DAYS
from pca_import.core.schema import Choice, Error, Field, Flag, Model, Text, Whole, camel, snake
from pca_import.errors import HierarchyError  # noqa: F401 (defined with the other errors)

NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
ARN = r"^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:[0-9]{12}:certificate-authority/[A-Za-z0-9-]+$"


@dataclass
class Node:
    name: str
    type: str
    subject: dict[str, str]
    key_algorithm: str = DEFAULT_KEY_ALGORITHM
    parent: str | None = None          # a Private CA node that signs this one
    signer: str = "pca"                # self (root), pca (parent), external (signer stack or files)
    path_length: int | None = None
    validity_days: int = DEFAULT_VALIDITY_DAYS["ROOT"]
    arn: str | None = None             # an existing CA to adopt instead of creating one
    certificate_file: str | None = None
    chain_file: str | None = None
    certificate: str | None = None     # the manual path in config: signed PEM pasted by a person
    certificate_chain: str | None = None
    on_delete: str = "retain"
    rule_profile: str = DEFAULT_PROFILE
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS
    renew_before_days: int = DEFAULT_RENEW_BEFORE_DAYS
    region: str | None = None          # where the CA lives (None: the stack's aws:region)
    enabled: bool = True               # declared state: ACTIVE (true) or DISABLED (false)
    account: dict | None = None        # {role_arn, external_id, session_name}: the CA's account, if not the stack's
    children: list[str] = field(default_factory=list)


# ---- the schema -----------------------------------------------------------------------------------------

def _supported(key_algorithm: str) -> Optional[str]:
    return None if key_algorithm in KEY_ALGORITHMS else "is not supported by Private CA"


def _signer_fits_type(ca: dict) -> Optional[str]:
    """What a CA's entry says about who signs it, taken together."""
    account, arn, region = ca["account"], ca["arn"], ca["region"]
    if (ca["certificate"] or ca["certificate_file"]) and ca["signer"] != "external":
        return ("`certificate`/`certificateFile` supply an externally signed certificate: add `signer: external` "
                "(a ROOT or a PCA-signed CA gets its certificate from Private CA)")
    if (ca["certificate_chain"] or ca["chain_file"]) and not (ca["certificate"] or ca["certificate_file"]):
        return "`certificateChain`/`chainFile` without `certificate`/`certificateFile`: give the signed certificate too"
    if arn and account and account_of(account["role_arn"]) != account_of(arn):
        return (f"`account.roleArn` is in account {account_of(account['role_arn'])}, not the account of `arn` (a CA "
                "is reached through a role of its own account): correct one of them")
    if arn and region and f":acm-pca:{region}:" not in arn:
        return (f"`region` {region} is not the region of `arn` (a CA lives in the region its ARN names): remove "
                "`region` or correct it")
    if ca["type"] == "ROOT":
        if ca["parent"] or ca["signer"] not in (None, "self"):
            return "a ROOT signs itself: remove `parent`/`signer`"
    elif bool(ca["parent"]) == (ca["signer"] == "external"):
        return "a SUBORDINATE needs exactly one of `parent: <name of a CA above>` or `signer: external`"
    elif ca["signer"] == "self":
        return "only a ROOT signs itself: use `parent: <name of a CA above>` or `signer: external`"
    return None


def _subject_field(name: str, pattern: Optional[str] = None, required: bool = False) -> Field:
    """A subject attribute; lengths are Private CA's (ASN1Subject)."""
    kind = Text(SUBJECT_MAX_LENGTHS[name], pattern)
    return Field(snake(name), kind, **({} if required else
                                                                          {"default": None, "optional": True}))


SUBJECT = Model("subject", (  # the CA's distinguished name
    _subject_field("commonName", required=True), _subject_field("organization"),
    _subject_field("organizationalUnit"), _subject_field("country", r"^[A-Za-z]{2}$"), _subject_field("state"),
    _subject_field("locality")))

ACCOUNT = Model("account", (  # the CA's account when it is not the stack's own: a role assumed from the stack's
    Field("role_arn", Text(2048, ROLE_ARN_PATTERN)),                            # credentials
    Field("external_id", Text(1224), None, optional=True),
    Field("session_name", Text(64, r"^[A-Za-z0-9_+=,.@-]{2,64}$"), None, optional=True)))  # ASCII, as STS

CA_CONFIG = Model("CA", (  # one entry of `pca-import:hierarchy`
    Field("name", Text(63, NAME.pattern)),
    Field("type", Choice(("ROOT", "SUBORDINATE"), upper=True)),
    Field("subject", SUBJECT, None, optional=True),
    Field("key_algorithm", Text(min_length=0), DEFAULT_KEY_ALGORITHM, rule=_supported),
    Field("parent", Text(63), None, optional=True),
    Field("signer", Choice(("self", "pca", "external")), None, optional=True),
    Field("path_length", Whole(0, 3), None, optional=True),
    Field("validity_days", Whole(1, MAX_VALIDITY_DAYS), None, optional=True),
    Field("arn", Text(None, ARN), None, optional=True),
    Field("certificate_file", Text(), None, optional=True),
    Field("chain_file", Text(), None, optional=True),
    Field("certificate", Text(), None, optional=True),
    Field("certificate_chain", Text(), None, optional=True),
    Field("on_delete", Choice(("retain", "disable")), "retain"),
    Field("rule_profile", Choice(tuple(PROFILES)), DEFAULT_PROFILE),
    Field("expiry_warning_days", Whole(0, MAX_WARNING_DAYS), DEFAULT_EXPIRY_WARNING_DAYS),
    Field("renew_before_days", Whole(0, MAX_VALIDITY_DAYS), None, optional=True),
    Field("region", Text(40, r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"), None, optional=True),
    Field("enabled", Flag(), True),
    Field("account", ACCOUNT, None, optional=True),
), rules=(_signer_fits_type,))


@dataclass(frozen=True)
class Signing:
    """One entry of the signer stack's `pca-import:signs`."""
    validity_days: int = DEFAULT_VALIDITY_DAYS["SUBORDINATE"]
    path_length: Optional[int] = None
    renewal: int = 0


SIGN_CONFIG = Model("signing", (
    Field("validity_days", Whole(1, MAX_VALIDITY_DAYS), Signing.validity_days),
    Field("path_length", Whole(0, MAX_DEPTH - 2), None, optional=True),
    Field("renewal", Whole(0), 0)))


# ---- what a person reads when a field is wrong ---------------------------------------------------------

_FIX = {
    "name": "lower-case letters, digits and dashes, starting with a letter, e.g. `name: issuing`",
    "type": "`type: ROOT` or `type: SUBORDINATE`",
    "subject": "a mapping, e.g. `subject: {commonName: Example CA, organization: Example}`",
    "commonName": "text of 1 to 64 characters, e.g. `commonName: Example Issuing CA`",
    "organization": "text of at most 64 characters",
    "organizationalUnit": "text of at most 64 characters",
    "country": "a two-letter country code in quotes, e.g. `country: \"NO\"`",
    "state": "text of at most 128 characters",
    "locality": "text of at most 128 characters",
    "parent": "the `name` of a CA above in this list",
    "signer": "`signer: external` for a CA signed outside Private CA (a ROOT or a CA with `parent` needs none)",
    "pathLength": "0, 1, 2 or 3 without quotes (the Private CA subordinate templates)",
    "validityDays": f"a whole number of days from 1 to {MAX_VALIDITY_DAYS} without quotes, e.g. `validityDays: 1825`",
    "arn": "arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>",
    "certificateFile": "a path to the signed PEM file (relative to the project directory)",
    "chainFile": "a path to the chain PEM file (relative to the project directory)",
    "certificate": "the signed PEM as text, e.g. `certificate: |` followed by the PEM lines",
    "certificateChain": "the chain PEM as text, e.g. `certificateChain: |` followed by the PEM lines",
    "onDelete": "`onDelete: retain` (the default) or `onDelete: disable`",
    "ruleProfile": f"one of {', '.join(PROFILES)}",
    "expiryWarningDays": f"a whole number of days from 0 to {MAX_WARNING_DAYS} without quotes",
    "renewBeforeDays": f"a whole number of days from 0 to {MAX_VALIDITY_DAYS} without quotes, shorter than "
                       "the CA's validityDays, e.g. `renewBeforeDays: 90`",
    "region": "an AWS region name such as eu-west-1",
    "account": "`account: {roleArn: arn:aws:iam::<12-digit account>:role/<name>}` (optional `externalId`, "
               "`sessionName`)",
    "roleArn": "an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>",
    "externalId": "the ExternalId the role's trust policy requires, as text",
    "sessionName": "2 to 64 letters, digits or +=,.@_-",
    "renewal": "a whole number >= 0 without quotes; bump it to sign again",
    "enabled": "`enabled: true` (the default: the CA is kept ACTIVE) or `enabled: false` (kept DISABLED, e.g. "
               "during an incident), without quotes",
}
_PROBLEM = {
    "int_type": "must be a whole number", "string_type": "must be text",
    "string_unicode": "is not valid text (it holds an unpaired surrogate)", "model_type": "must be a mapping",
    "bool_type": "must be true or false",
    "literal_error": "is not an allowed value", "missing": "is required",
    "greater_than_equal": "is too small", "less_than_equal": "is too large", "string_too_short": "is empty",
    "string_too_long": "is too long", "string_pattern_mismatch": "is not in the expected form",
}


def _fix(field_name: str) -> str:
    if field_name == "keyAlgorithm":  # read at call time: the set of algorithms can grow
        return f"one of {', '.join(KEY_ALGORITHMS)}"
    return _FIX.get(field_name, "")


def _got(value: Any) -> str:
    """A short description of a wrong value; text that could be a PEM block or a secret is never quoted."""
    if isinstance(value, bool):
        return f"got {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"got {value!r}"
    if isinstance(value, str):
        if len(value) <= 40 and "-----" not in value and "\n" not in value:
            return f"got {value!r}"
        return "got text"
    if isinstance(value, list):
        return "got a list"
    if isinstance(value, dict):
        return "got a mapping"
    return f"got {type(value).__name__}"


def _where(prefix: str, name: str | None) -> str:
    return prefix + (f" ({name})" if name else "")


def _render(prefix: str, name: str | None, raw: Any, errors: list[Error], model: Model) -> list[str]:
    lines = []
    for err in errors:
        loc = [str(p) for p in err.loc]
        where = _where(prefix, name) + "".join(f".{p}" for p in loc)
        if not loc and err.kind in _PROBLEM:  # the entry itself has the wrong type
            lines.append(f"{where}: {_PROBLEM[err.kind]} ({_got(raw)})")
            continue
        if not loc:  # a check across fields of this entry
            lines.append(f"{where}: {err.message}")
            continue
        value: Any = raw
        for p in err.loc:
            value = value.get(p) if isinstance(value, dict) else None
        if err.kind == "extra_forbidden":
            nested = next((f.kind for f in model.fields if f.key == loc[0] and isinstance(f.kind, Model)), None)
            fields = model.keys if len(loc) == 1 or nested is None else nested.keys
            lines.append(f"{where}: unknown field: allowed are {', '.join(fields)}")
            continue
        problem = _PROBLEM.get(err.kind) or err.message
        got = "" if err.kind == "missing" else f" ({_got(value)})"
        fix = _fix(loc[-1])
        lines.append(f"{where}: {problem}{got}" + (f": use {fix}" if fix else ""))
    return lines


def _private_keys(value: Any, path: str = "") -> list[str]:
    """Paths of strings that hold a PEM private key, anywhere in a config value."""
    if isinstance(value, str):
        if "-----BEGIN" in value and ("PRIVATE KEY" in value or any(lbl in value for lbl in PRIVATE_KEY_LABELS)):
            return [path]
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _private_keys(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _private_keys(v, f"{path}[{i}]")]
    return []


_KEY_IN_CONFIG = ("remove it from the stack config — only certificates belong here. Nothing was registered, but "
                  "Pulumi itself prints the stack config with `preview --json` and records it in the update "
                  "history of an `up --skip-preview`: if either ran, or the file was committed or shared, treat "
                  "the key as exposed and replace it")


def private_key_problems(prefix: str, value: Any, fix: str = _KEY_IN_CONFIG) -> list[str]:
    """One line per place in `value` that holds a private key; the key itself is never repeated."""
    return [f"{prefix}{path}: holds a private key (a `-----BEGIN ... PRIVATE KEY-----` block): {fix}"
            for path in _private_keys(value)]


# ---- pca-import:hierarchy -------------------------------------------------------------------------------

def parse_renew_before_days(raw: Any) -> int:
    """The hierarchy-wide default `pca-import:renewBeforeDays` (None: 30)."""
    if raw is None:
        return DEFAULT_RENEW_BEFORE_DAYS
    if isinstance(raw, str) and raw.strip().isdigit():  # `pulumi config set` stores text
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_VALIDITY_DAYS:
        raise HierarchyError(f"pca-import:renewBeforeDays: must be a whole number of days from 0 to "
                             f"{MAX_VALIDITY_DAYS} ({_got(raw)}), e.g. `pca-import:renewBeforeDays: 90`")
    return raw


def parse_hierarchy(raw: Any, renew_before_days: int = DEFAULT_RENEW_BEFORE_DAYS,
                    where: str = "pca-import:hierarchy") -> list[Node]:
    """Validate the hierarchy config and return its nodes, parents before children.

    `renew_before_days` is the hierarchy-wide default (`pca-import:renewBeforeDays`) for entries without
    their own. `where` names the list in messages (the stack config key, or a component's argument). Raises one
    HierarchyError listing every mistake found."""
    if not isinstance(raw, list) or not raw:
        raise HierarchyError(f"{where} must be a non-empty list of CAs (see docs/hierarchy.md)")
    secrets = [line for i, item in enumerate(raw) for line in private_key_problems(
        _where(f"{where}[{i}]", _valid_name(item)), item)]
    if secrets:  # nothing else is checked: the fix is to take the key out first
        raise HierarchyError(secrets)
    problems: list[str] = []
    nodes: dict[str, Node] = {}
    positions: dict[str, int] = {}
    links: list[tuple[int, str | None, str]] = []  # (position, name, parent) of every entry, valid or not
    for i, item in enumerate(raw):
        prefix = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{prefix}: each CA must be a mapping with at least `name` and `type` ({_got(item)})")
            continue
        name = _valid_name(item)
        if isinstance(item.get("parent"), str) and item["parent"]:
            links.append((i, name, item["parent"]))
        ca, errors = CA_CONFIG.validate(item)
        if ca is None:
            problems += _render(prefix, name, item, errors, CA_CONFIG)
            if name:
                positions.setdefault(name, i)
            continue
        if ca["name"] in positions:
            problems.append(f"{_where(prefix, ca['name'])}: this name is used twice: names must be unique")
            continue
        positions[ca["name"]] = i
        node = _node(ca, renew_before_days)
        if node.signer != "external" and node.renew_before_days >= node.validity_days:
            own = "renewBeforeDays" if ca["renew_before_days"] is not None else "pca-import:renewBeforeDays (default)"
            problems.append(f"{_where(prefix, ca['name'])}.renewBeforeDays: {own} {node.renew_before_days} is not "
                            f"shorter than validityDays {node.validity_days}: every certificate would be due at "
                            "once (a renewal at every `up`): use fewer days than the validity, e.g. "
                            f"`renewBeforeDays: {max(node.validity_days // 10, 1) if node.validity_days > 1 else 0}`")
            continue
        nodes[ca["name"]] = node
    problems += _check_links(nodes, positions, links, where)
    if problems:
        raise HierarchyError(problems)
    return _ordered(nodes)


def renewal_hints(nodes: list[Node]) -> list[str]:
    """Windows that make a CA wait for its parent: a PCA-signed CA with a larger `renewBeforeDays` than its
    parent's falls due, once its certificate is capped at the parent's expiry, while the parent is not yet due;
    a certificate cannot outlive its issuer, so it renews only after the parent does. Not an error: said once
    per run (equal windows fall due together, and the parent renews first in the same `up`)."""
    by_name = {n.name: n for n in nodes}
    return [f"pca-import:hierarchy ({n.name}).renewBeforeDays: {n.renew_before_days} is larger than its parent "
            f"{n.parent}'s {by_name[n.parent].renew_before_days}: once its certificate ends with {n.parent}'s, it "
            f"falls due before {n.parent} does and waits for {n.parent} to renew first; give {n.parent} at least "
            f"renewBeforeDays: {n.renew_before_days} to renew both in time"
            for n in nodes if n.signer == "pca" and n.parent in by_name
            and n.renew_before_days > by_name[n.parent].renew_before_days]


def _valid_name(item: Any) -> str | None:
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) and NAME.match(name) else None


def _node(ca: dict, renew_before_days: int = DEFAULT_RENEW_BEFORE_DAYS) -> Node:
    """A valid entry (CA_CONFIG's values) as a node; the subject keyed as in config, the account by field name."""
    subject = ({camel(k): v for k, v in ca["subject"].items() if v is not None} if ca["subject"]
               else {"commonName": ca["name"]})
    account = {k: v for k, v in ca["account"].items() if v is not None} if ca["account"] else None
    signer = "self" if ca["type"] == "ROOT" else ("external" if ca["signer"] == "external" else "pca")
    fields = ("name", "type", "key_algorithm", "parent", "path_length", "arn", "certificate_file", "chain_file",
              "certificate", "certificate_chain", "on_delete", "rule_profile", "expiry_warning_days", "region",
              "enabled")
    return Node(**{k: ca[k] for k in fields}, subject=subject, signer=signer, account=account,
                validity_days=ca["validity_days"] or DEFAULT_VALIDITY_DAYS[ca["type"]],
                renew_before_days=renew_before_days if ca["renew_before_days"] is None else ca["renew_before_days"])


def _check_links(nodes: dict[str, Node], positions: dict[str, int],
                 links: list[tuple[int, str | None, str]], where: str = "pca-import:hierarchy") -> list[str]:
    """Parents that exist (for every entry, even one with mistakes of its own), then for the valid entries no
    cycles, depth and path lengths; fills `children`."""
    problems = []
    for i, name, parent in links:
        if parent not in positions:
            others = [k for k in positions if k != name]
            problems.append(f"{_where(f'{where}[{i}]', name)}: `parent` {parent!r} is not a CA in this "
                            f"hierarchy: use one of {', '.join(others) or '(none: add the parent CA first)'}")
    for n in nodes.values():
        if n.parent in nodes:
            nodes[n.parent].children.append(n.name)
    if problems:
        return problems
    depth: dict[str, int] = {}

    def visit(n: Node, seen: tuple[str, ...]) -> int:
        if n.name in seen:
            raise HierarchyError(f"{where}: `parent` links form a cycle: {' -> '.join(seen + (n.name,))}")
        if n.name not in depth:
            depth[n.name] = 1 if n.parent is None else visit(nodes[n.parent], seen + (n.name,)) + 1
        return depth[n.name]

    for n in nodes.values():
        if n.parent is not None and n.parent not in nodes:
            continue  # its parent has a mistake of its own, reported above
        try:
            level = visit(n, ())
        except HierarchyError as exc:
            return exc.problems
        except KeyError:
            continue
        if level > MAX_DEPTH:
            problems.append(f"{where}: {n.name} would be level {level}; AWS Private CA allows at "
                            f"most {MAX_DEPTH} levels")

    def height(n: Node) -> int:
        return 0 if not n.children else 1 + max(height(nodes[c]) for c in n.children)

    if problems:
        return problems
    for n in nodes.values():
        if n.signer != "pca":
            continue
        h = height(n)
        if n.path_length is None:
            n.path_length = min(h, 3)
        if n.path_length < h:
            problems.append(f"{where}: {n.name} has pathLength {n.path_length} but {h} level(s) of "
                            "CAs below it: raise pathLength or flatten the hierarchy")
    return problems


def _ordered(nodes: dict[str, Node]) -> list[Node]:
    ordered: list[Node] = []
    done: set[str] = set()

    def visit(n: Node) -> None:
        if n.name in done:
            return
        if n.parent is not None:
            visit(nodes[n.parent])
        done.add(n.name)
        ordered.append(n)

    for n in nodes.values():
        visit(n)
    return ordered


# ---- pca-import:signs (signer stack) ----------------------------------------------------------------------

def parse_signs(raw: Any) -> dict[str, Signing]:
    """Validate the signer stack's `pca-import:signs` ({ca name: {validityDays, pathLength, renewal}})."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise HierarchyError(f"pca-import:signs must be a mapping of CA names to settings ({_got(raw)}), e.g. "
                             "`partner: {validityDays: 1825, pathLength: 0}`")
    secrets = private_key_problems("pca-import:signs", raw)
    if secrets:
        raise HierarchyError(secrets)
    problems, out = [], {}
    for name, item in raw.items():
        prefix = f"pca-import:signs.{name}"
        values, errors = SIGN_CONFIG.validate({} if item is None else item)
        if values is None:
            problems += _render(prefix, None, item, errors, SIGN_CONFIG)
        else:
            out[name] = Signing(**values)
    if problems:
        raise HierarchyError(problems)
    return out
