"""A small declarative schema for config mappings: strict types (`true` is not 1, `"365"` is not a number),
lengths, ranges, patterns, allowed values, nested mappings, unknown keys refused.

Pure and light (the standard library only): a Pulumi program that declares a hierarchy validates its arguments
at every run, so this costs microseconds, not an import of a validation framework. Keys are the camelCase form
of the field names (`validity_days` is written `validityDays`). A mistake is an `Error` with where it is (the
keys from the top), what kind it is (a code the caller turns into words) and, for a rule of the model, its text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

REQUIRED: Any = object()  # a field's default when it has none


def camel(name: object) -> str:
    """`validity_days` -> `validityDays` (config keys from Python names)."""
    head, *rest = str(name).split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    """`validityDays` -> `validity_days`, `ListTags` -> `list_tags` (Python names from config keys, API actions)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name).lower()


@dataclass(frozen=True)
class Error:
    loc: tuple[Any, ...]  # keys from the top; () for the mapping itself
    kind: str             # string_type, string_unicode, int_type, bool_type, model_type, literal_error, missing, extra_forbidden,
    #                       string_too_short, string_too_long, string_pattern_mismatch, greater_than_equal,
    #                       less_than_equal, value_error (a rule of the field or the model: `message` says it)
    message: str = ""


@dataclass(frozen=True)
class Text:
    max_length: Optional[int] = None
    pattern: Optional[str] = None
    min_length: int = 1

    def check(self, value: Any) -> tuple[Any, Optional[str]]:
        if not isinstance(value, str):
            return None, "string_type"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # an unpaired surrogate (e.g. a file name decoded with surrogateescape)
            return None, "string_unicode"
        if len(value) < self.min_length:
            return None, "string_too_short"
        if self.max_length is not None and len(value) > self.max_length:
            return None, "string_too_long"
        if self.pattern is not None and not _compiled(self.pattern).search(value):
            return None, "string_pattern_mismatch"
        return value, None


@dataclass(frozen=True)
class Whole:
    ge: Optional[int] = None
    le: Optional[int] = None

    def check(self, value: Any) -> tuple[Any, Optional[str]]:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, "int_type"
        if self.ge is not None and value < self.ge:
            return None, "greater_than_equal"
        if self.le is not None and value > self.le:
            return None, "less_than_equal"
        return value, None


@dataclass(frozen=True)
class Flag:
    def check(self, value: Any) -> tuple[Any, Optional[str]]:
        return (value, None) if isinstance(value, bool) else (None, "bool_type")


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]
    upper: bool = False  # text is compared upper-cased (`type: root` is ROOT)

    def check(self, value: Any) -> tuple[Any, Optional[str]]:
        if self.upper and isinstance(value, str):
            value = value.upper()
        if isinstance(value, str) and value in self.values:
            return value, None
        return None, "literal_error"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Any                      # Text, Whole, Flag, Choice or a Model (a nested mapping)
    default: Any = REQUIRED
    optional: bool = False         # None (`~` in YAML) is accepted and means the default
    rule: Optional[Callable[[Any], Optional[str]]] = None  # after the type: a problem's text, or None

    @property
    def key(self) -> str:
        return camel(self.name)


@dataclass(frozen=True)
class Model:
    name: str
    fields: tuple[Field, ...]
    rules: tuple[Callable[[dict], Optional[str]], ...] = field(default=())  # on valid values: first problem

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    def validate(self, raw: Any) -> tuple[Optional[dict], list[Error]]:
        """(values by field name, []) or (None, every mistake): each field's first problem in field order, then
        the unknown keys in their order; the model's rules only when every field is valid (the first that fails)."""
        if not isinstance(raw, dict):
            return None, [Error((), "model_type")]
        values: dict[str, Any] = {}
        errors: list[Error] = []
        for f in self.fields:
            if f.key not in raw:
                if f.default is REQUIRED:
                    errors.append(Error((f.key,), "missing"))
                else:
                    values[f.name] = f.default
                continue
            value = raw[f.key]
            if value is None and f.optional:
                values[f.name] = None
                continue
            if isinstance(f.kind, Model):
                nested, problems = f.kind.validate(value)
                errors += [Error((f.key, *e.loc), e.kind, e.message) for e in problems]
                values[f.name] = nested
                continue
            value, kind = f.kind.check(value)
            if kind is None and f.rule is not None and (message := f.rule(value)):
                kind = "value_error"
                errors.append(Error((f.key,), kind, message))
            elif kind is not None:
                errors.append(Error((f.key,), kind))
            values[f.name] = value
        known = set(self.keys)
        errors += [Error((k,), "extra_forbidden") for k in raw if k not in known]
        if errors:
            return None, errors
        for rule in self.rules:
            if message := rule(values):
                return None, [Error((), "value_error", message)]
        return values, []


_PATTERNS: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    """A pattern whose `$` ends the text (not before a final newline, as Python's `$` would allow)."""
    if pattern not in _PATTERNS:
        _PATTERNS[pattern] = re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)
    return _PATTERNS[pattern]
