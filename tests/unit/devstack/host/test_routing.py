"""Route templates as the Functions host reads them."""

from __future__ import annotations

import uuid

import pytest

from devstack.host.routing import RouteTemplate, RouteTemplateError


def match(template: str, path: str) -> dict[str, str] | None:
    return RouteTemplate.parse(template).match([p for p in path.split("/") if p])


def test_literal_is_case_insensitive() -> None:
    assert match("Jobs/List", "jobs/list") == {}
    assert match("jobs/list", "jobs/other") is None


CONSTRAINTS = [
    ("x/{id:guid}", str(uuid.uuid4()), "nope"),
    ("x/{n:int}", "42", "4.2"),
    ("x/{n:long}", str(2**40), "x"),
    ("x/{n:int:min(1)}", "1", "0"),
    ("x/{n:int:max(9)}", "9", "10"),
    ("x/{n:range(2,4)}", "3", "5"),
    ("x/{s:alpha}", "abc", "ab1"),
    ("x/{s:minlength(3)}", "abc", "ab"),
    ("x/{s:maxlength(2)}", "ab", "abc"),
    ("x/{s:length(2)}", "ab", "a"),
    ("x/{b:bool}", "TRUE", "yes"),
    ("x/{d:datetime}", "2026-01-02", "tomorrow"),
    ("x/{f:double}", "1.5", "one"),
    ("x/{s:regex(^[a-z]{{2}}\\d$)}", "ab1", "abc"),
]


@pytest.mark.parametrize(
    ("template", "good", "bad"), CONSTRAINTS, ids=[case[0] for case in CONSTRAINTS]
)
def test_constraints(template: str, good: str, bad: str) -> None:
    assert match(template, f"x/{good}") is not None
    assert match(template, f"x/{bad}") is None


def test_optional_last_segment() -> None:
    assert match("p/{n}/{tag?}", "p/1") == {"n": "1"}
    assert match("p/{n}/{tag?}", "p/1/t") == {"n": "1", "tag": "t"}
    assert match("p/{n}/{tag?}", "p/1/t/u") is None


def test_catch_all_takes_the_rest_decoded() -> None:
    assert match("files/{*path}", "files/a/b%20c") == {"path": "a/b c"}
    assert match("files/{*path}", "files") == {}


def test_params_are_url_decoded() -> None:
    assert match("x/{name}", "x/hello%20world") == {"name": "hello world"}


def test_precedence_literal_then_constrained_then_plain() -> None:
    templates = [RouteTemplate.parse(t) for t in ("a/{x}", "a/{x:int}", "a/b", "a/{*rest}")]
    ordered = sorted(templates, key=lambda t: t.precedence)
    assert [t.template for t in ordered] == ["a/b", "a/{x:int}", "a/{x}", "a/{*rest}"]


@pytest.mark.parametrize(
    "template", ["a/{x}.{y}", "a/{x:nosuch}", "{*rest}/a", "a/{x?}/b", "a/{x=1}"]
)
def test_templates_the_host_refuses(template: str) -> None:
    with pytest.raises(RouteTemplateError):
        RouteTemplate.parse(template)
