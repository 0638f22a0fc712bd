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
    assert "signed by external (stack" in partner and "3 CAs expire in 2031-01" in partner


def test_mermaid_flowchart_and_gantt_mark_the_problems():
    flow = tree.render(HIER, "mermaid", NOW)
    assert flow.startswith("flowchart TD") and "ca_root --> ca_issuing" in flow and "ca_issuing --> ca_leafy" in flow
    assert "-.-> ca_partner" in flow and "class " in flow and "ca_leafy" in flow.split("class ")[-1]
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
    assert recs[sub_arn]["parent"] == "Tree Root" and recs[root_arn]["parent"] is None
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
    resources = [{"urn": "urn:pulumi:pki::pca-import::pulumi-python:dynamic:Resource::issuing-cert",
                  "outputs": {"status": "DISABLED", "serial": "02", "not_after": "2031-01-01T00:00:00+00:00"}},
                 {"urn": "urn:pulumi:pki::pca-import::pulumi-python:dynamic:Resource::issuing-ca", "outputs": {}}]
    out = tree.with_refreshed_state(cas, resources)
    assert out["issuing"] == {"status": "DISABLED", "serial": "02", "enabled": True,
                              "not_after": "2031-01-01T00:00:00+00:00"}
    assert out["manual"] == cas["manual"]
