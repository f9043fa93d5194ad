"""``GET /api/openapi.json``: the HTTP API described as OpenAPI 3.1.

The document is built here, in code, from the same constants the jobs API
validates with (roles, size limits), so a limit changed in one place cannot drift
from its description. A test holds its paths against the functions the app
registers, and the fuzz tests hold the running API against it.

Excluded from authentication like ``/api/health`` (``authsettingsV2`` in Azure, the
devstack host locally): a client needs the document before it has a token. It
describes the API's shape only; it holds no tenant, no client id, no setting.
"""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

from blueprints.jobs import (
    ADMIN_ROLE,
    MAX_BODY_BYTES,
    MAX_IDEMPOTENCY_KEY,
    MAX_TEXT_CHARS,
    SUBMIT_ROLE,
)
from blueprints.posture import OPENAPI_PATHS as POSTURE_PATHS
from blueprints.posture import OPENAPI_SCHEMAS as POSTURE_SCHEMAS
from shared import __version__
from shared.identity import IDENTITY_SOURCE_SCHEMA
from shared.jobmodel import COMPLETED, FAILED, PROCESSING, QUEUED

bp = func.Blueprint()  # type: ignore[no-untyped-call]

OPENAPI_VERSION = "3.1.0"
SCHEME = "entra"
JSON = "application/json"


#: What ``str.strip()`` removes, spelled out: ``\\s`` differs between regex dialects.
_WHITESPACE = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


def _json(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


UNAUTHENTICATED = _error(
    "No valid Entra token. Answered by the platform's authentication before the app runs.",
    {"WWW-Authenticate": {"schema": {"type": "string"}}},
)
JOB_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The job's id, as returned by `POST /api/jobs`.",
    "schema": {"type": "string", "format": "uuid"},
}
LOCATION = {
    "Location": {"description": "`/api/jobs/{id}`", "schema": {"type": "string"}},
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string", "pattern": "^[1-9][0-9]*$"},
    }
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "The one error shape of every 4xx and 5xx the app returns.",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z_]+$"},
                    "message": {"type": "string", "minLength": 1},
                    "target": {"type": "string", "description": "The field or header at fault."},
                },
            }
        },
    },
    "JobRequest": {
        "type": "object",
        "required": ["text"],
        "additionalProperties": False,
        "description": f"At most {MAX_BODY_BYTES} bytes as UTF-8 JSON.",
        "properties": {
            "text": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_TEXT_CHARS,
                "pattern": f"[^{_WHITESPACE}]",
                "description": "The text to analyse; not only whitespace.",
            },
            "language": {
                "type": ["string", "null"],
                "minLength": 2,
                "maxLength": 8,
                "pattern": "^[A-Za-z-]*[A-Za-z][A-Za-z-]*$",
                "description": "A language tag such as `en` or `pt-BR`.",
            },
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "status", "created", "updated"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status": {"enum": [QUEUED, PROCESSING, COMPLETED, FAILED]},
            "created": {"type": "string", "format": "date-time"},
            "updated": {"type": "string", "format": "date-time"},
            "reason": {
                "type": ["string", "null"],
                "description": "Why the job failed (only when `failed`).",
            },
            "result": {"oneOf": [_ref("JobResult"), {"type": "null"}]},
        },
    },
    "JobResult": {
        "type": "object",
        "required": ["job_id", "analysis_id", "word_count", "completed"],
        "properties": {
            "job_id": {"type": "string", "format": "uuid"},
            "analysis_id": {"type": "string"},
            "language": {"type": ["string", "null"]},
            "sentiment": {"type": ["string", "null"]},
            "characters": {"type": "integer", "minimum": 0},
            "word_count": {"type": "integer", "minimum": 0},
            "unique_words": {"type": "integer", "minimum": 0},
            "top_words": {"type": "array", "items": {"type": "string"}},
            "reading_time_seconds": {"type": "integer", "minimum": 0},
            "completed": {"type": "string", "format": "date-time"},
        },
    },
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
}

PATHS: dict[str, Any] = {
    "/jobs": {
        "post": {
            "operationId": "submit_job",
            "summary": "Submit a job: analysed by the partner, then processed from the queue.",
            "security": [{SCHEME: [SUBMIT_ROLE]}],
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "The same key and body return the same job, once.",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_IDEMPOTENCY_KEY,
                        "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
                    },
                }
            ],
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": _ref("JobRequest")}},
            },
            "responses": {
                "202": _json("Accepted and queued.", _ref("Job"), headers=LOCATION),
                "400": _error("Malformed JSON, invalid UTF-8, a bad field or header (`target`)."),
                "401": UNAUTHENTICATED,
                "403": _error(f"The caller lacks the app role {SUBMIT_ROLE}."),
                "409": _error("The Idempotency-Key was used with a different body."),
                "413": _error(f"The body exceeds {MAX_BODY_BYTES} bytes."),
                "415": _error("The body is not `application/json`."),
                "502": _error("The partner API refused the call."),
                "503": _error("Key Vault, the partner or storage is unavailable.", RETRY_AFTER),
            },
        }
    },
    "/jobs/{id}": {
        "get": {
            "operationId": "get_job",
            "summary": "A job's status; its result once completed.",
            "security": [{SCHEME: []}],
            "parameters": [JOB_ID],
            "responses": {
                "200": _json("The job.", _ref("Job")),
                "401": UNAUTHENTICATED,
                "404": _error(
                    f"No such job, or another caller's (callers with {ADMIN_ROLE} see all)."
                ),
                "503": _error("Storage is unavailable.", RETRY_AFTER),
            },
        }
    },
    "/jobs/{id}/retry": {
        "post": {
            "operationId": "retry_job",
            "summary": "Re-enqueue a failed job.",
            "security": [{SCHEME: [ADMIN_ROLE]}],
            "parameters": [JOB_ID],
            "responses": {
                "202": _json("Re-enqueued.", _ref("Job"), headers=LOCATION),
                "401": UNAUTHENTICATED,
                "403": _error(f"The caller lacks the app role {ADMIN_ROLE}."),
                "404": _error("No such job."),
                "409": _error("The job is not failed."),
                "503": _error("Storage is unavailable; the job stays failed.", RETRY_AFTER),
            },
        }
    },
    "/health": {
        "get": {
            "operationId": "health",
            "summary": "Liveness and which identity the app runs as. No token needed.",
            "security": [],
            "responses": {"200": _json("Alive.", _ref("Health"))},
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi_document",
            "summary": "This document. No token needed.",
            "security": [],
            "responses": {
                "200": _json(
                    "The OpenAPI document.",
                    {"type": "object", "required": ["openapi", "info", "paths"]},
                )
            },
        }
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it freely)."""
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
        "paths": json.loads(json.dumps({**PATHS, **POSTURE_PATHS})),
        "components": {
            "schemas": json.loads(json.dumps({**SCHEMAS, **POSTURE_SCHEMAS})),
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


_SERVED = json.dumps(document(), separators=(",", ":"))


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        _SERVED,
        status_code=200,
        mimetype=JSON,
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
