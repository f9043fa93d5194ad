"""Values between the host and a Python function, as the worker converts them.

The worker looks a binding type up in the ``azure.functions`` converter registry; a type
the library has no converter for (``table``, or ``str``/``bytes`` parameters on most
bindings) goes through its *generic* binding, which passes strings and bytes through.
Decoding and encoding here use the library's converters and :class:`Datum` exactly where
the worker does, so a parameter gets the same Python object it gets in Azure.

What leaves the worker is then what the host makes of the ``TypedData``: a string, bytes,
parsed JSON, a number, or an HTTP response. :func:`host_value` is that step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.functions import meta
from azure.functions.meta import Datum

GENERIC = "generic"
#: The one generic-typed binding the worker exempts from implicit output.
_NO_IMPLICIT_OUTPUT = frozenset({"durableClient"})


class ConversionError(TypeError):
    """A value the worker cannot convert for this binding (the invocation fails)."""


def _converter(binding_type: str) -> Any:
    return meta.get_binding_registry().get(binding_type)  # type: ignore[no-untyped-call]


def has_implicit_output(binding_type: str) -> bool:
    """Whether the worker treats the binding as a possible return value without ``$return``
    (true for types the library has no converter for, e.g. ``table``)."""
    converter = _converter(binding_type)
    if converter is None:
        return binding_type not in _NO_IMPLICIT_OUTPUT
    check = getattr(converter, "has_implicit_output", None)
    return bool(check()) if callable(check) else False


def is_trigger_converter(binding_type: str) -> bool:
    converter = _converter(binding_type)
    return bool(converter is not None and converter.has_trigger_support())


def accepts_input(binding_type: str, pytype: Any) -> bool:
    converter = _converter(binding_type)
    try:
        if converter is None:
            return issubclass(pytype, (str, bytes))
        return bool(converter.check_input_type_annotation(pytype))
    except (TypeError, AttributeError):
        return False


def accepts_output(binding_type: str, pytype: Any) -> bool:
    converter = _converter(binding_type)
    try:
        if converter is None:
            return issubclass(pytype, (str, bytes, bytearray))
        return bool(converter.check_output_type_annotation(pytype))
    except (TypeError, AttributeError):
        return False


def decode(binding_type: str, datum: Datum | None, metadata: Mapping[str, Datum]) -> Any:
    """The Python argument for an incoming value (what the function receives)."""
    converter = _converter(binding_type)
    if converter is None:
        return _generic_decode(datum)
    try:
        return converter.decode(datum, trigger_metadata=dict(metadata))
    except NotImplementedError as exc:
        kind = datum.type if datum is not None else None
        raise ConversionError(
            f"the worker cannot pass {kind!r} data to a {binding_type!r} parameter"
        ) from exc


def _generic_decode(datum: Datum | None) -> Any:
    if datum is None or datum.type is None:
        return None
    if datum.type in ("string", "bytes", "json"):
        return datum.value
    raise ConversionError(f"the generic binding cannot take {datum.type!r} data")


def encode(binding_type: str, value: Any, pytype: Any) -> Datum:
    """The outgoing ``Datum`` for a return value or an ``Out`` value."""
    converter = _converter(binding_type)
    if converter is None or not hasattr(converter, "encode"):
        return _generic_encode(value)
    try:
        datum: Datum = converter.encode(value, expected_type=pytype)
    except NotImplementedError as exc:
        raise ConversionError(
            f"a {type(value).__name__} value cannot be sent to a {binding_type!r} binding"
        ) from exc
    return datum


def _generic_encode(value: Any) -> Datum:
    if isinstance(value, str):
        return Datum(value, "string")
    if isinstance(value, (bytes, bytearray)):
        return Datum(bytes(value), "bytes")
    if value is None:
        return Datum(None, None)
    if isinstance(value, dict):
        return Datum(value, "dict")
    if isinstance(value, list):
        return Datum(value, "list")
    if isinstance(value, int):  # bool included, as in the worker
        return Datum(value, "int")
    if isinstance(value, float):
        return Datum(value, "double")
    raise ConversionError(f"a {type(value).__name__} value cannot be sent to a binding")


@dataclass(frozen=True, slots=True)
class HttpOutput:
    """An HTTP response as the host receives it from the worker (``RpcHttp``)."""

    status_code: int
    headers: dict[str, str]
    cookies: list[Any] = field(default_factory=list)  # http.cookies.SimpleCookie each
    body: Any = b""


def host_value(datum: Datum | None) -> Any:
    """What the host holds once the worker's ``TypedData`` arrives (``ToObject``)."""
    if datum is None or datum.type is None or datum.value is None:
        return None
    kind, value = datum.type, datum.value
    if kind in ("string", "bytes"):
        return value
    if kind == "json":
        return json.loads(value)
    if kind in ("dict", "list"):
        return json.loads(json.dumps(value))  # the worker sends these as JSON text
    if kind == "int":
        return int(value)
    if kind == "double":
        return float(value)
    if kind == "http":
        return HttpOutput(
            status_code=int(value["status_code"].value),
            headers={name: str(item.value) for name, item in value["headers"].items()},
            cookies=list(value.get("cookies") or []),
            body=host_value(value["body"]),
        )
    raise ConversionError(f"unexpected outgoing data type {kind!r}")
