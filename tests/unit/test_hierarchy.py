"""The hierarchy config: what users write in stacks/ and the errors they get for mistakes."""
from __future__ import annotations

import pytest
import yaml

from paths import REPO

ROOT_DIR = str(REPO)
from pca_import.resources.hierarchy.program import HierarchyError, parse_hierarchy


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
    ([{"name": "a", "type": "INTERMEDIATE"}], "`type: ROOT` or `type: SUBORDINATE`"),
    ([{"name": "a", "type": "ROOT", "parent": "b"}], "signs itself"),
    ([{"name": "a", "type": "SUBORDINATE"}], "exactly one of"),
    ([{"name": "a", "type": "SUBORDINATE", "parent": "zz"}], "'zz' is not a CA"),
    ([{"name": "a", "type": "ROOT", "keyAlgorithm": "DSA_1024"}], "keyAlgorithm: is not supported"),
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


def _problems(raw) -> list[str]:
    with pytest.raises(HierarchyError) as info:
        parse_hierarchy(raw)
    return info.value.problems


ROOT = {"name": "root", "type": "ROOT"}


@pytest.mark.parametrize("field, value, expected", [
    ("validityDays", "abc", ".validityDays: must be a whole number (got 'abc'): use a whole number of days"),
    ("validityDays", "365", ".validityDays: must be a whole number (got '365')"),
    ("validityDays", 2.5, ".validityDays: must be a whole number (got 2.5)"),
    ("validityDays", -5, ".validityDays: is too small (got -5): use a whole number of days from 1 to 36500"),
    ("validityDays", 0, ".validityDays: is too small (got 0)"),
    ("validityDays", 10**9, ".validityDays: is too large (got 1000000000)"),
    ("validityDays", True, ".validityDays: must be a whole number (got true)"),
    ("keyAlgorithm", ["RSA_2048"], ".keyAlgorithm: must be text (got a list): use one of RSA_2048"),
    ("keyAlgorithm", "EC_secp256k1", ".keyAlgorithm: is not supported by Private CA (got 'EC_secp256k1')"),
    ("certificate", 123, ".certificate: must be text (got 123): use the signed PEM as text"),
    ("certificateChain", {"a": 1}, ".certificateChain: must be text (got a mapping)"),
    ("certificateFile", 7, ".certificateFile: must be text (got 7)"),
    ("pathLength", True, ".pathLength: must be a whole number (got true): use 0, 1, 2 or 3"),
    ("pathLength", 4, ".pathLength: is too large (got 4)"),
    ("pathLength", "0", ".pathLength: must be a whole number (got '0')"),
    ("onDelete", "destroy", ".onDelete: is not an allowed value (got 'destroy'): use `onDelete: retain`"),
    ("ruleProfile", "lenient", ".ruleProfile: is not an allowed value (got 'lenient'): use one of default, strict"),
    ("expiryWarningDays", -1, ".expiryWarningDays: is too small (got -1)"),
    ("expiryWarningDays", "30", ".expiryWarningDays: must be a whole number (got '30')"),
    ("arn", "arn:aws:s3:::bucket", ".arn: is not in the expected form (got 'arn:aws:s3:::bucket'): use arn:aws:acm-pca:"),
    ("parent", 5, ".parent: must be text (got 5)"),
    ("signer", "offline", ".signer: is not an allowed value (got 'offline')"),
    ("subject", "Example CA", ".subject: must be a mapping (got 'Example CA'): use a mapping, e.g."),
    ("subject", {"organization": "Example"}, ".subject.commonName: is required: use text of 1 to 64 characters"),
    ("subject", {"commonName": "x" * 65}, ".subject.commonName: is too long (got text)"),
    ("subject", {"commonName": "A", "country": False}, ".subject.country: must be text (got false): use a "
                                                        "two-letter country code in quotes"),
    ("subject", {"commonName": "A", "country": "USA"}, ".subject.country: is too long (got 'USA')"),
    ("subject", {"commonName": "A", "colour": "red"}, ".subject.colour: unknown field: allowed are commonName, "
                                                       "organization"),
    ("colour", "red", ".colour: unknown field: allowed are name, type, subject"),
])
def test_each_wrong_type_or_range_is_named_by_position_and_field(field, value, expected):
    problems = _problems([ROOT, {"name": "issuing", "type": "SUBORDINATE", "parent": "root", field: value}])
    assert len(problems) == 1, problems
    assert problems[0].startswith("pca-import:hierarchy[1] (issuing)."), problems
    assert expected in problems[0], problems


def test_every_mistake_is_reported_at_once():
    problems = _problems([
        {"name": "root", "type": "ROOT", "validityDays": "abc", "keyAlgorithm": ["EC_prime256v1"]},
        {"name": "issuing", "type": "SUBORDINATE", "parent": "root", "pathLength": True, "validityDays": -5},
        {"name": "partner", "type": "SUBORDINATE", "signer": "external", "certificate": 123},
        "not a mapping"])
    assert [p.split(":", 2)[1] for p in problems] == [
        "hierarchy[0] (root).keyAlgorithm", "hierarchy[0] (root).validityDays",
        "hierarchy[1] (issuing).pathLength", "hierarchy[1] (issuing).validityDays",
        "hierarchy[2] (partner).certificate", "hierarchy[3]"]
    assert "Traceback" not in "\n".join(problems)


def test_path_length_true_is_not_taken_as_one():
    with pytest.raises(HierarchyError, match=r"pathLength: must be a whole number \(got true\)"):
        parse_hierarchy([ROOT, {"name": "a", "type": "SUBORDINATE", "parent": "root", "pathLength": True}])


def test_a_valid_entry_keeps_its_defaults_and_types():
    root, sub = parse_hierarchy([{"name": "root", "type": "root", "subject": {"commonName": "R", "country": "NO"}},
                                 {"name": "sub", "type": "SUBORDINATE", "parent": "root", "validityDays": 400,
                                  "expiryWarningDays": 0}])
    assert (root.type, root.subject, root.validity_days, root.key_algorithm) == (
        "ROOT", {"commonName": "R", "country": "NO"}, 3650, "EC_prime256v1")
    assert (sub.subject, sub.validity_days, sub.expiry_warning_days, sub.path_length) == (
        {"commonName": "sub"}, 400, 0, 0)


def test_a_parent_with_its_own_mistake_is_not_reported_missing():
    problems = _problems([{"name": "root", "type": "ROOT", "validityDays": "x"},
                          {"name": "sub", "type": "SUBORDINATE", "parent": "root"}])
    assert len(problems) == 1 and "validityDays" in problems[0]


KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIExampleExampleExampleExample=\n-----END EC PRIVATE KEY-----\n"


@pytest.mark.parametrize("entry, where", [
    ({"certificate": KEY}, "pca-import:hierarchy[1] (partner).certificate"),
    ({"certificateChain": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" + KEY},
     "pca-import:hierarchy[1] (partner).certificateChain"),
    ({"subject": {"commonName": KEY}}, "pca-import:hierarchy[1] (partner).subject.commonName"),
    ({"notes": ["ok", KEY]}, "pca-import:hierarchy[1] (partner).notes[1]"),
])
def test_a_private_key_anywhere_in_the_hierarchy_is_refused_without_repeating_it(entry, where):
    problems = _problems([ROOT, {"name": "partner", "type": "SUBORDINATE", "signer": "external",
                                 "certificate": "x", **entry}])
    assert len(problems) == 1 and problems[0].startswith(where + ": holds a private key"), problems
    assert "MHcCAQEE" not in problems[0] and "remove it from the stack config" in problems[0]


def test_signer_stack_signs_are_validated_too():
    from pca_import.resources.hierarchy.program import parse_signs
    assert parse_signs({"partner": {"validityDays": 1825, "pathLength": 0}})["partner"].renewal == 0
    with pytest.raises(HierarchyError) as info:
        parse_signs({"partner": {"validityDays": "long", "pathLength": True, "renewal": -1}, "b": "x"})
    assert info.value.problems == [
        "pca-import:signs.partner.validityDays: must be a whole number (got 'long'): use a whole number of days "
        "from 1 to 36500 without quotes, e.g. `validityDays: 1825`",
        "pca-import:signs.partner.pathLength: must be a whole number (got true): use 0, 1, 2 or 3 without quotes "
        "(the Private CA subordinate templates)",
        "pca-import:signs.partner.renewal: is too small (got -1): use a whole number >= 0 without quotes; bump it "
        "to sign again",
        "pca-import:signs.b: must be a mapping (got 'x')"]


def test_a_certificate_file_that_holds_a_key_is_refused_without_repeating_it(tmp_path):
    from pca_import.resources.hierarchy.program import refuse_keys_in_files
    (tmp_path / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" + KEY)
    nodes = parse_hierarchy([{"name": "partner", "type": "SUBORDINATE", "signer": "external",
                              "certificateFile": str(tmp_path / "cert.pem"), "chainFile": str(tmp_path / "none")}])
    with pytest.raises(HierarchyError) as info:
        refuse_keys_in_files(nodes)
    assert info.value.problems == [
        "pca-import:hierarchy (partner).certificateFile: holds a private key (a `-----BEGIN ... PRIVATE KEY-----` "
        f"block): point `certificateFile` at the signed certificate's PEM file instead of {tmp_path}/cert.pem, and "
        "keep keys out of the project directory"]


def test_the_readme_example_is_what_a_person_sees():
    """README, 'Hierarchy config': four mistakes in three entries, one message each."""
    import re
    readme = open(f"{ROOT_DIR}/docs/hierarchy.md").read()
    block = readme[readme.index("Every mistake is reported at once"):readme.index("Depth is limited to 5 levels.")]
    shown = [line.strip() for line in block.splitlines() if line.startswith("    pca-import:hierarchy")]
    problems = _problems([
        {"name": "root", "type": "ROOT", "validityDays": "abc"},
        {"name": "issuing", "type": "SUBORDINATE", "parent": "rot", "pathLength": True},
        {"name": "partner", "type": "SUBORDINATE", "signer": "external", "certificate": 123}])
    assert problems == shown and len(shown) == 4 and not re.search(r"Traceback|File \"", "\n".join(problems))


def test_enabled_is_the_declared_state_true_by_default_and_a_boolean():
    nodes = {n.name: n for n in parse_hierarchy([{"name": "root", "type": "ROOT"},
                                                 {"name": "off", "type": "SUBORDINATE", "parent": "root",
                                                  "enabled": False}])}
    assert nodes["root"].enabled is True and nodes["off"].enabled is False
    with pytest.raises(HierarchyError) as exc:
        parse_hierarchy([{"name": "root", "type": "ROOT", "enabled": "no"}])
    [problem] = exc.value.problems
    assert problem.startswith("pca-import:hierarchy[0] (root).enabled: must be true or false") and "enabled: false" in problem
