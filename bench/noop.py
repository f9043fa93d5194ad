"""A no-op HTTP function, registered on the P4 benchmark's devstack host only.

``python -m bench`` starts P4's stack with ``--blueprint bench.noop``: a request to it pays
the devstack host's own hop (HTTP parsing, App Service Authentication's token check, the
invocation and its log lines) and nothing of the app's, so it measures what the local host
adds to every request. In Azure that hop is the Functions host's, which this cannot
measure. Never registered by function_app.py.
"""

from __future__ import annotations

import azure.functions as func

ROUTE = "bench/noop"
bp = func.Blueprint()


@bp.route(route=ROUTE, methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def bench_noop(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(status_code=204)
