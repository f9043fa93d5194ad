"""``GET /api/health``: liveness and which identity the app runs as.

Excluded from authentication (in Azure by ``authsettingsV2``, locally by the
devstack host) so probes work without a token; it therefore shows nothing
that helps an attacker: no secret, no token, no setting value but the
identity's client id.

It is a coroutine on purpose: the Python worker runs ``async`` functions on its event loop
and synchronous ones on its thread pool, so a probe keeps answering while every worker
thread waits on a slow dependency.
"""

from __future__ import annotations

import json

import azure.functions as func

from blueprints.http.errors import api_errors
from shared import __version__
from shared.identity import identity_source

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_errors()
async def health(req: func.HttpRequest) -> func.HttpResponse:
    body = {"status": "ok", "version": __version__, "identity": identity_source()}
    return func.HttpResponse(
        json.dumps(body),
        status_code=200,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )
