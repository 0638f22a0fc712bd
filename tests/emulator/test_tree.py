"""`pca-import tree`: the hierarchy drawn from a `cas` output or from AWS directly."""
from __future__ import annotations

import datetime as dt
import json

import pca
from certfactory import ca
from pca_import.integrations import tree
from pca_import.integrations.cli import main

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)


def _rec(name, parent=None, *, nb="2026-01-01", na="2036-01-01", ca_type="SUBORDINATE", **kw):
    return {"name": name, "parent": parent, "type": ca_type, "status": "ACTIVE", "key_algorithm": "EC_prime256v1",
            "not_before": nb + "T00:00:00+00:00", "not_after": na + "T00:00:00+00:00", **kw}


HIER = [_rec("root", ca_type="ROOT", na="2036-01-01"), _rec("issuing", "root", na="2031-01-01"),
        _rec("leafy", "issuing", na="2032-06-01"),  # outlives its issuer
        _rec("partner", None, issuer="external (stack organization/pca-import/signer)", na="2031-01-20"),
        _rec("other", "root", na="2031-01-25")]


def test_text_tree_shows_nesting_days_left_renewal_and_problems():
    text = tree.render(HIER, "text", NOW)
    lines = text.splitlines()
    assert lines[0].startswith("root  ROOT ACTIVE EC_prime256v1  expires 2036-01-01 (3287d left), renew by 2035-12-02")
    assert any(ln.startswith("├── issuing") or ln.startswith("└── issuing") for ln in lines)
    assert any("    └── leafy" in ln or "│   └── leafy" in ln for ln in lines)
    leafy = next(ln for ln in lines if "leafy" in ln)
    assert "!! outlives its issuer issuing (2031-01-01)" in leafy
    partner = next(ln for ln in lines if ln.startswith("partner"))
    assert "signed by external (stack" in partner and "(note: 3 CAs expire in 2031-01)" in partner
    assert "!!" not in partner  # a busy month is a note, not a critical CA


def test_mermaid_flowchart_and_gantt_mark_the_problems():
    flow = tree.render(HIER, "mermaid", NOW)
    assert flow.startswith("flowchart TD") and "ca_root --> ca_issuing" in flow and "ca_issuing --> ca_leafy" in flow
    assert "-.-> ca_partner" in flow and "class " in flow
    assert flow.split("class ")[-1].split()[0] == "ca_leafy"  # the only critical one: it outlives its issuer
    gantt = tree.render(HIER, "gantt", NOW)
    assert gantt.startswith("gantt") and "dateFormat YYYY-MM-DD" in gantt
    assert "leafy (SUBORDINATE) :crit, ca_leafy, 2026-01-01, 2032-06-01" in gantt
    assert "root (ROOT) :ca_root, 2026-01-01, 2036-01-01" in gantt
    doc = json.loads(tree.render(HIER, "json", NOW))
    assert {r["name"]: r["days_left"] for r in doc}["issuing"] == 1461


def test_cli_reads_a_saved_cas_output(tmp_path, capsys):
    cas = {"root": {"arn": "arn:1", "type": "ROOT", "status": "ACTIVE", "signed_by": "itself (RootCACertificate/V1)",
                    "not_before": "2026-01-01T00:00:00+00:00", "not_after": "2036-01-01T00:00:00+00:00"},
           "issuing": {"arn": "arn:2", "type": "SUBORDINATE", "status": "ACTIVE", "parent": "root",
                       "signed_by": "root (Private CA, PathLen0)", "not_before": "2026-01-01T00:00:00+00:00",
                       "not_after": "2031-01-01T00:00:00+00:00"},
           "manual": {"arn": "arn:3", "type": "SUBORDINATE", "status": "AWAITING_CERTIFICATE",
                      "signed_by": "external (awaiting signature)", "not_after": None}}
    (tmp_path / "cas.json").write_text(json.dumps(cas))
    assert main(["tree", "--cas-json", str(tmp_path / "cas.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("manual") or "root  ROOT ACTIVE" in out
    assert "└── issuing" in out and "AWAITING_CERTIFICATE" in out
    (tmp_path / "bad.json").write_text("[1, 2")
    assert main(["tree", "--cas-json", str(tmp_path / "bad.json")]) == 2


def test_from_aws_chains_the_regions_cas_by_issuer(emulator_url, capsys):
    root_arn, root_cert = pca.pca_root("Tree Root")
    pca.import_raw(root_arn, root_cert)
    sub_arn, sub_csr = pca.create_ca("SUBORDINATE", "Tree Sub")
    cert, chain = pca.issue(root_arn, sub_csr, "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
                            days=365)
    pca.import_raw(sub_arn, cert, chain)
    offline = ca("Tree Offline Root", path_length=1)
    ext_arn, ext_csr = pca.create_ca("SUBORDINATE", "Tree Partner")
    pca.import_raw(ext_arn, pca.external_sign(ext_csr, offline, days=300, path_length=0), offline.pem)
    assert main(["tree", "--from-aws", "--format", "json"]) == 0
    recs = {r["arn"]: r for r in json.loads(capsys.readouterr().out)}
    assert (recs[sub_arn]["parent"], recs[sub_arn]["parent_name"]) == (root_arn, "Tree Root")
    assert recs[root_arn]["parent"] is None
    assert recs[ext_arn]["parent"] is None and recs[ext_arn]["issuer"] == "external (CN=Tree Offline Root)"
    assert recs[sub_arn]["days_left"] in (363, 364, 365)


def test_a_ca_not_in_its_declared_state_is_marked():
    recs = [_rec("root", ca_type="ROOT"), _rec("issuing", "root", status="DISABLED", enabled=True, na="2031-01-01"),
            _rec("kept", "root", status="ACTIVE", enabled=False, na="2032-01-01"),
            _rec("off", "root", status="DISABLED", enabled=False, na="2033-01-01")]
    marked = {r["name"]: r["problems"] for r in tree.annotate(recs, NOW)}
    assert marked == {"root": [], "issuing": ["DISABLED, declared enabled"], "kept": ["ACTIVE, declared disabled"],
                      "off": []}
    cas = {"issuing": {"type": "SUBORDINATE", "status": "ACTIVE", "enabled": True, "parent": "root"}}
    assert tree.from_stack_output(cas)[0]["enabled"] is True


def test_the_refreshed_state_overrides_the_programs_cas_output():
    cas = {"issuing": {"status": "ACTIVE", "serial": "01", "enabled": True}, "manual": {"status": "AWAITING_CERTIFICATE"}}
    arn = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/issuing"
    cas["issuing"]["arn"] = arn
    resources = [{"urn": "urn:pulumi:pki::pca-import::pulumi-python:dynamic/pca_import:CaCertificateImport::corp-issuing-cert",
                  "outputs": {"certificate_authority_arn": arn, "owner": "p/s/corp-issuing-cert", "status": "DISABLED",
                              "serial": "02", "not_after": "2031-01-01T00:00:00+00:00"}},
                 {"urn": "urn:pulumi:pki::pca-import::pulumi-python:dynamic/pca_import:PrivateCertificateAuthority::corp-issuing-ca",
                  "outputs": {"arn": arn}}]
    out = tree.with_refreshed_state(cas, resources)
    assert out["issuing"] == {"status": "DISABLED", "serial": "02", "enabled": True, "arn": arn,
                              "not_after": "2031-01-01T00:00:00+00:00"}
    assert out["manual"] == cas["manual"]


def _ids(flow: str) -> list[str]:
    return [ln.split("[", 1)[0].strip() for ln in flow.splitlines() if ln.strip().startswith("ca_") and '["' in ln]


def test_cas_with_one_name_stay_apart_in_every_format(emulator_url, capsys):
    """Three environments, each a root and an issuing CA with the same names: three trees, not one."""
    pairs = []
    for _ in range(3):
        root_arn, root_cert = pca.pca_root("Twin Root")
        pca.import_raw(root_arn, root_cert)
        sub_arn, sub_csr = pca.create_ca("SUBORDINATE", "Twin Issuing")
        cert, chain = pca.issue(root_arn, sub_csr, "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
                                days=365)
        pca.import_raw(sub_arn, cert, chain)
        pairs.append((root_arn, sub_arn))
    assert main(["tree", "--from-aws", "--format", "json"]) == 0
    recs = {r["arn"]: r for r in json.loads(capsys.readouterr().out)}  # the emulator may hold other tests' CAs
    assert all(recs[sub]["parent"] == root for root, sub in pairs)
    assert len({r["key"] for r in recs.values()}) == len(recs)
    assert main(["tree", "--from-aws", "--format", "mermaid"]) == 0
    flow = capsys.readouterr().out
    ids = _ids(flow)
    assert len(ids) == len(set(ids)) == len(recs)  # one box per CA
    twins = [i for i in ids if i.startswith("ca_Twin_")]
    assert len(twins) == 6
    edges = [ln.strip().split(" --> ") for ln in flow.splitlines() if " --> " in ln]
    assert sorted(a for a, b in edges if b.startswith("ca_Twin_Issuing")) == \
        sorted(i for i in twins if i.startswith("ca_Twin_Root"))  # each issuing CA under its own root
    assert not set(twins) & set(flow.split("class ")[-1].split()[0].split(","))  # valid for years: not critical
    assert main(["tree", "--from-aws"]) == 0
    text = capsys.readouterr().out
    for root, sub in pairs:
        assert f"Twin Root [{root}]" in text and f"Twin Issuing [{sub}]" in text
    assert main(["tree", "--from-aws", "--format", "gantt"]) == 0
    gantt = capsys.readouterr().out
    tasks = [ln.split(":", 1)[1].split(",")[-3].strip() for ln in gantt.splitlines() if " :" in ln]  # [crit,] id, from, to
    assert len(tasks) == len(set(tasks)) == len([r for r in recs.values() if r["not_before"] and r["not_after"]])


def test_critical_means_expired_due_for_renewal_or_outliving_its_issuer():
    recs = [_rec("root", ca_type="ROOT", na="2036-01-01"),
            _rec("fine", "root", na="2030-01-01"),
            _rec("due", "root", na="2027-01-20"),  # 19 days left, inside the default 30-day window
            _rec("due-late", "root", na="2027-03-01", renew_before_days=90),  # 59 days left, 90-day window
            _rec("not-due", "root", na="2027-03-01", renew_before_days=30),
            _rec("gone", "root", na="2026-12-01"),
            _rec("longer", "fine", na="2031-01-01")]
    doc = {r["name"]: r for r in json.loads(tree.render(recs, "json", NOW))}
    critical = {n for n, r in doc.items() if r["problems"]}
    assert critical == {"due", "due-late", "gone", "longer"}
    assert doc["gone"]["problems"] == ["expired"]
    flow = tree.render(recs, "mermaid", NOW)
    assert set(flow.split("class ")[-1].split()[0].split(",")) == {"ca_due", "ca_due_late", "ca_gone", "ca_longer"}
    gantt = tree.render(recs, "gantt", NOW)
    assert {ln.split(":", 1)[1].split(",")[1].strip() for ln in gantt.splitlines() if ":crit," in ln} == \
        {"ca_due", "ca_due_late", "ca_gone", "ca_longer"}


def test_a_hierarchy_created_on_one_day_is_not_critical():
    recs = [_rec("root", ca_type="ROOT", na="2036-01-01"), _rec("a", "root", na="2031-01-01"),
            _rec("b", "root", na="2031-01-01"), _rec("c", "root", na="2031-01-01")]
    doc = json.loads(tree.render(recs, "json", NOW))
    assert not any(r["problems"] for r in doc)
    assert {r["name"] for r in doc if r["notes"]} == {"a", "b", "c"}
    assert "class " not in tree.render(recs, "mermaid", NOW) and "crit" not in tree.render(recs, "gantt", NOW)


def test_a_stack_without_cas_says_what_tree_needs(tmp_path, capsys):
    try:
        tree.stack_output({"vpc_id": "vpc-1", "endpoint": "x"}, "dev")
    except ValueError as exc:
        msg = str(exc)
    assert "no `cas` output" in msg and "`endpoint`, `vpc_id`" in msg
    assert "--output NAME" in msg and "--from-aws" in msg and "arn" in msg and "role" not in msg
    assert tree.stack_output({"pki": {}}, "dev", "pki") == {}
    (tmp_path / "list.json").write_text("[1, 2]")
    assert main(["tree", "--cas-json", str(tmp_path / "list.json")]) == 2
    err = capsys.readouterr().err
    assert "per-CA map" in err and "Traceback" not in err


def test_a_cas_output_parent_points_at_the_parents_arn():
    cas = {"root": {"arn": "arn:r", "type": "ROOT", "status": "ACTIVE", "signed_by": "itself (RootCACertificate/V1)",
                    "not_before": "2026-01-01T00:00:00+00:00", "not_after": "2036-01-01T00:00:00+00:00"},
           "issuing": {"arn": "arn:i", "type": "SUBORDINATE", "status": "ACTIVE", "parent": "root",
                       "not_before": "2026-01-01T00:00:00+00:00", "not_after": "2031-01-01T00:00:00+00:00"}}
    cas["late"] = {"arn": "arn:l", "type": "SUBORDINATE", "status": "ACTIVE", "parent": "root",
                   "renew_before_days": 0, "not_before": "2026-01-01T00:00:00+00:00",
                   "not_after": "2027-01-10T00:00:00+00:00"}  # 9 days left, a deliberate 0-day window: not due
    doc = {r["name"]: r for r in json.loads(tree.render(tree.from_stack_output(cas), "json", NOW))}
    assert (doc["issuing"]["parent"], doc["issuing"]["parent_name"], doc["issuing"]["key"]) == ("arn:r", "root", "arn:i")
    assert doc["late"]["problems"] == [] and doc["late"]["renew_on"] == "2027-01-10"
