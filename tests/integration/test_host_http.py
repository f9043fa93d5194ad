"""The devstack host's HTTP semantics and its App Service Authentication emulation."""

from __future__ import annotations

import base64
import json
import socket
import uuid

import pytest
import requests

from devstack.runner import RunningStack
from tests.integration.conftest import HostApp
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def auth(stack: RunningStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.caller_token('Jobs.Submit', 'Jobs.Admin')}"}


def test_route_with_guid_constraint(hostapp: HostApp, auth: dict[str, str]) -> None:
    item = str(uuid.uuid4())
    ok = requests.get(f"{hostapp.base}/api/items/{item}", headers=auth, timeout=10)
    assert ok.status_code == 200
    assert ok.json() == {"id": item}
    assert (
        requests.get(f"{hostapp.base}/api/items/not-a-guid", headers=auth, timeout=10).status_code
        == 404
    )


def test_literal_segment_wins_over_parameter(hostapp: HostApp, auth: dict[str, str]) -> None:
    response = requests.get(f"{hostapp.base}/api/items/special", headers=auth, timeout=10)
    assert response.status_code == 200
    assert response.text == "special"


def test_int_min_constraint_and_optional_segment(hostapp: HostApp, auth: dict[str, str]) -> None:
    base = f"{hostapp.base}/api/pages"
    assert requests.get(f"{base}/3", headers=auth, timeout=10).json() == {"n": "3"}
    assert requests.get(f"{base}/3/news", headers=auth, timeout=10).json() == {
        "n": "3",
        "tag": "news",
    }
    assert requests.get(f"{base}/0", headers=auth, timeout=10).status_code == 404
    assert requests.get(f"{base}/x", headers=auth, timeout=10).status_code == 404


def test_unknown_route_and_unlisted_method_are_404(hostapp: HostApp, auth: dict[str, str]) -> None:
    """The host's function routes carry an HTTP-method constraint: a method a route does not
    list matches no route, so it is a 404 like an unknown route (WebScriptHostHttpRoutesManager
    adds HttpMethodRouteConstraint)."""
    assert (
        requests.get(f"{hostapp.base}/api/nothing-here", headers=auth, timeout=10).status_code
        == 404
    )
    wrong = requests.delete(f"{hostapp.base}/api/items/{uuid.uuid4()}", headers=auth, timeout=10)
    assert wrong.status_code == 404


def test_a_disabled_function_is_not_served(hostapp: HostApp, auth: dict[str, str]) -> None:
    response = requests.get(f"{hostapp.base}/api/switched-off", headers=auth, timeout=10)
    assert response.status_code == 404
    assert "Function 'Functions.switched_off' is disabled" in hostapp.log_text()
    # Only that one: its neighbours still answer.
    assert requests.get(f"{hostapp.base}/api/items/special", headers=auth, timeout=10).ok


def test_raising_function_gives_bare_500(hostapp: HostApp, auth: dict[str, str]) -> None:
    response = requests.get(f"{hostapp.base}/api/boom", headers=auth, timeout=10)
    assert response.status_code == 500
    assert "internal detail" not in response.text
    assert eventually(lambda: "Executed 'Functions.boom' (Failed" in hostapp.log_text())


def test_query_and_body_reach_the_function(hostapp: HostApp, auth: dict[str, str]) -> None:
    response = requests.post(
        f"{hostapp.base}/api/echo?x=1&y=two", data=b"payload", headers=auth, timeout=10
    )
    assert response.status_code == 201
    body = response.json()
    assert body["params"] == {"x": "1", "y": "two"}
    assert body["body"] == "payload"


def test_no_token_is_401_before_the_function(hostapp: HostApp) -> None:
    response = requests.post(f"{hostapp.base}/api/echo", data=b"x", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    # Easy Auth answers before routing: an unknown route without a token is 401 too.
    assert requests.get(f"{hostapp.base}/api/nothing-here", timeout=10).status_code == 401


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["Jobs.Admin", "Posture.Admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "case", ["tampered", "expired", "wrong audience", "not yet valid", "not bearer"]
)
def test_bad_tokens_are_401(hostapp: HostApp, stack: RunningStack, case: str) -> None:
    tokens = {
        "tampered": lambda: _tamper(stack.caller_token("Jobs.Submit")),
        "expired": lambda: stack.caller_token(lifetime=-60),
        "wrong audience": lambda: stack.caller_token(audience="https://storage.azure.com"),
        "not yet valid": lambda: (
            stack.issuer()
            .mint(
                str(stack.endpoints["audience"]),
                object_id="x",
                app_id="y",
                not_before=2_000_000_000,
                lifetime=2_000_000_000,
            )
            .token
        ),
        "not bearer": lambda: "",
    }
    value = tokens[case]()
    header = f"Basic {value or 'dXNlcjpwYXNz'}" if case == "not bearer" else f"Bearer {value}"
    response = requests.post(
        f"{hostapp.base}/api/echo", data=b"x", headers={"Authorization": header}, timeout=10
    )
    assert response.status_code == 401, case
    assert value[-20:] not in response.text or not value


def test_good_token_gives_the_function_the_principal(hostapp: HostApp, stack: RunningStack) -> None:
    caller = str(uuid.uuid4())
    token = stack.caller_token("Jobs.Submit", "Posture.Read", object_id=caller)
    spoofed = base64.b64encode(
        json.dumps({"claims": [{"typ": "roles", "val": "Jobs.Admin"}]}).encode()
    ).decode()
    response = requests.post(
        f"{hostapp.base}/api/echo",
        data=b"x",
        timeout=10,
        headers={
            "Authorization": f"Bearer {token}",
            "X-MS-CLIENT-PRINCIPAL": spoofed,
            "X-MS-CLIENT-PRINCIPAL-ID": "spoofed",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["principal_id"] == caller
    principal = json.loads(base64.b64decode(body["principal"]))
    roles = sorted(c["val"] for c in principal["claims"] if c["typ"] == principal["role_typ"])
    assert roles == ["Jobs.Submit", "Posture.Read"]


def test_excluded_path_needs_no_token(hostapp: HostApp) -> None:
    response = requests.get(f"{hostapp.base}/api/public/ping", timeout=10)
    assert response.status_code == 200
    assert response.text == "pong"


def _head_answer(
    stack: RunningStack, extra: list[tuple[str, str]], path: str = "/api/health"
) -> int:
    """Send one request head byte for byte over a socket; the answer's status (0: the host
    closed the connection without one, also a refusal)."""
    host, port = stack.api.removeprefix("http://").split("/")[0].split(":")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in extra] + ["Connection: close", "", ""]
    answer = b""
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        try:
            conn.sendall("\r\n".join(lines).encode())
            while chunk := conn.recv(65536):
                answer += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-head: the server answered (or not) and closed on the rest
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_the_host_refuses_a_head_past_the_functions_host_s_limits(stack: RunningStack) -> None:
    """Kestrel's defaults, which the Functions host keeps (devstack/host/limits.py cites both
    sources): 32 KB of header lines, 100 lines, an 8 KB request line. Each is met exactly
    (the health route answers), then passed (431, 414). The red team's 200 KB header
    was accepted before; now it is refused, by the limit (431) or, when it arrives in pieces,
    by uvicorn's buffer for a head still coming (400), the connection closed on the rest."""
    host_line = len(f"Host: {stack.api.removeprefix('http://').split('/')[0]}\r\n")
    fixed = host_line + len("Connection: close\r\n") + len("X-Pad: \r\n")

    def pad(total: int) -> list[tuple[str, str]]:
        return [("X-Pad", "p" * (total - fixed))]

    served = (200, 503)  # the health route's answers: the head was let through
    assert _head_answer(stack, pad(32 * 1024)) in served
    assert _head_answer(stack, pad(32 * 1024 + 1)) == 431
    assert _head_answer(stack, pad(200 * 1024)) in (0, 400, 431)
    many = [(f"X-{i}", "v") for i in range(98)]  # with Host and Connection: 100 lines
    assert _head_answer(stack, many) in served
    assert _head_answer(stack, [*many, ("X-More", "v")]) == 431
    line = len("GET ") + len(" HTTP/1.1\r\n") + len("/api/health?q=")
    assert _head_answer(stack, [], "/api/health?q=" + "a" * (8 * 1024 - line)) in served
    assert _head_answer(stack, [], "/api/health?q=" + "a" * (8 * 1024 - line + 1)) == 414
