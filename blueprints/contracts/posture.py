"""What the posture API promises: its roles, its query limits and its OpenAPI description.

The posture blueprint enforces these constants and the OpenAPI document describes them;
neither blueprint imports the other.
"""

from __future__ import annotations

from typing import Any

from blueprints.http.openapi import UNAUTHENTICATED, error
from posture.report.schema import REPORT_SCHEMA
from posture.report.store import MAX_HISTORY_DAYS

READ_ROLE = "Posture.Read"
ADMIN_ROLE = "Posture.Admin"
DEFAULT_HISTORY_DAYS = 7
#: ``?format=`` of the report routes: the JSON document and its renderings (a query value
#: wins over Accept, for CI systems that download a SARIF log or a JUnit file by URL).
REPORT_FORMATS = ("json", "html", "sarif", "junit")
SARIF_MEDIA_TYPE = "application/sarif+json"


def _report(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PostureReport"}},
            "text/html": {"schema": {"type": "string"}},
            SARIF_MEDIA_TYPE: {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "string"}},
        },
    }


_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "json (the document), html, sarif (SARIF 2.1.0) or junit (JUnit XML); "
    "without it, HTML when the client prefers text/html, else JSON.",
    "schema": {"type": "string", "enum": list(REPORT_FORMATS)},
}


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "PostureReport": {k: v for k, v in REPORT_SCHEMA.items() if not k.startswith("$")},
    "PostureHistory": {
        "type": "object",
        "required": ["days", "reports"],
        "properties": {
            "days": {"type": "integer", "minimum": 1, "maximum": MAX_HISTORY_DAYS},
            "reports": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["generated_at", "report", "by_status", "failed"],
                    "properties": {
                        "generated_at": {"type": ["string", "null"]},
                        "report": {"type": "string"},
                        "by_status": _COUNTS,
                        "failed": _COUNTS,
                    },
                },
            },
        },
    },
}
OPENAPI_PATHS: dict[str, Any] = {
    "/posture": {
        "get": {
            "operationId": "get_posture",
            "summary": "The latest posture report; HTML when the client prefers text/html.",
            "security": [{"entra": [READ_ROLE]}],
            "parameters": [_FORMAT],
            "responses": {
                "200": _report("The latest report."),
                "400": error("`format` is not one of json, html, sarif, junit."),
                "401": UNAUTHENTICATED,
                "403": error(f"The caller lacks the app role {READ_ROLE}."),
                "404": error("No report yet."),
                "503": error("Storage is unavailable."),
            },
        }
    },
    "/posture/history": {
        "get": {
            "operationId": "posture_history",
            "summary": "Counts of every report of the last N days, oldest first.",
            "security": [{"entra": [READ_ROLE]}],
            "parameters": [
                {
                    "name": "days",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_HISTORY_DAYS,
                        "default": DEFAULT_HISTORY_DAYS,
                    },
                }
            ],
            "responses": {
                "200": {
                    "description": "The trend.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PostureHistory"}
                        }
                    },
                },
                "400": error("`days` is not a whole number from 1 to 90 (`target`: days)."),
                "401": UNAUTHENTICATED,
                "403": error(f"The caller lacks the app role {READ_ROLE}."),
                "503": error("Storage is unavailable."),
            },
        }
    },
    "/posture/run": {
        "post": {
            "operationId": "run_posture",
            "summary": "Run every posture rule now; store and return the report.",
            "security": [{"entra": [ADMIN_ROLE]}],
            "parameters": [_FORMAT],
            "responses": {
                "200": _report("The new report."),
                "400": error("`format` is not one of json, html, sarif, junit."),
                "401": UNAUTHENTICATED,
                "403": error(f"The caller lacks the app role {ADMIN_ROLE}."),
                "503": error("The report could not be stored."),
            },
        }
    },
}
