"""The `pca-import` command line: the rule engine with text or JSON out, plus one-shot AWS commands.

Exit codes (all commands): 0 importable / success (warnings allowed), 1 not importable / the AWS step
failed / refused, 2 usage error, unreadable input or a missing extra (`pca-import[aws]`, `[emulator]`).
`validate`, `rules` and `tf-external` never import boto3 or pulumi.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from pca_import.aws.emulator import add_arguments as add_emulator_arguments
from pca_import.core.validate import DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_PROFILE, MAX_WARNING_DAYS, PROFILES, catalogue, validate_import
from pca_import.errors import ActionableError, InputError, MissingExtra, UsageError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


READ_LIMIT = 8 * 1024 * 1024 + 1


def _read_capped(fh) -> bytes:
    """Read up to READ_LIMIT bytes (past the engine's raw limits: SIZE003 refuses it unparsed), in chunks, so
    a small file costs a small buffer."""
    parts, size = [], 0
    while size < READ_LIMIT:
        chunk = fh.read(min(1 << 16, READ_LIMIT - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _read(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        if path == "-":
            return _read_capped(sys.stdin.buffer)
        with open(path, "rb") as fh:
            return _read_capped(fh)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def cmd_validate(args) -> int:
    if [args.certificate, args.chain, args.csr].count("-") > 1:
        raise UsageError("only one of --certificate, --chain, --csr can be read from stdin (-)")
    report = validate_import(_read(args.certificate), _read(args.chain), csr=_read(args.csr),
                             ca_type=args.ca_type, profile=args.profile,
                             expiry_warning_days=args.expiry_warning_days)
    print(report.to_json() if args.json else report.to_text())
    return EXIT_OK if report.ok else EXIT_INVALID


def rules_markdown() -> str:
    """The rules reference (docs/rules-reference.md), generated from the catalogue: one row per rule."""
    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")
    lines = ["# Rules reference", "",
             "Generated from the rule catalogue by `pca-import rules --markdown > docs/rules-reference.md`; "
             "a test keeps it current. Codes are stable and never reused.", "",
             "| code | severity | title | AWS exception | needs | source | quote |", "|---|---|---|---|---|---|---|"]
    for r in catalogue():
        sev = r["severity"] if r["severity"] == r["strict_severity"] else f"{r['severity']} (strict: {r['strict_severity']})"
        lines.append(f"| {r['code']} | {sev} | {cell(r['title'])} | {r['aws_exception'] or ''} | "
                     f"{', '.join(r['needs'])} | {cell(r['source'])} | {cell(r['citation'])} |")
    return "\n".join(lines) + "\n"


def cmd_rules(args) -> int:
    rules = catalogue()
    if args.json:
        print(json.dumps(rules, indent=2))
        return EXIT_OK
    if args.markdown:
        sys.stdout.write(rules_markdown())
        return EXIT_OK
    for r in rules:
        sev = r["severity"] if r["severity"] == r["strict_severity"] else f"{r['severity']} (strict: {r['strict_severity']})"
        exc = f" -> AWS {r['aws_exception']}" if r.get("aws_exception") else ""
        print(f"{r['code']:9} {sev:8} {r['title']}{exc}\n          cites ({r['source']}): {r['citation']}")
    return EXIT_OK


TF_QUERY_KEYS = ("certificate", "certificate_chain", "csr", "ca_type", "profile")
TF_QUERY_LIMIT = 16 * 1024 * 1024  # the query holds at most a 2 MB chain (JSON-escaped) and a certificate


def _tf_query(raw: bytes) -> dict[str, str]:
    """The `external` data source's query: a JSON object of strings (Terraform sends nothing else), checked."""
    if len(raw) > TF_QUERY_LIMIT:
        raise UsageError(f"the query is over {TF_QUERY_LIMIT} bytes; AWS accepts at most a 2 MB chain")

    not_a_number = object()  # NaN, Infinity: not JSON numbers; kept so the key holding one can be named
    try:
        query = json.loads(raw.decode("utf-8") or "{}", parse_constant=lambda _name: not_a_number)
    except RecursionError:
        nested = _nested_keys(raw)
        where = f"query value(s) {', '.join(nested)} are" if nested else "the query is"
        raise UsageError(f"{where} nested too deeply: pass a flat JSON object of strings") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"the query is not valid JSON ({exc}): pass a flat JSON object of strings") from None
    if not isinstance(query, dict):
        raise UsageError(f"the query is a JSON {type(query).__name__}, not an object: pass a flat object of strings "
                         f"with keys {', '.join(TF_QUERY_KEYS)}")
    wrong = [k for k, v in query.items() if not isinstance(v, str)]  # null too: Terraform sends only strings
    if wrong:
        raise UsageError(f"query value(s) {', '.join(sorted(wrong))} must be strings, not "
                         f"{', '.join(sorted({_json_kind(query[k], not_a_number) for k in wrong}))} (Terraform's "
                         "`external` query is a map of strings)")
    unknown = sorted(set(query) - set(TF_QUERY_KEYS))
    if unknown:
        raise UsageError(f"unknown query key(s) {', '.join(unknown)}: use {', '.join(TF_QUERY_KEYS)}")
    ca_type = (query.get("ca_type") or "").upper()
    if ca_type and ca_type not in ("ROOT", "SUBORDINATE"):
        raise UsageError(f"ca_type {query['ca_type']!r} must be ROOT, SUBORDINATE or empty")
    if (query.get("profile") or DEFAULT_PROFILE) not in PROFILES:
        raise UsageError(f"profile {query['profile']!r} must be one of {', '.join(PROFILES)}")
    return query


def _json_kind(value, not_a_number) -> str:
    if value is not_a_number:
        return "NaN/Infinity"
    return {type(None): "null", bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _nested_keys(raw: bytes) -> list[str]:
    """The top-level keys of a JSON object whose values are arrays or objects, found without recursion (for a
    query too deeply nested for the parser). Best effort: [] when the text is not an object."""
    text = raw.decode("utf-8", errors="replace")
    keys, depth, i, key, expect_value = [], 0, 0, None, False
    while i < len(text):
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if depth == 1 and not expect_value:
                try:
                    key = json.loads(text[i:j + 1])
                except ValueError:
                    key = text[i + 1:j]
            i = j + 1
            continue
        if ch == ":" and depth == 1:
            expect_value = True
        elif ch in "[{":
            if depth == 1 and expect_value and key is not None and key not in keys:
                keys.append(key)
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 1:
            expect_value, key = False, None
        i += 1
    return sorted(keys)


def cmd_tf_external(args) -> int:
    """Terraform `external` data source: JSON query on stdin, flat string map on stdout."""
    try:
        query = _tf_query(sys.stdin.buffer.read(TF_QUERY_LIMIT + 1))
    except UsageError as exc:
        print(f"pca-import tf-external: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = validate_import(query.get("certificate") or None, query.get("certificate_chain") or None,
                             csr=query.get("csr") or None, ca_type=query.get("ca_type") or None,
                             profile=query.get("profile") or DEFAULT_PROFILE)
    if not report.ok:
        print("pca-import: the CA certificate is not importable:\n" + report.to_text(), file=sys.stderr)
        return EXIT_INVALID
    out = {"ok": "true", "ca_type": report.ca_type or "", "certificate": report.certificate or "",
           "certificate_chain": report.certificate_chain or "",
           "warnings": "\n".join(f.to_text() for f in report.warnings)}
    out.update({k: str(v) for k, v in report.facts.items()})
    print(json.dumps(out))
    return EXIT_OK


def cmd_tf_plan(args) -> int:
    """Check every aws_acmpca_certificate_authority_certificate of a Terraform/OpenTofu JSON plan."""
    from pca_import.integrations.tf_plan import PlanError, check_plan
    raw = _read(args.plan)
    try:
        plan = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise UsageError(f"{args.plan} is nested too deeply to be a Terraform plan") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{args.plan} is not JSON ({exc}): produce it with `terraform show -json plan.out`") from None
    try:
        results = check_plan(plan, profile=args.profile)
    except PlanError as exc:
        raise UsageError(f"{args.plan}: {exc}") from None
    ok = all(r.report is None or r.report.ok for r in results)
    if args.json:
        print(json.dumps({"ok": ok, "resources": [r.to_dict() for r in results]}, indent=2))
        return EXIT_OK if ok else EXIT_INVALID
    if not results:
        print(f"no {'aws_acmpca_certificate_authority_certificate'} in the plan: nothing to check")
    for r in results:
        ca = f" (CA {r.ca_address}{', ' + r.ca_type if r.ca_type else ''})" if r.ca_address else ""
        if r.report is None:
            print(f"{r.address}{ca}: {r.status} — {r.reason}")
            continue
        print(f"{r.address}{ca}:")
        print("  " + r.report.to_text().replace("\n", "\n  "))
    checked = [r for r in results if r.report is not None]
    bad = [r for r in checked if not r.report.ok]
    print(f"{len(checked)} checked, {len(bad)} not importable, {len(results) - len(checked)} not checked")
    return EXIT_OK if ok else EXIT_INVALID


def _stack_cas(stack: str, work_dir: str, output: str = "cas") -> object:
    """The per-CA output of a stack, read with the Automation API (the `pulumi` on PATH, the user's backend)."""
    import shutil
    try:
        from pulumi import automation as auto
    except ImportError as exc:  # `pip install .` has no pulumi: name the extra, as import/status do for boto3
        raise MissingExtra("pulumi", exc.name or "pulumi", "`pca-import tree --stack`") from None
    if not shutil.which("pulumi"):
        raise UsageError("`--stack` needs the Pulumi CLI on PATH (or pass `pulumi stack output cas --json` with "
                         "--cas-json -)")
    from pca_import.integrations.tree import with_refreshed_state
    try:
        ws = auto.LocalWorkspace(work_dir=work_dir, pulumi_command=auto.PulumiCommand(skip_version_check=True))
        selected = auto.Stack.select(stack, ws)
        outputs = selected.outputs()
        # a refresh updates the resources' state, not the program's outputs: the state has the CAs' status
        resources = (selected.export_stack().deployment or {}).get("resources") or []
    except auto.errors.CommandError as exc:
        first = next((ln for ln in str(exc).splitlines() if "error:" in ln), str(exc).strip().splitlines()[-1:])
        raise UsageError(f"cannot read stack {stack!r} in {work_dir}: {first}") from None
    from pca_import.integrations.tree import stack_output
    cas = stack_output({k: v.value for k, v in outputs.items()}, stack, output)  # InputError names what is missing
    return with_refreshed_state(cas, resources)


def cmd_tree(args) -> int:
    """The hierarchy as a terminal tree, a Mermaid flowchart or Gantt chart, or JSON."""
    from pca_import.core import clock
    from pca_import.integrations import tree
    if args.cas_json:
        try:
            cas = json.loads(_read(args.cas_json).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise UsageError(f"{args.cas_json} is not the JSON of a `cas` output ({exc})") from None
        records = tree.from_stack_output(cas)
    elif args.stack:
        import os
        if not os.path.isdir(args.cwd):
            raise UsageError(f"--cwd {args.cwd}: not a directory; pass the Pulumi project's directory")
        records = tree.from_stack_output(_stack_cas(args.stack, args.cwd, args.output))
    else:
        from pca_import.aws.client import AwsError
        try:
            records = tree.from_certificates(_pca(args).list_cas())
        except AwsError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_INVALID
    print(tree.render(records, args.format, clock.now()))
    return EXIT_OK


def _settings_options(args):
    from pca_import.core.options import ImportOptions
    options, problems = ImportOptions.from_props({"rule_profile": args.profile})
    if problems:
        raise UsageError("; ".join(m for _p, m in problems))
    return options


def _owner_advice(owner: str) -> str:
    return (f"Import through that stack instead, or pass --force to import anyway: {owner} will see the change as "
            "drift at its next refresh and restore its own certificate at its next up.")


def cmd_import(args) -> int:
    from pca_import.aws.client import check_owner
    options = _settings_options(args)
    certificate, chain = _read(args.certificate), _read(args.chain)
    pca = _pca(args)
    if args.dry_run:
        view = pca.preflight(args.ca_arn, certificate, chain, options=options, fetch_held=False)
        check_owner(args.ca_arn, view.owner, None, force=args.force, advice=_owner_advice)
        ca, report = view.ca, view.report
        owned = f", managed by {view.owner}" if view.owner else ""
        print(report.to_json() if args.json else
              f"{args.ca_arn} ({ca['type']}, {ca['status']}, {ca['key_algorithm']}{owned}): dry run, nothing sent\n"
              + report.to_text())
        return EXIT_OK if report.ok else EXIT_INVALID
    result = pca.import_certificate(
        args.ca_arn, certificate, chain, options=options, force=args.force, replace_held=args.renew,
        held_advice="To replace it with this one (a renewal: the rules have checked the key is the CA's), "
                    "pass --renew.",
        owner_advice=_owner_advice)
    print(json.dumps(result, indent=2) if args.json else
          f"{'imported' if result['imported'] else 'already held (no import call)'}: "
          f"{result['subject']} serial {result['serial']} into {args.ca_arn} ({result['status']}), "
          f"expires {result['not_after']}")
    return EXIT_OK


_STATUS_FIX = {
    "PENDING_CERTIFICATE": "import its first certificate (pca-import import)",
    "DISABLED": "enable it (`pulumi refresh` then `pulumi up` on its stack, or aws acm-pca "
                "update-certificate-authority --status ACTIVE); if it was disabled on purpose, declare it "
                "(`enabled: false`) and check it with --declared disabled",
    "ACTIVE": "disable it (`pulumi refresh` then `pulumi up` on its stack, or aws acm-pca "
              "update-certificate-authority --status DISABLED), or declare it enabled",
    "EXPIRED": "renew it (pca-import import --renew, or `pulumi up` with the new certificate)",
    "CREATING": "wait for it to reach PENDING_CERTIFICATE, then import its certificate",
    "FAILED": "delete it and create a new CA",
}


def _pca(args):
    """The AWS adapter for a command: the environment's credentials, or an account's role (`--role-arn`)."""
    from pca_import.aws.client import ROLE_ARN, AccountRole, PrivateCa
    role = getattr(args, "role_arn", None)
    if role and not ROLE_ARN.match(role):
        raise UsageError(f"--role-arn {role!r} is not an IAM role ARN: use arn:aws:iam::<12-digit account>:role/<name>")
    return PrivateCa.from_environment().as_role(AccountRole(role, getattr(args, "external_id", None)) if role else None)


def cmd_status(args) -> int:
    st = _pca(args).status(args.ca_arn)
    wanted = "DISABLED" if args.declared == "disabled" else "ACTIVE"
    st["declared_status"] = wanted
    if args.json:
        print(json.dumps(st, indent=2))
    else:
        for k in ("arn", "type", "status", "declared_status", "key_algorithm", "subject", "serial", "not_after",
                  "days_left", "owner"):
            print(f"{k:15} {st.get(k) if st.get(k) is not None else ''}")
    status, left = st.get("status"), st.get("days_left")
    if status != wanted:
        print(f"pca-import: {args.ca_arn} is {status}, declared {args.declared} ({wanted}): "
              f"{_STATUS_FIX.get(status, 'see `pca-import status --json`')}", file=sys.stderr)
        return EXIT_INVALID
    if args.warn_days is not None and (left is None or left < args.warn_days):
        print(f"pca-import: {args.ca_arn} is {status} with "
              f"{'no certificate' if left is None else f'{left} day(s) left'} "
              f"(threshold {args.warn_days}): {_STATUS_FIX['EXPIRED']}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK




def cmd_emulator(args) -> int:
    for module in ("werkzeug", "moto"):
        try:
            __import__(module)
        except ImportError:
            raise MissingExtra("emulator", module, "`pca-import emulator`") from None
    from pca_import.aws.emulator.server import serve
    return serve(port=args.port, host=args.host)


def cmd_policy_pack(args) -> int:
    """Write pca-import's CrossGuard policy pack (and its virtualenv) into a directory, for any project."""
    from pca_import.integrations.policy_pack import write_pack
    import pathlib
    for line in write_pack(pathlib.Path(args.dir), requirement=args.requirement, venv=not args.no_venv,
                           force=args.force):
        print(line)
    return EXIT_OK


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 0 <= value <= MAX_WARNING_DAYS:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..{MAX_WARNING_DAYS} days")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pca-import", description="Check and import CA certificates into AWS Private CA.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a CA certificate and chain against every AWS import rule")
    v.add_argument("--certificate", required=True, metavar="PATH", help="PEM CA certificate (- for stdin)")
    v.add_argument("--chain", metavar="PATH", help="PEM chain: issuer first, root last")
    v.add_argument("--csr", metavar="PATH", help="the CA's CSR, to check the key matches")
    v.add_argument("--ca-type", choices=["ROOT", "SUBORDINATE"], type=str.upper)
    v.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    v.add_argument("--expiry-warning-days", type=_days, default=DEFAULT_EXPIRY_WARNING_DAYS, metavar="N",
                   help=f"warn when a certificate expires within N days (0-{MAX_WARNING_DAYS}, "
                        f"default {DEFAULT_EXPIRY_WARNING_DAYS})")
    v.add_argument("--json", action="store_true")
    v.set_defaults(fn=cmd_validate)

    r = sub.add_parser("rules", help="print the rule catalogue")
    r.add_argument("--json", action="store_true")
    r.add_argument("--markdown", action="store_true", help="the rules reference as Markdown (docs/rules-reference.md)")
    r.set_defaults(fn=cmd_rules)

    t = sub.add_parser("tf-external", help="the check as a Terraform `external` data source program")
    t.set_defaults(fn=cmd_tf_external)

    tp = sub.add_parser("tf-plan", help="check the CA certificates of a Terraform/OpenTofu plan (terraform show -json)")
    tp.add_argument("plan", metavar="PLAN.json", help="`terraform show -json plan.out` output (- for stdin)")
    tp.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    tp.add_argument("--json", action="store_true")
    tp.set_defaults(fn=cmd_tf_plan)

    tr = sub.add_parser("tree", help="draw the CA hierarchy: from a stack's `cas` output or from AWS directly")
    src = tr.add_mutually_exclusive_group()
    src.add_argument("--stack", metavar="NAME", help="the PKI stack (read with the Automation API)")
    src.add_argument("--cas-json", metavar="PATH", help="`pulumi stack output cas --json` saved to a file (- for stdin)")
    src.add_argument("--from-aws", action="store_true", help="every CA in the region, chained by issuer (default)")
    tr.add_argument("--cwd", default=".", metavar="DIR", help="the Pulumi project directory for --stack")
    tr.add_argument("--role-arn", help="with --from-aws: the account to list, reached through this role")
    tr.add_argument("--external-id", help="the ExternalId the role's trust policy requires")
    tr.add_argument("--output", default="cas", metavar="NAME",
                    help="the stack output holding the per-CA map, for --stack (default cas)")
    tr.add_argument("--format", choices=["text", "mermaid", "gantt", "json"], default="text")
    tr.set_defaults(fn=cmd_tree)

    i = sub.add_parser("import", help="validate against the live CA, then import")
    i.add_argument("--ca-arn", required=True)
    i.add_argument("--role-arn", help="the CA's account, reached through this role (STS AssumeRole)")
    i.add_argument("--external-id", help="the ExternalId the role's trust policy requires")
    i.add_argument("--certificate", required=True, metavar="PATH")
    i.add_argument("--chain", metavar="PATH")
    i.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    i.add_argument("--dry-run", action="store_true",
                   help="check against the live CA (its CSR, type, status and owner) without importing")
    i.add_argument("--renew", action="store_true",
                   help="replace the certificate an ACTIVE or EXPIRED CA holds (same key; the rules check it)")
    i.add_argument("--force", action="store_true",
                   help="import into a CA that a Pulumi stack manages (its pca-import:owner tag)")
    i.add_argument("--json", action="store_true")
    i.set_defaults(fn=cmd_import)

    s = sub.add_parser("status", help="what the CA holds, its validity and days left")
    s.add_argument("--ca-arn", required=True)
    s.add_argument("--role-arn", help="the CA's account, reached through this role (STS AssumeRole)")
    s.add_argument("--external-id", help="the ExternalId the role's trust policy requires")
    s.add_argument("--warn-days", type=_days, metavar="N",
                   help=f"exit 1 when the CA has fewer than N days left (0-{MAX_WARNING_DAYS}; for scheduled checks)")
    s.add_argument("--declared", choices=["enabled", "disabled"], default="enabled",
                   help="the CA's declared state (its `enabled` in the stack, default enabled): exit 1 unless it "
                        "is ACTIVE (enabled) or DISABLED (disabled)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_status)

    from pca_import.integrations import ceremony  # no boto3/pulumi at import: those load only for a URI key
    sg = sub.add_parser("sign", help="the ceremony: an offline root's self-signed certificate, or a CA's CSR signed "
                                     "by the offline key (file, awskms: or pkcs11:)")
    ceremony.add_arguments(sg)

    pp = sub.add_parser("policy-pack", help="write the CrossGuard policy pack and its virtualenv into DIR "
                                            "(pulumi preview --policy-pack DIR)")
    pp.add_argument("dir", metavar="DIR", help="the pack's directory (created; must be empty unless --force)")
    pp.add_argument("--requirement", metavar="SPEC",
                    help="how the pack installs pca-import (default: the way this copy was installed: its wheel, "
                         "git commit, directory or version)")
    pp.add_argument("--no-venv", action="store_true", help="write the files only; make the virtualenv yourself")
    pp.add_argument("--force", action="store_true", help="rewrite the pack's files in a directory that has some")
    pp.set_defaults(fn=cmd_policy_pack)

    e = sub.add_parser("emulator", help="run the local Private CA (moto server with faithful ACM PCA rules)")
    add_emulator_arguments(e)
    e.set_defaults(fn=cmd_emulator)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return args.fn(args)
    except InputError as exc:  # a flag, a file, a setting or PCA_IMPORT_NOW: the message names the fix
        print(f"pca-import: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ActionableError as exc:  # AWS, a refusal, a missing extra: the message names the fix
        print(str(exc) if str(exc).startswith(("AWS", "pca-import")) else f"pca-import: {exc}", file=sys.stderr)
        if getattr(exc, "report", None) is not None and not str(exc).endswith(exc.report.to_text()):
            print(exc.report.to_text(), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, MissingExtra) else EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `pca-import rules | head -1`: the reader left; not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush stays quiet
        except OSError:
            pass
        return EXIT_OK
    except OSError as exc:  # writing the output failed (a full disk, a closed terminal)
        print(f"pca-import: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
