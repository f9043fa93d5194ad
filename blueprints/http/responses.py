"""JSON responses with one error shape for every 4xx/5xx the API returns.

``{"error": {"code": "...", "message": "...", "target": "field"}}`` (the shape
of Azure REST API errors) so a client can always tell what was wrong and where.
Messages are written by the app, never copied from an exception.
"""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

JSON = "application/json"


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        mimetype=JSON,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    target: str | None = None,
    headers: dict[str, str] | None = None,
) -> func.HttpResponse:
    error: dict[str, str] = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    return json_response({"error": error}, status=status, headers=headers)
