"""Zero trust at the app: with App Service Authentication off, the app still knows its caller.

A second host runs the app on the session's stack with authentication *off*, as a
misconfigured or drifted deployment would (authsettingsV2 disabled, a path excluded by
mistake): nothing stands in front of the functions, and the devstack host, like App
Service without authentication, passes every header through, ``X-MS-CLIENT-PRINCIPAL``
included. The app must still refuse a forged principal without a token, and any token
that fails its own verification (another audience, expired, a signature its issuer's keys
do not verify), and must take roles from the token only. Its queue and timer functions
are switched off (``AzureWebJobs.<name>.Disabled``) so this host takes no work.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from devstack.ports import free_port
from devstack.runner import ROOT, RunningStack
from devstack.tokens import TokenIssuer
from tests.support import canary
from tests.support.processes import devstack_host

CONSUMERS = ("process_job", "record_poisoned_job", "posture_timer", "outbox_timer")
CALLER = str(uuid.uuid4())


@pytest.fixture(scope="module")
def open_host(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app behind no authentication at all; its base URL."""
    work = tmp_path_factory.mktemp("open-host")
    port = free_port()
    env = {**stack.app_env, "PYTHONPATH": str(ROOT)}
    env.update({f"AzureWebJobs.{name}.Disabled": "true" for name in CONSUMERS})
    with devstack_host(ROOT, port=port, work=work, env=env, timeout=90, what="the open host"):
        yield f"http://127.0.0.1:{port}/api"


def call(method: str, url: str, headers: dict[str, str]) -> requests.Response:
    response = requests.request(method, url, headers=headers, timeout=30)
    canary.record(response.status_code, response.headers.items(), response.text)
    return response


def forged(*roles: str) -> dict[str, str]:
    claims = [{"typ": "oid", "val": CALLER}] + [{"typ": "roles", "val": r} for r in roles]
    document = {"auth_typ": "aad", "claims": claims, "role_typ": "roles", "name_typ": "name"}
    return {
        "X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(document).encode()).decode(),
        "X-MS-CLIENT-PRINCIPAL-ID": CALLER,
        "X-MS-CLIENT-PRINCIPAL-IDP": "aad",
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


SECURED = [
    ("GET", "jobs/{job}"),
    ("POST", "jobs/{job}/retry"),
    ("POST", "jobs"),
    ("GET", "posture"),
    ("POST", "posture/run"),
]


@pytest.mark.parametrize(("method", "path"), SECURED)
def test_a_forged_principal_without_a_token_is_401_with_authentication_off(
    open_host: str, method: str, path: str
) -> None:
    url = f"{open_host}/{path.format(job=uuid.uuid4())}"
    everything = forged("Jobs.Admin", "Jobs.Submit", "Posture.Admin", "Posture.Read")
    response = call(method, url, everything)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"


def test_open_paths_stay_open(open_host: str) -> None:
    assert call("GET", f"{open_host}/health", {}).status_code == 200


def test_a_valid_token_passes_and_its_roles_not_the_headers_decide(
    open_host: str, stack: RunningStack
) -> None:
    job = f"{open_host}/jobs/{uuid.uuid4()}"
    submitter = stack.caller_token("Jobs.Submit", object_id=CALLER)
    assert call("GET", job, bearer(submitter)).status_code == 404  # verified; no such job
    with_forged_admin = {**forged("Jobs.Admin"), **bearer(submitter)}
    assert call("POST", f"{job}/retry", with_forged_admin).status_code == 403


def _resigned(token: str, key: Any, kid: str, **changes: object) -> str:
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.mark.parametrize(
    "case", ["another audience", "expired", "wrong signature", "another issuer's key"]
)
def test_a_token_that_fails_the_apps_own_checks_is_401_with_authentication_off(
    open_host: str, stack: RunningStack, case: str
) -> None:
    issuer = stack.issuer()
    stranger = TokenIssuer.generate()
    good = stack.caller_token("Jobs.Admin", object_id=CALLER)
    tokens = {
        "another audience": lambda: stack.caller_token("Jobs.Admin", audience="api://other"),
        "expired": lambda: _resigned(
            good, issuer._key, issuer.key_id, exp=int(time.time()) - 3600, nbf=0, iat=0
        ),
        "wrong signature": lambda: _resigned(good, stranger._key, issuer.key_id),
        "another issuer's key": lambda: (
            stranger.mint(
                str(stack.endpoints["audience"]), object_id=CALLER, app_id="x", roles=["Jobs.Admin"]
            ).token
        ),
    }
    response = call("GET", f"{open_host}/jobs/{uuid.uuid4()}", bearer(tokens[case]()))
    assert response.status_code == 401, response.text
