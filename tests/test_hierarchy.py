"""The hierarchy config: what users write in stacks/ and the errors they get for mistakes."""
from __future__ import annotations

import pytest
import yaml

from conftest import ROOT_DIR
from pca_import.hierarchy import HierarchyError, parse_hierarchy


def test_the_committed_pki_stack_parses_parents_first():
    cfg = yaml.safe_load(open(f"{ROOT_DIR}/stacks/Pulumi.pki.yaml"))["config"]
    nodes = parse_hierarchy(cfg["pca-import:hierarchy"])
    assert [n.name for n in nodes] == ["root", "issuing", "partner"]
    root, issuing, partner = nodes
    assert root.signer == "self" and issuing.signer == "pca" and partner.signer == "external"
    assert issuing.path_length == 0 and partner.on_delete == "disable"


def test_path_length_defaults_to_the_levels_below():
    nodes = {n.name: n for n in parse_hierarchy([
        {"name": "root", "type": "ROOT"},
        {"name": "policy", "type": "SUBORDINATE", "parent": "root"},
        {"name": "issuing", "type": "SUBORDINATE", "parent": "policy"}])}
    assert nodes["policy"].path_length == 1 and nodes["issuing"].path_length == 0


@pytest.mark.parametrize("raw, message", [
    ([], "non-empty list"),
    ([{"name": "Root", "type": "ROOT"}], "lower-case"),
    ([{"name": "a", "type": "ROOT"}, {"name": "a", "type": "ROOT"}], "used twice"),
    ([{"name": "a", "type": "INTERMEDIATE"}], "ROOT or SUBORDINATE"),
    ([{"name": "a", "type": "ROOT", "parent": "b"}], "signs itself"),
    ([{"name": "a", "type": "SUBORDINATE"}], "exactly one of"),
    ([{"name": "a", "type": "SUBORDINATE", "parent": "zz"}], "'zz' is not a CA"),
    ([{"name": "a", "type": "ROOT", "keyAlgorithm": "DSA_1024"}], "not supported"),
    ([{"name": "a", "type": "ROOT", "colour": "red"}], "unknown field"),
    ([{"name": "r", "type": "ROOT"}, {"name": "a", "type": "SUBORDINATE", "parent": "r", "certificate": "x"}],
     "add `signer: external`"),
    ([{"name": "a", "type": "SUBORDINATE", "parent": "b"}, {"name": "b", "type": "SUBORDINATE", "parent": "a"}],
     "cycle"),
    ([{"name": "r", "type": "ROOT"}, {"name": "s", "type": "SUBORDINATE", "parent": "r", "pathLength": 0},
      {"name": "t", "type": "SUBORDINATE", "parent": "s"}], "pathLength 0 but 1 level"),
    ([{"name": "l0", "type": "ROOT"}] + [{"name": f"l{i}", "type": "SUBORDINATE", "parent": f"l{i - 1}"}
                                         for i in range(1, 6)], "at most 5 levels"),
])
def test_mistakes_are_named_with_the_fix(raw, message):
    with pytest.raises(HierarchyError, match=message):
        parse_hierarchy(raw)
