"""core/schema.py: the strict, declarative checks the hierarchy config and the component are validated with."""
from __future__ import annotations

from pca_import.core.schema import Choice, Error, Field, Flag, Model, Text, Whole, camel, snake

INNER = Model("inner", (Field("common_name", Text(4)),))
OUTER = Model("outer", (
    Field("name", Text(8, r"^[a-z]+$")),
    Field("kind", Choice(("ROOT", "SUBORDINATE"), upper=True)),
    Field("days", Whole(1, 10), None, optional=True),
    Field("on", Flag(), True),
    Field("inner", INNER, None, optional=True),
    Field("algo", Text(min_length=0), "EC", rule=lambda v: None if v in ("EC", "RSA") else "is not supported"),
), rules=(lambda v: "days are needed for a SUBORDINATE" if v["kind"] == "SUBORDINATE" and not v["days"] else None,))


def test_valid_values_come_back_with_defaults_by_field_name():
    assert OUTER.validate({"name": "abc", "kind": "root"}) == (
        {"name": "abc", "kind": "ROOT", "days": None, "on": True, "inner": None, "algo": "EC"}, [])
    values, errors = OUTER.validate({"name": "abc", "kind": "SUBORDINATE", "days": 3, "inner": {"commonName": "x"}})
    assert errors == [] and values["inner"] == {"common_name": "x"} and values["days"] == 3


def test_types_are_strict_and_each_field_reports_its_first_problem_in_field_order_then_unknown_keys():
    _, errors = OUTER.validate({"zz": 1, "name": "ABCDEFGHIJ", "kind": None, "days": True, "on": 1,
                                "inner": {"commonName": "toolong", "x": 2}, "algo": "DSA", "common_name": "a"})
    assert errors == [Error(("name",), "string_too_long"), Error(("kind",), "literal_error"),
                      Error(("days",), "int_type"), Error(("on",), "bool_type"),
                      Error(("inner", "commonName"), "string_too_long"), Error(("inner", "x"), "extra_forbidden"),
                      Error(("algo",), "value_error", "is not supported"), Error(("zz",), "extra_forbidden"),
                      Error(("common_name",), "extra_forbidden")]
    assert OUTER.validate({"name": "", "kind": "ROOT", "days": 0})[1] == [
        Error(("name",), "string_too_short"), Error(("days",), "greater_than_equal")]
    assert OUTER.validate({"name": "ab1", "kind": "ROOT", "days": 11.0})[1] == [
        Error(("name",), "string_pattern_mismatch"), Error(("days",), "int_type")]
    assert OUTER.validate({"name": "abc\n", "kind": "ROOT", "days": 11})[1] == [  # `$` ends the text
        Error(("name",), "string_pattern_mismatch"), Error(("days",), "less_than_equal")]


def test_missing_required_fields_a_non_mapping_and_the_models_rules():
    assert OUTER.validate({"inner": {}})[1] == [Error(("name",), "missing"), Error(("kind",), "missing"),
                                                Error(("inner", "commonName"), "missing")]
    assert OUTER.validate(["name"])[1] == [Error((), "model_type")]
    assert OUTER.validate({"name": "abc", "kind": "ROOT", "inner": "x"})[1] == [Error(("inner",), "model_type")]
    # the model's rules run only once every field is valid
    assert OUTER.validate({"name": "abc", "kind": "SUBORDINATE"})[1] == [
        Error((), "value_error", "days are needed for a SUBORDINATE")]
    assert OUTER.validate({"name": "abc", "kind": "SUBORDINATE", "on": "yes"})[1] == [Error(("on",), "bool_type")]


def test_keys_are_the_camel_case_field_names():
    assert [camel(n) for n in ("validity_days", "name", "organizational_unit")] == [
        "validityDays", "name", "organizationalUnit"]
    assert [snake(n) for n in ("validityDays", "organizationalUnit", "ListTags")] == [
        "validity_days", "organizational_unit", "list_tags"]
    assert OUTER.keys == ["name", "kind", "days", "on", "inner", "algo"]


def test_text_that_cannot_be_encoded_is_refused_here_not_later():
    """An unpaired surrogate (a file name decoded with surrogateescape) would fail later with a traceback in
    protobuf or x509; the schema names it."""
    assert INNER.validate({"commonName": "a\udcff"})[1] == [Error(("commonName",), "string_unicode")]
