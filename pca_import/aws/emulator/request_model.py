"""Request validation for the local Private CA, from AWS's own service model (the one botocore ships).

AWS checks every request against the API model before any handler runs, and answers a malformed one with
HTTP 400 and a JSON error: a body that is not a JSON object, a value of the wrong JSON type or a blob that
is not base64 is a `SerializationException`; a missing required member, a value outside its enum, length
or range, or a pattern mismatch is a `ValidationException` listing every violation in Coral's words
("1 validation error detected: Value 'MD5WITHRSA' at 'signingAlgorithm' failed to satisfy constraint: ...");
an ARN that is not an ARN is an `InvalidArnException`. moto skips all of this, so a malformed request
reached its handlers and came back as an HTML 500. Checks that need the CA (its key family, its state)
stay in `emulator.py`.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from functools import lru_cache

SERVICE = "acm-pca"
TARGET_PREFIX = "ACMPrivateCA."
CONTENT_TYPE = "application/x-amz-json-1.1"
INVALID_ARN = "Not a valid arn."
_JSON_TYPES = {"string": str, "blob": str, "structure": dict, "list": list, "map": dict, "boolean": bool}
_INTEGER_TYPES = ("integer", "long")


class RequestError(Exception):
    """An AWS error answer: `code` becomes `__type`, `status` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def body(self) -> bytes:
        return json.dumps({"__type": self.code, "message": self.message}).encode()


@lru_cache(maxsize=1)
def service_model():
    import botocore.session
    return botocore.session.get_session().get_service_model(SERVICE)


def _member_path(path: str, name: str) -> str:
    """Coral names members lowerCamelCase in messages: CertificateAuthorityArn -> certificateAuthorityArn."""
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def _show(value) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    return str(value)


_UNICODE_CLASS = re.compile(r"\\p\{(\w)\}")


def _pattern_matches(pattern: str, value: str) -> bool:
    """Full match of a model pattern; `\\p{L}`-style classes (Java regex) become Unicode category checks."""
    if "\\p{" not in pattern:
        try:
            return re.fullmatch(pattern, value) is not None
        except re.error:
            return True  # a pattern Python cannot read: not checked
    # The only form the model uses: ([\p{L}\p{Z}\p{N}_.:/=+\-@]*) -- any of those categories or characters.
    body = pattern.strip("()")
    if not (body.startswith("[") and body.endswith("]*")):
        return True
    inner = body[1:-2]
    categories = set(_UNICODE_CLASS.findall(inner))
    literal = re.compile("[" + _UNICODE_CLASS.sub("", inner) + "]")
    return all(unicodedata.category(ch)[0] in categories or literal.fullmatch(ch) for ch in value)


def _check(shape, value, path: str, problems: list[str]) -> None:
    """Type errors raise (SerializationException); constraint violations are collected."""
    kind = shape.type_name
    where = path or "the request"
    if kind in _INTEGER_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RequestError("SerializationException",
                               f"Expected an integer at '{where}', found {type(value).__name__} {_show(value)}")
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RequestError("SerializationException", f"Expected a number at '{where}', found {_show(value)}")
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise RequestError("SerializationException", f"Expected a timestamp at '{where}', found {_show(value)}")
    elif not isinstance(value, _JSON_TYPES.get(kind, object)):
        raise RequestError("SerializationException",
                           f"Expected {'a base64 string' if kind == 'blob' else 'a ' + kind} at '{where}', "
                           f"found {type(value).__name__}")
    meta = shape.metadata
    if kind == "blob":
        try:
            size = len(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise RequestError("SerializationException", f"'{where}' is not valid base64") from None
        _length(size, meta, where, None, problems)
    elif kind == "string":
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            problems.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must satisfy "
                            f"enum value set: [{', '.join(enum)}]")
            return
        _length(len(value), meta, where, value, problems)
        pattern = meta.get("pattern")
        if pattern and not _pattern_matches(pattern, value):
            if shape.name == "Arn":
                raise RequestError("InvalidArnException", INVALID_ARN)
            problems.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must satisfy "
                            f"regular expression pattern: {pattern}")
    elif kind in _INTEGER_TYPES:
        _bounds(value, meta, f"Value {value} at '{where}'", "value", problems)
    elif kind == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                problems.append(f"Value null at '{_member_path(path, name)}' failed to satisfy constraint: "
                                "Member must not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:  # members the model does not know are ignored, as AWS does
                _check(member, value[name], _member_path(path, name), problems)
    elif kind == "list":
        _length(len(value), meta, where, None, problems)
        for i, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{i}.member", problems)
    elif kind == "map":
        for k, v in value.items():
            _check(shape.value, v, f"{path}.{k}", problems)


def _length(n: int, meta: dict, where: str, value, problems: list[str]) -> None:
    shown = f"Value {_show(value)} at" if isinstance(value, str) and len(value) <= 80 else "Value at"
    _bounds(n, meta, f"{shown} '{where}'", "length", problems)


def _bounds(measure: int, meta: dict, subject: str, what: str, problems: list[str]) -> None:
    """The model's min/max on a value or a length, in Coral's words."""
    if "min" in meta and measure < meta["min"]:
        problems.append(f"{subject} failed to satisfy constraint: Member must have {what} greater than or equal "
                        f"to {meta['min']}")
    if "max" in meta and measure > meta["max"]:
        problems.append(f"{subject} failed to satisfy constraint: Member must have {what} less than or equal "
                        f"to {meta['max']}")


def validate_request(target: str, body: bytes) -> dict:
    """The request's parameters, checked against the operation's input shape; raises RequestError."""
    operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else target
    model = service_model()
    if operation not in model.operation_names:
        raise RequestError("UnknownOperationException", f"Operation {operation!r} is not an AWS Private CA action.")
    text = body.decode("utf-8", "replace").strip()
    try:
        params = json.loads(text) if text else {}  # AWS reads an empty body as {}
    except ValueError as exc:
        raise RequestError("SerializationException", f"The request body is not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise RequestError("SerializationException",
                           f"The request body must be a JSON object, not {type(params).__name__}")
    problems: list[str] = []
    _check(model.operation_model(operation).input_shape, params, "", problems)
    if problems:
        n = len(problems)
        raise RequestError("ValidationException",
                           f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(problems))
    return params
