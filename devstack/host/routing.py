"""HTTP route templates as the Functions host (ASP.NET Core routing) reads them.

Supported: literal segments (case-insensitive), ``{name}``, optional
``{name?}``, catch-all ``{*name}`` and inline constraints such as
``{id:guid}``, ``{n:int:min(1)}``, ``{code:regex(^[a-z]+$)}``. A parameter
must fill a whole segment: a complex segment (``{name}.{ext}``, ``v{version}``), which
ASP.NET Core routing matches, is refused with a line saying so.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

Constraint = Callable[[str], bool]

_PARAM = re.compile(r"^\{(?P<star>\*{1,2})?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>.*)\}$")


class RouteTemplateError(ValueError):
    """A route template the host would refuse."""


def _is_int(value: str, bits: int) -> bool:
    try:
        number = int(value)
    except ValueError:
        return False
    limit: int = 2 ** (bits - 1)
    return -limit <= number < limit


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _is_decimal(value: str) -> bool:
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return True


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_SIMPLE: dict[str, Constraint] = {
    "int": lambda v: _is_int(v, 32),
    "long": lambda v: _is_int(v, 64),
    "bool": lambda v: v.lower() in {"true", "false"},
    "guid": _is_guid,
    "alpha": lambda v: v.isascii() and v.isalpha(),
    "double": _is_number,
    "float": _is_number,
    "decimal": _is_decimal,
    "datetime": _is_datetime,
}


def _split_constraints(spec: str) -> list[str]:
    """Split ``:int:min(1):regex(a:b)`` on colons outside parentheses."""
    parts: list[str] = []
    depth, current = 0, ""
    for char in spec:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == ":" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part]


def _constraint(text: str, template: str) -> Constraint:
    match = re.fullmatch(r"([a-z]+)(?:\((.*)\))?", text, flags=re.DOTALL)
    if not match:
        raise RouteTemplateError(f"bad constraint {text!r} in route {template!r}")
    name, arg = match.group(1), match.group(2)
    if arg is None and name in _SIMPLE:
        return _SIMPLE[name]
    if arg is None:
        raise RouteTemplateError(f"unknown constraint {name!r} in route {template!r}")
    if name == "regex":
        # Route templates escape braces by doubling them, as ASP.NET does.
        pattern = re.compile(arg.replace("{{", "{").replace("}}", "}"), flags=re.IGNORECASE)
        return lambda v: pattern.search(v) is not None
    numbers = [int(part) for part in arg.split(",")]
    checks: dict[str, Constraint] = {
        "minlength": lambda v: len(v) >= numbers[0],
        "maxlength": lambda v: len(v) <= numbers[0],
        "length": (
            (lambda v: len(v) == numbers[0])
            if len(numbers) == 1
            else (lambda v: numbers[0] <= len(v) <= numbers[1])
        ),
        "min": lambda v: _is_int(v, 64) and int(v) >= numbers[0],
        "max": lambda v: _is_int(v, 64) and int(v) <= numbers[0],
        "range": lambda v: _is_int(v, 64) and numbers[0] <= int(v) <= numbers[-1],
    }
    if name not in checks:
        raise RouteTemplateError(f"unknown constraint {name!r} in route {template!r}")
    return checks[name]


@dataclass(frozen=True, slots=True)
class Segment:
    literal: str | None = None
    name: str | None = None
    optional: bool = False
    catch_all: bool = False
    constraints: tuple[Constraint, ...] = field(default=())

    @property
    def rank(self) -> int:
        """Lower ranks win, as in ASP.NET routing: literal, constrained, plain, catch-all."""
        if self.literal is not None:
            return 0
        if self.catch_all:
            return 3
        return 1 if self.constraints else 2

    def accepts(self, value: str) -> bool:
        if self.literal is not None:
            return value.lower() == self.literal.lower()
        return all(check(value) for check in self.constraints)


def _complex_segment_error(text: str, template: str) -> RouteTemplateError:
    return RouteTemplateError(
        f"route {template!r}: segment {text!r} mixes parameters with text (a complex "
        "segment, such as '{name}.{ext}'); the devstack host supports one parameter per "
        "whole segment: give each value a segment of its own (e.g. 'files/{name}/{ext}') "
        "or split the value in the function"
    )


def _parse_segment(text: str, template: str) -> Segment:
    if "{" not in text and "}" not in text:
        return Segment(literal=text)
    # Doubled braces are escapes (a regex constraint's quantifier): not parameters.
    bare = text.replace("{{", "").replace("}}", "")
    if bare.count("{") != 1 or not (bare.startswith("{") and bare.endswith("}")):
        raise _complex_segment_error(text, template)
    match = _PARAM.match(text)
    if not match:
        raise RouteTemplateError(
            f"route {template!r}: a parameter must fill a whole segment ({text!r})"
        )
    rest = match.group("rest")
    optional = rest.endswith("?")
    rest = rest.removesuffix("?")
    if "=" in rest:
        raise RouteTemplateError(f"route {template!r}: default values are not supported")
    constraints = tuple(_constraint(part, template) for part in _split_constraints(rest))
    return Segment(
        name=match.group("name"),
        optional=optional or bool(match.group("star")),
        catch_all=bool(match.group("star")),
        constraints=constraints,
    )


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    template: str
    segments: tuple[Segment, ...]

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        parts = [part for part in template.strip("/").split("/") if part]
        segments = tuple(_parse_segment(part, template) for part in parts)
        for index, segment in enumerate(segments):
            if segment.catch_all and index != len(segments) - 1:
                raise RouteTemplateError(f"route {template!r}: catch-all must be last")
            if segment.optional and not segment.catch_all and index != len(segments) - 1:
                raise RouteTemplateError(f"route {template!r}: only the last may be optional")
        return cls(template=template, segments=segments)

    @property
    def precedence(self) -> tuple[tuple[int, ...], int]:
        return tuple(segment.rank for segment in self.segments), -len(self.segments)

    def match(self, path_segments: list[str]) -> dict[str, str] | None:
        """Match already-split, still-encoded path segments; return decoded route params."""
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.catch_all:
                rest = path_segments[index:]
                if rest:
                    value = unquote("/".join(rest))
                    if not segment.accepts(value):
                        return None
                    params[segment.name or ""] = value
                return params
            if index >= len(path_segments):
                return params if segment.optional else None
            value = unquote(path_segments[index])
            if not segment.accepts(value):
                return None
            if segment.name is not None:
                params[segment.name] = value
        return params if len(path_segments) == len(self.segments) else None
