"""The JSON Schema (draft 2020-12) of a posture report, version 2.0.

Consumers (dashboards, CI gates, the history endpoint) may rely on what is
``required`` here; anything added later is optional, and a breaking change bumps
``schema_version`` (2.0 added the ``unknown`` status: a rule that could not see what it
judges, which a consumer switching on status must handle). Evidence items are flat:
names, numbers, booleans and nulls only, so no nested structure can smuggle a value past
the scrubber.
"""

from __future__ import annotations

from typing import Any, Final

from shared.identity import IDENTITY_SOURCE_SCHEMA

_STATUSES: Final = ["pass", "fail", "error", "unknown", "skipped"]
_SEVERITIES: Final = ["critical", "high", "medium", "low", "info"]
_COUNT: Final = {"type": "integer", "minimum": 0}


_WAIVER: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["rule", "scope", "reason", "owner", "expires"],
    "properties": {
        "rule": {"type": "string"},
        "scope": {"type": "string"},
        "reason": {"type": "string", "minLength": 1},
        "owner": {"type": "string", "minLength": 1},
        "expires": {"type": "string", "format": "date"},
    },
}
_WAIVER_ENTRY: Final[dict[str, Any]] = {
    **_WAIVER,
    "required": [*_WAIVER["required"], "state", "applied_to"],
    "properties": {
        **_WAIVER["properties"],
        "state": {"enum": ["active", "expired"]},
        "applied_to": {"type": "array", "items": {"type": "string"}},
    },
}


def _counts(keys: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: _COUNT for key in keys},
        "required": keys,
        "additionalProperties": False,
    }


REPORT_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://secretless-functions.invalid/schemas/posture-report-2.0.json",
    "title": "Posture report",
    "type": "object",
    "required": [
        "kind",
        "schema_version",
        "generated_at",
        "duration_ms",
        "environment",
        "summary",
        "results",
    ],
    "properties": {
        "kind": {"const": "posture-report"},
        "schema_version": {"type": "string", "pattern": r"^2\.[0-9]+$"},
        "generated_at": {"type": "string", "format": "date-time"},
        "duration_ms": {"type": "number", "minimum": 0},
        "environment": {
            "type": "object",
            "required": ["in_azure", "site", "app_version", "identity"],
            "properties": {
                "in_azure": {"type": "boolean"},
                "site": {"type": ["string", "null"]},
                "app_version": {"type": "string"},
                "identity": IDENTITY_SOURCE_SCHEMA,
                "control_plane": {"type": "boolean"},
                "graph": {"type": "boolean"},
                "loaded": {"type": "boolean"},
                "missing_settings": {"type": "array", "items": {"type": "string"}},
            },
        },
        "waivers": {"type": "array", "items": _WAIVER_ENTRY},
        "baselines": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "rules", "missing"],
                "properties": {
                    "name": {"type": "string"},
                    "rules": {"type": "array", "items": {"type": "string"}},
                    "missing": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "summary": {
            "type": "object",
            "required": ["total", "by_status", "by_severity", "failed"],
            "properties": {
                "total": _COUNT,
                "by_status": _counts(_STATUSES),
                "by_severity": {
                    "type": "object",
                    "properties": {sev: _counts(_STATUSES) for sev in _SEVERITIES},
                    "required": _SEVERITIES,
                    "additionalProperties": False,
                },
                "failed": _counts(_SEVERITIES),
                "waived": _COUNT,
            },
        },
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "title",
                    "severity",
                    "category",
                    "status",
                    "message",
                    "evidence",
                    "remediation",
                    "docs",
                    "duration_ms",
                ],
                "properties": {
                    "id": {"type": "string", "pattern": "^[A-Z]+(-[A-Z0-9]+)+$"},
                    "title": {"type": "string"},
                    "severity": {"enum": _SEVERITIES},
                    "category": {"enum": ["runtime", "key-vault", "control-plane", "entra"]},
                    "status": {"enum": _STATUSES},
                    "message": {"type": "string"},
                    "evidence": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": {
                                "type": ["string", "number", "boolean", "null"]
                            },
                        },
                    },
                    "remediation": {"type": "string"},
                    "reads": {"type": "string"},
                    "permission": {"type": "string"},
                    "docs": {"type": "string", "pattern": "^https://"},
                    "duration_ms": {"type": "number", "minimum": 0},
                    "waiver": _WAIVER,
                },
            },
        },
    },
}
