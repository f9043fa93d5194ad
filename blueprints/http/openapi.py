"""OpenAPI building blocks every API description uses: references, the error shape, headers.

The one error shape (``{"error": {"code", "message", "target"?}}``) is described here once,
beside the code that writes it (:mod:`blueprints.http.responses`).
"""

from __future__ import annotations

from typing import Any

SCHEME = "entra"
JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A response carrying the one error shape."""
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


def json_body(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


UNAUTHENTICATED = error(
    "No valid Entra token. Answered by the platform's authentication before the app runs; "
    "the app checks the token too, and its own answer carries X-Refused-By: app.",
    {
        "WWW-Authenticate": {"schema": {"type": "string"}},
        "X-Refused-By": {
            "description": "app: the app refused the call itself (the platform let it through).",
            "schema": {"type": "string", "enum": ["app"]},
        },
    },
)
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string", "pattern": "^[1-9][0-9]*$"},
    }
}
ERROR_SCHEMA: dict[str, Any] = {
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
}
