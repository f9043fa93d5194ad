"""HTTP requests into the worker and responses out of it, as the host converts them.

Request (``RpcHttp``): header names lower-cased, repeated headers and repeated query keys
joined with ``,``, query keys with an empty value dropped, route parameters that matched
nothing left out, the body as bytes. Other bindings may use the route and query values,
the top-level properties of a JSON body, ``{Query.x}`` and ``{Headers.x}``.

Response: an ``HttpResponse`` keeps its status and headers (a ``Content-Type`` given in
``headers=`` wins over ``mimetype``; of repeated headers the last one stays) and every
``Set-Cookie`` becomes its own header, re-written the way ASP.NET writes cookies. A
``str`` return is sniffed as JSON first, as the host does: a JSON object with a ``body``
property is a response description (``statusCode``/``status``, ``headers``, ``body``),
other JSON is re-serialised, and plain text is ``text/plain; charset=utf-8``. No HTTP
output at all (an unset ``Out[HttpResponse]``) is an empty ``200``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from http.cookiejar import http2time  # type: ignore[attr-defined]
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote

from azure.functions.meta import Datum
from starlette.responses import Response

from devstack.host.bindings.datum import HttpOutput
from devstack.host.bindings.expressions import BindingData

TEXT_PLAIN = "text/plain; charset=utf-8"
_NOT_JSON = object()


class CookieError(ValueError):
    """A ``Set-Cookie`` the worker cannot convert (the invocation fails)."""


def _joined(pairs: Iterable[tuple[str, str]], *, lower: bool) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        names.setdefault(key, key if lower else name)
        grouped.setdefault(key, []).append(value)
    return {names[key]: ",".join(values) for key, values in grouped.items()}


def query_values(query_string: str) -> dict[str, str]:
    joined = _joined(parse_qsl(query_string, keep_blank_values=True), lower=False)
    return {name: value for name, value in joined.items() if value != ""}


def request_datum(
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    query_string: str,
    route_params: Mapping[str, str | None],
    body: bytes,
) -> Datum:
    return Datum(
        {
            "method": Datum(method, "string"),
            "url": Datum(url, "string"),
            "headers": {k: Datum(v, "string") for k, v in _joined(headers, lower=True).items()},
            "body": Datum(body, "bytes"),
            "params": {k: Datum(v, "string") for k, v in route_params.items() if v is not None},
            "query": {k: Datum(v, "string") for k, v in query_values(query_string).items()},
        },
        "http",
    )


def binding_data(
    *,
    function_name: str,
    headers: Iterable[tuple[str, str]],
    query_string: str,
    route_params: Mapping[str, str | None],
    body: bytes,
) -> BindingData:
    data = BindingData(method_name=function_name)
    if body.lstrip()[:1] == b"{":
        # Top-level properties of a JSON object body; anything unreadable is ignored.
        with contextlib.suppress(ValueError, UnicodeDecodeError, RecursionError):
            data.update_from_json(json.loads(body))
    query = query_values(query_string)
    for name, value in query.items():
        if name.lower() != "code":
            data[name] = value
    for name, param in route_params.items():
        if param is not None:
            data[name] = param
    if "Query" not in data:
        data["Query"] = query
    if "Headers" not in data:
        data["Headers"] = _joined(headers, lower=False)
    return data


# -- responses ----------------------------------------------------------------


def _dotnet_text(value: Any) -> str:
    """What ``ToString()`` gives for JSON the host parsed (indented containers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


def _status(raw: Any) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        return 200


def _from_string(text: str) -> Response:
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = _NOT_JSON
    if parsed is _NOT_JSON or isinstance(parsed, str):
        content = text if parsed is _NOT_JSON else str(parsed)
        return Response(content.encode("utf-8"), headers={"content-type": TEXT_PLAIN})
    if isinstance(parsed, dict):
        lowered = {str(k).lower(): v for k, v in parsed.items()}
        if "body" in lowered:
            return _described(lowered)
    return Response(_dotnet_text(parsed).encode("utf-8"), headers={"content-type": TEXT_PLAIN})


def _described(description: dict[str, Any]) -> Response:
    status = description.get("statuscode", description.get("status", 200))
    body = description["body"]
    headers = description.get("headers") if isinstance(description.get("headers"), dict) else {}
    content_type = None
    extra: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        if str(name).lower() == "content-type":
            content_type = str(value)
        else:
            extra.append((str(name), _dotnet_text(value)))
    if isinstance(body, (dict, list)):
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    else:
        payload = _dotnet_text(body)
    response = Response(payload.encode("utf-8"), status_code=_status(status))
    _set_headers(response, extra, content_type or TEXT_PLAIN)
    return response


def _set_headers(response: Response, headers: list[tuple[str, str]], content_type: str) -> None:
    raw = [(k, v) for k, v in response.raw_headers if k not in (b"content-type",)]
    raw.append((b"content-type", content_type.encode("latin-1")))
    seen = {b"content-type", b"content-length"}
    for name, value in headers:
        key = name.lower().encode("latin-1")
        if key in seen:
            continue  # the host keeps the first and logs the duplicate
        seen.add(key)
        raw.append((key, value.encode("latin-1")))
    response.raw_headers = raw


def _cookie_expires(text: str) -> dt.datetime:
    seconds = http2time(text)
    if seconds is None:
        raise CookieError(f"cannot parse the cookie expiry {text!r}")
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def set_cookie_lines(cookies: Iterable[SimpleCookie]) -> list[str]:
    """Each cookie as ASP.NET writes it after the worker's conversion."""
    lines: list[str] = []
    for cookie in cookies:
        for name, morsel in cookie.items():
            parts = [f"{name}={quote(morsel.value, safe='')}"]
            if morsel["expires"]:
                moment = _cookie_expires(str(morsel["expires"]))
                parts.append("expires=" + moment.strftime("%a, %d %b %Y %H:%M:%S GMT"))
            if morsel["max-age"] != "":
                try:
                    parts.append(f"max-age={int(float(morsel['max-age']))}")
                except ValueError as exc:
                    raise CookieError(f"cannot parse max-age {morsel['max-age']!r}") from exc
            parts.append(f"domain={morsel['domain']}")
            parts.append(f"path={morsel['path']}")
            if morsel["secure"]:
                parts.append("secure")
            same_site = str(morsel["samesite"]).lower()
            if same_site in ("lax", "strict", "none"):
                parts.append(f"samesite={same_site}")
            if morsel["httponly"]:
                parts.append("httponly")
            lines.append("; ".join(parts))
    return lines


def _from_http(output: HttpOutput) -> Response:
    content_type: str | None = None
    headers: list[tuple[str, str]] = []
    for name, value in output.headers.items():
        if name.lower() == "content-type":
            content_type = value
        else:
            headers.append((name, value))
    body = output.body
    if isinstance(body, bytes):
        payload = body
    elif isinstance(body, str):
        payload = body.encode("utf-8")
    else:
        payload = _dotnet_text(body).encode("utf-8")
    cookies = set_cookie_lines(output.cookies)
    response = Response(payload, status_code=output.status_code)
    _set_headers(response, headers, content_type or "application/octet-stream")
    response.raw_headers.extend((b"set-cookie", line.encode("latin-1")) for line in cookies)
    return response


def to_response(value: Any) -> Response:
    """The HTTP response for an HTTP output's host value."""
    if value is None:
        return Response(status_code=200)
    if isinstance(value, HttpOutput):
        return _from_http(value)
    if isinstance(value, str):
        return _from_string(value)
    if isinstance(value, bytes):
        return Response(value, headers={"content-type": "application/octet-stream"})
    return Response(_dotnet_text(value).encode("utf-8"), headers={"content-type": TEXT_PLAIN})
