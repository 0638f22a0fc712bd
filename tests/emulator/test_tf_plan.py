"""`pca-import tf-plan`: plan documents in Terraform's published JSON format (format_version 1.2): known values,
values known only after apply, modules, for_each, a CA that exists already (its type and CSR from prior_state)."""
from __future__ import annotations

import json

from certfactory import ca, chain, csr_for
from pca_import.integrations.cli import main

ROOT = ca("Plan Root")
INTER = ca("Plan Intermediate", ROOT, path_length=1)
SUB = ca("Plan Sub", INTER, path_length=0)
CERT_T, CA_T = "aws_acmpca_certificate_authority_certificate", "aws_acmpca_certificate_authority"


def _cert_change(address, *, certificate=None, chain_=None, unknown=(), actions=("create",), module=None, index=None):
    name_ = address.split(".")[-1].split("[")[0]
    rc = {"address": address, "mode": "managed", "type": CERT_T, "name": name_, "provider_name":
          "registry.terraform.io/hashicorp/aws",
          "change": {"actions": list(actions), "before": None,
                     "after": {k: v for k, v in (("certificate", certificate), ("certificate_chain", chain_))
                               if k not in unknown},
                     "after_unknown": {k: True for k in unknown}, "before_sensitive": False, "after_sensitive": {}}}
    if module:
        rc["module_address"] = module
    if index is not None:
        rc["index"] = index
    return rc


def _ca_change(address, ca_type):
    return {"address": address, "mode": "managed", "type": CA_T, "name": address.split(".")[-1].split("[")[0],
            "change": {"actions": ["create"], "before": None, "after": {"type": ca_type},
                       "after_unknown": {"arn": True, "certificate_signing_request": True}}}


def _cert_config(name_, ca_ref):
    return {"address": f"{CERT_T}.{name_}", "mode": "managed", "type": CERT_T, "name": name_,
            "expressions": {"certificate_authority_arn": {"references": [f"{ca_ref}.arn", ca_ref]},
                            "certificate": {"references": ["local.pem"]}}}


def _plan(changes, root_resources=(), module_calls=None, prior=None):
    plan = {"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": changes,
            "configuration": {"root_module": {"resources": list(root_resources), "module_calls": module_calls or {}}}}
    if prior:
        plan["prior_state"] = {"format_version": "1.0", "values": {"root_module": {"resources": prior}}}
    return plan


def _run(tmp_path, capsys, plan, *args):
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(plan))
    code = main(["tf-plan", str(p), *args])
    return code, capsys.readouterr()


def test_known_values_are_checked_per_address_with_the_planned_ca_type(tmp_path, capsys):
    plan = _plan([_ca_change(f"{CA_T}.partner", "SUBORDINATE"),
                  _cert_change(f"{CERT_T}.partner", certificate=SUB.pem, chain_=chain(ROOT, INTER))],
                 [_cert_config("partner", f"{CA_T}.partner")])
    code, out = _run(tmp_path, capsys, plan)
    assert code == 1
    assert f"{CERT_T}.partner (CA {CA_T}.partner, SUBORDINATE):" in out.out
    assert "CHAIN002" in out.out and "1 checked, 1 not importable" in out.out
    code, out = _run(tmp_path, capsys, plan, "--json")
    doc = json.loads(out.out)
    assert code == 1 and doc["ok"] is False
    [r] = doc["resources"]
    assert r["ca_type"] == "SUBORDINATE" and "CHAIN002" in {f["code"] for f in r["findings"]}


def test_unknown_certificate_waits_for_apply_and_unknown_chain_skips_only_chain_rules(tmp_path, capsys):
    plan = _plan([_cert_change(f"{CERT_T}.later", unknown=("certificate", "certificate_chain")),
                  _cert_change(f"{CERT_T}.chain_later", certificate=SUB.pem, unknown=("certificate_chain",))])
    code, out = _run(tmp_path, capsys, plan, "--json")
    doc = json.loads(out.out)
    assert code == 0, out.out
    later, chain_later = doc["resources"]
    assert later["status"] == "unknown"
    assert chain_later["status"] == "checked" and chain_later["ok"]
    assert "SUB002" in {n["code"] for n in chain_later["not_checked"]}


def test_modules_and_for_each_map_each_instance_to_its_ca(tmp_path, capsys):
    good = SUB.pem, chain(INTER, ROOT)
    self_signed = ca("Plan Other Root")
    changes = [_ca_change(f'module.pki.{CA_T}.sub["a"]', "SUBORDINATE"),
               _ca_change(f'module.pki.{CA_T}.sub["b"]', "SUBORDINATE"),
               _cert_change(f'module.pki.{CERT_T}.sub["a"]', certificate=good[0], chain_=good[1], module="module.pki",
                            index="a"),
               _cert_change(f'module.pki.{CERT_T}.sub["b"]', certificate=self_signed.pem, chain_=ROOT.pem,
                            module="module.pki", index="b")]
    module_calls = {"pki": {"source": "./pki", "module": {"resources": [_cert_config("sub", f"{CA_T}.sub")]}}}
    code, out = _run(tmp_path, capsys, _plan(changes, module_calls=module_calls), "--json")
    doc = json.loads(out.out)
    a, b = doc["resources"]
    assert a["ca_address"] == f'module.pki.{CA_T}.sub["a"]' and a["ok"]
    assert b["ca_type"] == "SUBORDINATE" and "SUB001" in {f["code"] for f in b["findings"]}
    assert code == 1


def test_an_existing_ca_gives_its_csr_so_the_key_is_checked(tmp_path, capsys):
    prior = [{"address": f"{CA_T}.partner", "mode": "managed", "type": CA_T, "name": "partner",
              "values": {"type": "SUBORDINATE", "certificate_signing_request": csr_for("someone else", "Plan Sub")}}]
    changes = [_cert_change(f"{CERT_T}.partner", certificate=SUB.pem, chain_=chain(INTER, ROOT))]
    code, out = _run(tmp_path, capsys, _plan(changes, [_cert_config("partner", f"{CA_T}.partner")], prior=prior))
    assert code == 1 and "KEY001" in out.out


def test_deletes_and_no_ops_are_not_checked_and_garbage_is_a_usage_error(tmp_path, capsys):
    plan = _plan([_cert_change(f"{CERT_T}.gone", certificate="junk", actions=("delete",)),
                  _cert_change(f"{CERT_T}.same", certificate="junk", actions=("no-op",))])
    code, out = _run(tmp_path, capsys, plan)
    assert code == 0 and "0 checked" in out.out
    (tmp_path / "bad.json").write_text('{"resource_changes": []}')
    assert main(["tf-plan", str(tmp_path / "bad.json")]) == 2
    assert "terraform show -json" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("[" * 100000)
    assert main(["tf-plan", str(tmp_path / "bad.json")]) == 2
