"""The third-party ("partner") API stub: it demands the key kept in the vault and fails on cue.

The app's outbound path is only proven if something on the other end checks the key and can
misbehave the way real APIs do. This stub accepts exactly the vault's current value of the
partner secret (asked through ``accepted_key`` on every call, so a rotation in the vault takes
effect at once), compares it in constant time, and never echoes or logs it.

``POST /v1/analyze`` answers a deterministic toy analysis. An ``Idempotency-Key`` header makes a
retry return the first answer (same ``analysis_id``, header ``Idempotent-Replayed: true``);
reusing a key for a different body is refused with 422, as the IETF Idempotency-Key draft
advises, so a caller that recycles keys across jobs is caught.

With a :class:`~devstack.partner.bearer.BearerGate` (``devstack up --partner-auth entra``) the
stub is an Entra-protected API instead: it demands a bearer token from the partner's tenant
and refuses every call that carries a key.

Faults (set on the control plane, ``PUT /devstack/faults/partner``: see
:mod:`devstack.control`) strike ``POST /v1/analyze`` only, before the key is checked, as an
outage in front of the API would; its counters are at ``/devstack/stats/partner``. The
hostile modes are the exception: the call is served, then its answer spoiled
(:mod:`devstack.partner.hostile`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devstack.asgi import EmulatorApp
from devstack.faults import HOSTILE_MODES, STRIKE_SCOPE_KEY, FaultGate
from devstack.partner.analysis import analyze_text
from devstack.partner.bearer import BearerGate
from devstack.partner.hostile import LANDING_PATH, landing, spoiled
from devstack.partner.keys import KeyRegistry, key_routes
from devstack.partner.store import PartnerState

__all__ = ["create_partner_app"]

logger = logging.getLogger("devstack.partner")

ANALYZE_PATH = "/v1/analyze"
MAX_TEXT_CHARS = 100_000


def create_partner_app(
    *,
    accepted_key: Callable[[], str | None],
    header_name: str = "X-Api-Key",
    keys: KeyRegistry | None = None,
    bearer: BearerGate | None = None,
) -> EmulatorApp:
    """The partner API; ``accepted_key()`` is the only key it takes (None: it takes none).

    With ``keys`` (:mod:`devstack.partner.keys`) it takes every key that registry holds
    valid instead, adopting ``accepted_key()`` (the vault's value) when it is new, and serves
    the key-management routes; ``app.state.key_faults`` is their fault gate. With ``bearer``
    it takes no key at all, only a token ``bearer`` accepts.
    """
    if not header_name:
        raise ValueError("header_name must not be empty")
    state = PartnerState(bearer, key_header=header_name)

    def accepts(presented: str) -> bool:
        if keys is not None:
            return keys.caller(presented, accepted_key()) is not None
        expected = accepted_key()
        return expected is not None and hmac.compare_digest(presented.encode(), expected.encode())

    async def analyze(request: Request) -> Response:
        if bearer is not None:
            checked = bearer.check(request.headers, key_header=header_name)
            if not isinstance(checked, dict):
                state.counters[checked.counter] += 1
                return checked.response()
            presented = request.headers["authorization"].partition(" ")[2].strip()
        else:
            presented = request.headers.get(header_name) or ""
            if not presented:
                return _refuse(state, 401, "unauthorized", "missing_api_key")
            if not accepts(presented):
                return _refuse(state, 401, "unauthorized", "invalid_api_key")
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        problem = _body_problem(body)
        idempotency_key = request.headers.get("idempotency-key")
        if problem is None and idempotency_key is not None and not 0 < len(idempotency_key) <= 255:
            problem = "Idempotency-Key must be 1-255 characters"
        if problem is not None:
            return _refuse(state, 400, "bad_request", "invalid_request", detail=problem)
        text, language = body["text"], body.get("language")
        fingerprint = hashlib.sha256(json.dumps([text, language]).encode()).hexdigest()
        if idempotency_key is not None and idempotency_key in state.answers:
            first_fingerprint, answer = state.answers[idempotency_key]
            if first_fingerprint != fingerprint:
                return _refuse(state, 422, "bad_request", "idempotency_key_reused")
            state.counters["ok"] += 1
            return JSONResponse(answer, headers={"Idempotent-Replayed": "true"})
        answer = {"analysis_id": str(uuid.uuid4()), **analyze_text(text, language)}
        if idempotency_key is not None:
            state.remember(idempotency_key, fingerprint, answer)
        state.counters["ok"] += 1
        mode = request.scope.get(STRIKE_SCOPE_KEY)
        if mode in HOSTILE_MODES:
            return spoiled(mode, key=presented, header_name=header_name, answer=answer, state=state)
        return JSONResponse(answer)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [
        Route(ANALYZE_PATH, analyze, methods=["POST"]),
        Route(LANDING_PATH, landing, methods=["GET", "POST"]),
        Route("/devstack/health", health, methods=["GET"]),
    ]
    key_faults = FaultGate()
    if bearer is not None:
        routes += bearer.routes()
    if keys is not None:
        routes += key_routes(
            keys, header_name=header_name, vault_value=accepted_key, faults=key_faults
        )
    app = EmulatorApp(
        routes=routes,
        faults=state.faults,
        counters=state,
        logger=logger,
        gated=lambda scope: scope["method"] == "POST" and scope["path"] == ANALYZE_PATH,
        arrived=state.arrive,
    )
    app.state.keys = keys
    app.state.key_faults = key_faults
    return app


def _refuse(
    state: PartnerState, status: int, counter: str, error: str, *, detail: str | None = None
) -> Response:
    state.counters[counter] += 1
    body = {"error": error} if detail is None else {"error": error, "detail": detail}
    return JSONResponse(body, status_code=status)


def _body_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    text = body.get("text")
    if not isinstance(text, str) or not 0 < len(text) <= MAX_TEXT_CHARS:
        return f"text must be a string of 1-{MAX_TEXT_CHARS} characters"
    language = body.get("language")
    if language is not None and (not isinstance(language, str) or not 2 <= len(language) <= 16):
        return "language must be a string of 2-16 characters"
    return None
