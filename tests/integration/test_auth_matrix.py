"""Who may call what: every secured route x every way a caller can be wrong.

The routes come from the served OpenAPI document, so a new route joins the matrix
by being documented (and the document is held against the registered functions).
Rows are tokens that must never pass the platform's authentication (401), a caller
without the route's app role (403), and a caller reaching for another caller's job
(404, or 403 where the route needs a role the caller lacks). Each row first checks
its control: the same request with a valid token for the right caller is accepted,
so a rejection is about authorization, not about the request. Nothing a rejected
request asks for happens: no job blob, no partner call, no change to the job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.runner import RunningStack
from devstack.tokens import issuer_url
from tests.support.footprint import Footprint
from tests.support.jobsapi import Api

SUBMIT, ADMIN = "Jobs.Submit", "Jobs.Admin"
OWNER = str(uuid.uuid4())
INTRUDER = str(uuid.uuid4())
BODY = {"text": "the auth matrix's job"}


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    roles: frozenset[str]

    @property
    def job_scoped(self) -> bool:
        return "{id}" in self.path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def secured_operations(document: dict[str, Any]) -> list[Operation]:
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            requirement = operation.get("security", document.get("security", []))
            if requirement == []:
                continue
            roles = frozenset(
                role for scheme in requirement for roles in scheme.values() for role in roles
            )
            operations.append(Operation(method.upper(), path, roles))
    return sorted(operations, key=str)


@dataclass
class Matrix:
    stack: RunningStack
    api: Api
    operations: list[Operation]
    job_id: str

    @property
    def all_roles(self) -> list[str]:
        """Every app role any route asks for: a caller who may do anything."""
        return sorted({SUBMIT, ADMIN}.union(*(op.roles for op in self.operations)))

    def url(self, operation: Operation) -> str:
        return self.stack.api + operation.path.replace("{id}", self.job_id)

    def call(
        self, operation: Operation, token: str | None, *, extra: dict[str, str] | None = None
    ) -> requests.Response:
        headers = {"Content-Type": "application/json", **(extra or {})}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(BODY).encode() if operation.method == "POST" else None
        return self.api.session.request(
            operation.method, self.url(operation), data=data, headers=headers, timeout=30
        )

    def mint(self, *roles: str, object_id: str = OWNER, **options: Any) -> str:
        audience = options.pop("audience", self.stack.endpoints["audience"])
        return (
            self.stack.issuer()
            .mint(audience, object_id=object_id, app_id="matrix", roles=list(roles), **options)
            .token
        )


@pytest.fixture(scope="module")
def matrix(stack: RunningStack) -> Matrix:
    document = requests.get(f"{stack.api}/openapi.json", timeout=10).json()
    operations = secured_operations(document)
    assert {str(op) for op in operations} >= {
        "POST /jobs",
        "GET /jobs/{id}",
        "POST /jobs/{id}/retry",
    }
    api = Api(stack)
    created = api.submit(BODY, object_id=OWNER)
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    # A settled job: the worker no longer changes it, so any change is the matrix's doing.
    api.wait_for(job_id, "completed", object_id=OWNER)
    return Matrix(stack=stack, api=api, operations=operations, job_id=job_id)


# -- tokens that must never pass ---------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(m: Matrix, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "aud": m.stack.endpoints["audience"],
        "iss": m.stack.endpoints["issuer"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "oid": OWNER,
        "sub": OWNER,
        "tid": m.stack.endpoints["tenant_id"],
        "roles": [SUBMIT, ADMIN],
    }
    claims.update(changes)
    return claims


def _foreign_key_with_trusted_kid(m: Matrix) -> str:
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(
        _claims(m), foreign, algorithm="RS256", headers={"kid": m.stack.issuer().key_id}
    )


def _tampered(m: Matrix) -> str:
    header, payload, signature = m.mint(object_id=INTRUDER).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update({"oid": OWNER, "sub": OWNER, "roles": [SUBMIT, ADMIN]})
    return ".".join((header, _b64(json.dumps(claims).encode()), signature))


def _unsigned(m: Matrix) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": m.stack.issuer().key_id}
    return ".".join((_b64(json.dumps(header).encode()), _b64(json.dumps(_claims(m)).encode()), ""))


def _hmac_with_public_key(m: Matrix) -> str:
    """The algorithm-confusion attack: HS256 keyed with the issuer's public key."""
    public = m.stack.issuer()._public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": m.stack.issuer().key_id}
    signing_input = ".".join(
        (_b64(json.dumps(header).encode()), _b64(json.dumps(_claims(m)).encode()))
    )
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


INVALID_TOKENS: dict[str, Callable[[Matrix], str | None]] = {
    "no token": lambda m: None,
    "expired": lambda m: m.mint(*m.all_roles, lifetime=-60),
    "not yet valid": lambda m: m.mint(*m.all_roles, not_before=int(time.time()) + 600),
    "wrong audience": lambda m: m.mint(*m.all_roles, audience="api://another-app"),
    "storage audience": lambda m: m.mint(*m.all_roles, audience="https://storage.azure.com"),
    "wrong issuer": lambda m: m.mint(*m.all_roles, extra={"iss": issuer_url(str(uuid.uuid4()))}),
    "bad signature (foreign key, trusted kid)": _foreign_key_with_trusted_kid,
    "bad signature (tampered claims)": _tampered,
    "bad signature (alg none)": _unsigned,
    "bad signature (HS256 with the public key)": _hmac_with_public_key,
    "untrusted signing key": lambda m: jwt.encode(
        _claims(m), rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"
    ),
    "not a JWT": lambda m: "not-a-token",
}
SCHEMES = {"Basic scheme": "Basic", "token without scheme": ""}


def _error_code(response: requests.Response) -> str | None:
    try:
        code: str | None = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code


def _control(m: Matrix, operation: Operation) -> requests.Response:
    """The same request from a caller who may make it: it passes authentication."""
    token = m.mint(*m.all_roles, object_id=OWNER)
    response = m.call(operation, token)
    refused = (401, 403, 404) if operation.job_scoped else (401, 403)
    assert response.status_code not in refused, (str(operation), response.text)
    return response


def _assert_untouched(m: Matrix, before: Footprint, job_before: dict[str, Any]) -> None:
    assert Footprint.of(m.stack) == before, "a rejected request left something behind"
    job_after = m.api.job(m.job_id, object_id=OWNER).json()
    assert job_after["updated"] == job_before["updated"], "a rejected request changed the job"


@pytest.mark.parametrize("case", sorted(INVALID_TOKENS))
def test_invalid_tokens_get_401_on_every_route(matrix: Matrix, case: str) -> None:
    job_before = matrix.api.job(matrix.job_id, object_id=OWNER).json()
    before = Footprint.of(matrix.stack)
    token = INVALID_TOKENS[case](matrix)
    cells = {str(op): matrix.call(op, token) for op in matrix.operations}
    wrong = {
        op: (r.status_code, _error_code(r))
        for op, r in cells.items()
        if (r.status_code, _error_code(r)) != (401, "unauthenticated")
    }
    assert wrong == {}, f"{case}: not refused with 401"
    assert all("WWW-Authenticate" in r.headers for r in cells.values())
    _assert_untouched(matrix, before, job_before)


@pytest.mark.parametrize("case", sorted(SCHEMES))
def test_a_valid_token_in_the_wrong_scheme_gets_401(matrix: Matrix, case: str) -> None:
    token = matrix.mint(*matrix.all_roles)
    value = f"{SCHEMES[case]} {token}".strip()
    for operation in matrix.operations:
        response = matrix.call(operation, None, extra={"Authorization": value})
        assert response.status_code == 401, (case, str(operation))


def test_missing_role_gets_403_or_404_on_every_route(matrix: Matrix) -> None:
    """A caller without the route's role: 403; on a job route that needs none, not theirs: 404."""
    for operation in matrix.operations:
        _control(matrix, operation)
    job_before = matrix.api.job(matrix.job_id, object_id=OWNER).json()
    before = Footprint.of(matrix.stack)
    for operation in matrix.operations:
        if operation.roles:
            for roles in ((), ("Unrelated.Role",)):
                response = matrix.call(operation, matrix.mint(*roles, object_id=OWNER))
                cell = (response.status_code, _error_code(response))
                assert cell == (403, "forbidden"), (str(operation), roles)
        elif operation.job_scoped:
            response = matrix.call(operation, matrix.mint(object_id=INTRUDER))
            cell = (response.status_code, _error_code(response))
            assert cell == (404, "not_found"), str(operation)
        else:
            pytest.fail(
                f"{operation}: needs no role and owns nothing; decide its missing-role cell"
            )
    _assert_untouched(matrix, before, job_before)


@pytest.mark.parametrize(
    ("route", "role"),
    [("POST /jobs", ADMIN), ("POST /jobs/{id}/retry", SUBMIT)],
    ids=["submit as admin only", "retry as submitter"],
)
def test_one_jobs_role_does_not_stand_in_for_the_other(
    matrix: Matrix, route: str, role: str
) -> None:
    operation = next(op for op in matrix.operations if str(op) == route)
    job_before = matrix.api.job(matrix.job_id, object_id=OWNER).json()
    before = Footprint.of(matrix.stack)
    response = matrix.call(operation, matrix.mint(role, object_id=OWNER))
    assert (response.status_code, _error_code(response)) == (403, "forbidden")
    assert response.json()["error"]["message"].endswith(" ".join(sorted(operation.roles)))
    _assert_untouched(matrix, before, job_before)


def test_another_callers_job_is_404_or_403(matrix: Matrix) -> None:
    """Without Jobs.Admin, another caller's job does not exist; its existence is not revealed."""
    job_before = matrix.api.job(matrix.job_id, object_id=OWNER).json()
    unknown = str(uuid.uuid4())
    for operation in (op for op in matrix.operations if op.job_scoped):
        before = Footprint.of(matrix.stack)
        intruder = matrix.mint(SUBMIT, object_id=INTRUDER)
        response = matrix.call(operation, intruder)
        expected = 403 if operation.roles - {SUBMIT} else 404
        assert response.status_code == expected, (str(operation), response.text)
        # The answer for someone else's job equals the answer for no job at all.
        nobody = matrix.api.session.request(
            operation.method,
            matrix.url(operation).replace(matrix.job_id, unknown),
            headers={"Authorization": f"Bearer {intruder}"},
            timeout=30,
        )
        assert (nobody.status_code, nobody.json()) == (response.status_code, response.json())
        _assert_untouched(matrix, before, job_before)


def test_another_callers_idempotency_key_never_returns_their_job(matrix: Matrix) -> None:
    key = f"matrix-{uuid.uuid4()}"
    mine = matrix.api.submit(BODY, key=key, object_id=OWNER)
    theirs = matrix.api.submit(BODY, key=key, object_id=INTRUDER)
    assert mine.status_code == theirs.status_code == 202
    assert theirs.json()["id"] != mine.json()["id"]
    assert matrix.api.job(mine.json()["id"], object_id=INTRUDER).status_code == 404


def test_principal_headers_from_the_caller_are_ignored(matrix: Matrix) -> None:
    """Only the platform sets X-MS-CLIENT-PRINCIPAL*; a caller's own are dropped."""
    forged_claims = {
        "claims": [
            {"typ": "oid", "val": OWNER},
            {"typ": "roles", "val": ADMIN},
            {"typ": "roles", "val": SUBMIT},
        ]
    }
    forged = {
        "X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(forged_claims).encode()).decode(),
        "X-MS-CLIENT-PRINCIPAL-ID": OWNER,
    }
    get_job = next(op for op in matrix.operations if str(op) == "GET /jobs/{id}")
    anonymous = matrix.call(get_job, None, extra=forged)
    assert anonymous.status_code == 401
    as_intruder = matrix.call(get_job, matrix.mint(object_id=INTRUDER), extra=forged)
    assert as_intruder.status_code == 404
    as_owner = matrix.call(get_job, matrix.mint(object_id=OWNER), extra=forged)
    assert as_owner.status_code == 200


def test_admin_sees_and_owner_sees_but_no_one_else(matrix: Matrix) -> None:
    get_job = next(op for op in matrix.operations if str(op) == "GET /jobs/{id}")
    assert matrix.call(get_job, matrix.mint(object_id=OWNER)).status_code == 200
    assert matrix.call(get_job, matrix.mint(ADMIN, object_id=INTRUDER)).status_code == 200
    assert matrix.call(get_job, matrix.mint(SUBMIT, object_id=INTRUDER)).status_code == 404
