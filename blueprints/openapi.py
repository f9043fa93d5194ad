"""``GET /api/openapi.json``: the HTTP API described as OpenAPI 3.1.

The document is built here, in code, from the contracts the blueprints enforce
(:mod:`blueprints.contracts`: roles, size limits), so a limit changed in one place cannot
drift from its description. A test holds its paths against the functions the app
registers, and the fuzz tests hold the running API against it.

Excluded from authentication like ``/api/health`` (``authsettingsV2`` in Azure, the
devstack host locally): a client needs the document before it has a token. It
describes the API's shape only; it holds no tenant, no client id, no setting.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import azure.functions as func

from blueprints.contracts import jobs as jobs_api
from blueprints.contracts import posture as posture_api
from blueprints.http.errors import api_errors
from blueprints.http.openapi import ERROR_SCHEMA, JSON, SCHEME, json_body, ref
from shared import __version__
from shared.identity import IDENTITY_SOURCE_SCHEMA

bp = func.Blueprint()  # type: ignore[no-untyped-call]

OPENAPI_VERSION = "3.1.0"


def _schemas() -> dict[str, Any]:
    return {
        "Error": ERROR_SCHEMA,
        **jobs_api.OPENAPI_SCHEMAS,
        "Health": {
            "type": "object",
            "required": ["status", "version", "identity"],
            "additionalProperties": False,
            "properties": {
                "status": {"const": "ok"},
                "version": {"type": "string"},
                "identity": IDENTITY_SOURCE_SCHEMA,
            },
        },
        **posture_api.OPENAPI_SCHEMAS,
    }


def _paths() -> dict[str, Any]:
    return {
        **jobs_api.OPENAPI_PATHS,
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness and which identity the app runs as. No token needed.",
                "security": [],
                "responses": {"200": json_body("Alive.", ref("Health"))},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi_document",
                "summary": "This document. No token needed.",
                "security": [],
                "responses": {
                    "200": json_body(
                        "The OpenAPI document.",
                        {"type": "object", "required": ["openapi", "info", "paths"]},
                    )
                },
            }
        },
        **posture_api.OPENAPI_PATHS,
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it freely), built when asked:
    indexing the app does not pay for it."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "secretless-functions",
            "version": __version__,
            "description": (
                "Jobs and posture API of a secretless Azure Functions app. Every operation but "
                "`/health` and `/openapi.json` needs an Entra access token for the app; "
                "the platform answers 401 without a valid one. Errors are always "
                '`{"error": {"code", "message", "target"?}}`. A method a route does not '
                "list and an unknown route get 404 from the host."
            ),
        },
        "servers": [{"url": "/api"}],
        "security": [{SCHEME: []}],
        "paths": json.loads(json.dumps(_paths())),
        "components": {
            "schemas": json.loads(json.dumps(_schemas())),
            "securitySchemes": {
                SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "An Entra ID access token whose audience is the app registration. "
                        "The scopes listed by an operation are the app roles (`roles` "
                        "claim) it requires."
                    ),
                }
            },
        },
    }


@functools.cache
def _served() -> str:
    """The document as served, built on the first request: indexing the app (every cold
    start) does not pay for an answer most instances never give."""
    return json.dumps(document(), separators=(",", ":"))


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_errors()
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        _served(),
        status_code=200,
        mimetype=JSON,
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
