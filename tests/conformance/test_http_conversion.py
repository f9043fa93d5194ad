"""HTTP requests and responses as the host and the Python worker convert them.

Sources: HTTP trigger and output binding (learn.microsoft.com/azure/azure-functions/
functions-bindings-http-webhook-trigger and -output), the Python developer guide, the
worker's HTTP tests (tests/unittests/test_http_functions.py: return_bytes, no_return,
multiple_set_cookie_resp_headers, return_out), and the host's request and response
handling (azure-functions-host: GrpcMessageConversionExtensions.ToRpcHttp for query and
headers, HttpBinding.CreateResult / RawScriptResult for responses, HttpMethodRouteConstraint
on function routes).
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import requests

from tests.conformance.conftest import AppHost


def test_content_type_in_headers_wins(bindings_app: AppHost) -> None:
    """A Content-Type given in headers= is the response's content type."""
    response = requests.get(bindings_app.url("/api/http/content-type"), timeout=10)
    assert response.headers["content-type"] == "application/xml"
    assert response.text == "<a/>"


def test_every_set_cookie_is_sent_as_aspnet_writes_it(bindings_app: AppHost) -> None:
    """Each Set-Cookie of an HttpResponse becomes its own header, re-written by ASP.NET
    (lower-case attributes, domain and path always present)."""
    response = requests.get(bindings_app.url("/api/http/cookies"), timeout=10)
    cookies = response.raw.headers.getlist("set-cookie")
    assert cookies == [
        "first=1; domain=; path=/; httponly",
        "second=2; max-age=60; domain=; path=; secure; samesite=lax",
    ]


def test_returning_none_or_bytes_is_a_500(bindings_app: AppHost) -> None:
    """The worker cannot send None or bytes to the http $return binding: the invocation
    fails and the host answers 500 (worker tests no_return, return_bytes)."""
    for path in ("/api/http/none", "/api/http/bytes"):
        response = requests.get(bindings_app.url(path), timeout=10)
        assert response.status_code == 500, path
        assert response.content == b""
    assert "Executed 'Functions.http_none' (Failed" in bindings_app.log_text()


def test_returning_a_str_is_text_plain(bindings_app: AppHost) -> None:
    """A str return is a 200 text/plain; charset=utf-8 body."""
    response = requests.get(bindings_app.url("/api/http/str"), timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "plain text"


def test_a_json_string_with_body_describes_the_response(bindings_app: AppHost) -> None:
    """The host reads a JSON string with a "body" property as a response description
    (statusCode, headers, body)."""
    response = requests.get(bindings_app.url("/api/http/described"), timeout=10)
    assert response.status_code == 201
    assert response.headers["x-described"] == "1"
    assert response.text == "described"


def test_out_http_response_and_unset_out(bindings_app: AppHost) -> None:
    """func.Out[func.HttpResponse] (route binding_arg_name) is the response; left unset,
    the host answers an empty 200."""
    out = requests.get(bindings_app.url("/api/http/out"), timeout=10)
    assert (out.status_code, out.text) == (201, "from Out")
    unset = requests.get(bindings_app.url("/api/http/out-unset"), timeout=10)
    assert (unset.status_code, unset.content) == (200, b"")


def test_query_and_headers_as_the_host_passes_them(bindings_app: AppHost) -> None:
    """Repeated query keys and repeated headers are joined with ',' and a query key with
    an empty value is left out; the URL keeps the query string."""
    path = "/api/http/echo?a=1&a=2&empty=&bare"
    address = urlsplit(bindings_app.base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.putrequest("GET", path)
    connection.putheader("x-conf-a", "1")
    connection.putheader("x-conf-a", "2")
    connection.endheaders()
    body = json.loads(connection.getresponse().read())
    connection.close()
    assert body["params"] == {"a": "1,2"}
    assert body["headers"] == {"x-conf-a": "1,2"}
    assert body["url"].endswith("/api/http/echo?a=1&a=2&empty=&bare")


def test_a_method_the_route_does_not_list_is_404(bindings_app: AppHost) -> None:
    """Function routes carry an HTTP-method constraint: a method not listed matches no
    route, so the host answers 404 (not 405)."""
    assert requests.get(bindings_app.url("/api/http/get-only"), timeout=10).status_code == 200
    wrong = requests.post(bindings_app.url("/api/http/get-only"), timeout=10)
    assert wrong.status_code == 404
    assert "allow" not in {name.lower() for name in wrong.headers}


def test_generic_bindings_of_supported_types(bindings_app: AppHost) -> None:
    """generic_trigger/generic_output_binding with type httpTrigger/http are HTTP functions
    like any other (Python developer guide, "Generic bindings")."""
    response = requests.get(bindings_app.url("/api/generic/hello"), timeout=10)
    assert response.text == "generic trigger, generic output"


def test_the_root_says_the_app_is_up(bindings_app: AppHost) -> None:
    """The host answers GET / with a page saying the app is running (the worker's
    end-to-end tests use it as a readiness check)."""
    response = requests.get(bindings_app.url("/"), timeout=10)
    assert response.status_code == 200
    assert "up and running" in response.text
