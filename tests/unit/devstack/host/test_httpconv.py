"""HTTP conversion between the host and the worker.

Sources: azure-functions-host GrpcMessageConversionExtensions.ToRpcHttp (lower-cased
header names, multi-values joined by ','; query values joined, empty ones dropped for
workers without nullable dictionaries, which the Python worker is), HttpBinding.CreateResult
and RawScriptResult (JSON sniffing of string results, Content-Type from headers, cookies
through ASP.NET's ResponseCookies), and the worker's cookie conversion
(bindings/datumdef.py parse_to_rpc_http_cookie_list; tests test_multiple_cookie_header_in_response
and test_set_cookie_header_in_response_default_value).
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from devstack.host.bindings.datum import HttpOutput
from devstack.host.httpconv import (
    CookieError,
    binding_data,
    query_values,
    request_datum,
    set_cookie_lines,
    to_response,
)


def test_request_datum() -> None:
    value = request_datum(
        method="POST",
        url="http://h/api/x?a=1",
        headers=[("X-A", "1"), ("x-a", "2"), ("Empty", "")],
        query_string="a=1&a=2&blank=&flag&b=c",
        route_params={"id": "7", "optional": None},
        body=b"{}",
    ).value
    assert {k: v.value for k, v in value["headers"].items()} == {"x-a": "1,2", "empty": ""}
    assert {k: v.value for k, v in value["query"].items()} == {"a": "1,2", "b": "c"}
    assert {k: v.value for k, v in value["params"].items()} == {"id": "7"}
    assert value["body"].value == b"{}"
    assert query_values("A=1&a=2") == {"A": "1,2"}


def test_binding_data_precedence() -> None:
    data = binding_data(
        function_name="f",
        headers=[("X-Trace", "t")],
        query_string="id=from-query&code=key",
        route_params={"id": "from-route"},
        body=b'{"id": "from-body", "name": "n"}',
    )
    assert data.get("id") == "from-route"
    assert data.get("name") == "n"
    assert data.get("code") is None
    assert data.get("Query") == {"id": "from-query", "code": "key"}
    assert data.get("headers") == {"X-Trace": "t"}


def cookie(text: str) -> SimpleCookie:
    return SimpleCookie(text)


def test_cookies_as_aspnet_writes_them() -> None:
    lines = set_cookie_lines(
        [
            cookie(
                "foo3=42; Domain=example.com; Expires=Thu, 12-Jan-2017 13:55:08 GMT; Path=/; "
                "Max-Age=10000000; Secure; HttpOnly"
            ),
            cookie("foo=bar"),
            cookie('s="a b"; SameSite=Strict'),
            cookie(""),
        ]
    )
    assert lines == [
        "foo3=42; expires=Thu, 12 Jan 2017 13:55:08 GMT; max-age=10000000; "
        "domain=example.com; path=/; secure; httponly",
        "foo=bar; domain=; path=",
        "s=a%20b; domain=; path=; samesite=strict",
    ]
    with pytest.raises(CookieError):
        set_cookie_lines([cookie("foo=bar; Expires=Dummy")])


def test_responses() -> None:
    plain = to_response("hi")
    assert (plain.status_code, plain.body, plain.headers["content-type"]) == (
        200,
        b"hi",
        "text/plain; charset=utf-8",
    )
    assert to_response('{"a": 1}').body == b'{\n  "a": 1\n}'
    assert to_response('"quoted"').body == b"quoted"
    assert to_response("true").body == b"True"
    described = to_response('{"Body": {"k": 1}, "Status": "418", "headers": {"x": 1}}')
    assert (described.status_code, described.body, described.headers["x"]) == (418, b'{"k":1}', "1")
    unset = to_response(None)
    assert (unset.status_code, unset.body) == (200, b"")
    output = HttpOutput(
        status_code=202,
        headers={"Content-Type": "application/xml", "X-One": "1"},
        cookies=[cookie("a=1"), cookie("b=2")],
        body=b"<x/>",
    )
    response = to_response(output)
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/xml"
    assert response.headers.getlist("set-cookie") == ["a=1; domain=; path=", "b=2; domain=; path="]


def test_unreadable_bodies_give_no_binding_data() -> None:
    """A body that is not a JSON object (or nests deeper than Python parses) is ignored,
    as the host ignores bodies it cannot read as JSON: the function still runs."""
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000, b"\xff\xfe", b"[1]"):
        data = binding_data(
            function_name="f", headers=[], query_string="", route_params={}, body=body
        )
        assert data.get("a") is None
