"""What the jobs API promises: its roles, its limits and its OpenAPI description.

The jobs blueprint enforces these constants and the OpenAPI document describes them, so
a limit changed here changes both; neither blueprint imports the other.
"""

from __future__ import annotations

from typing import Any

from blueprints.http.openapi import (
    JSON,
    RETRY_AFTER,
    SCHEME,
    UNAUTHENTICATED,
    error,
    json_body,
    ref,
)
from shared.jobs import COMPLETED, FAILED, PROCESSING, QUEUED
from shared.partner import DETECTED_LANGUAGES, SENTIMENTS

SUBMIT_ROLE = "Jobs.Submit"
ADMIN_ROLE = "Jobs.Admin"
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 10_000
MAX_IDEMPOTENCY_KEY = 200
FIELDS = frozenset({"text", "language"})

#: What ``str.strip()`` removes (every character ``str.isspace()`` accepts), spelled out as
#: a regex class body, since ``\\s`` differs between regex dialects. Written out rather than
#: computed over the first 12,289 code points at import (a test holds it to ``isspace``).
WHITESPACE = (
    "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
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
OPENAPI_SCHEMAS: dict[str, Any] = {
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
                "pattern": f"[^{WHITESPACE}]",
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
            "result": {"oneOf": [ref("JobResult"), {"type": "null"}]},
        },
    },
    "JobResult": {
        "type": "object",
        "required": ["job_id", "word_count", "completed"],
        "additionalProperties": False,
        "properties": {
            "job_id": {"type": "string", "format": "uuid"},
            "language": {
                "type": ["string", "null"],
                "maxLength": 8,
                "description": "The tag the job asked for; for a job that asked for none, "
                f"the language the partner detected: one of {sorted(DETECTED_LANGUAGES)}.",
            },
            "sentiment": {"enum": [*sorted(SENTIMENTS), None]},
            "characters": {"type": "integer", "minimum": 0},
            "word_count": {"type": "integer", "minimum": 0},
            "unique_words": {"type": "integer", "minimum": 0},
            "top_words": {"type": "array", "items": {"type": "string"}},
            "reading_time_seconds": {"type": "integer", "minimum": 0},
            "completed": {"type": "string", "format": "date-time"},
        },
    },
}
OPENAPI_PATHS: dict[str, Any] = {
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
                "content": {JSON: {"schema": ref("JobRequest")}},
            },
            "responses": {
                "202": json_body("Accepted and queued.", ref("Job"), headers=LOCATION),
                "400": error("Malformed JSON, invalid UTF-8, a bad field or header (`target`)."),
                "401": UNAUTHENTICATED,
                "403": error(f"The caller lacks the app role {SUBMIT_ROLE}."),
                "409": error(
                    "The Idempotency-Key was used with a different body "
                    "(`idempotency_conflict`), or its first request is still being handled "
                    "(`idempotency_in_progress`: repeat it after `Retry-After`).",
                    RETRY_AFTER,
                ),
                "413": error(f"The body exceeds {MAX_BODY_BYTES} bytes."),
                "415": error("The body is not `application/json`."),
                "500": error(
                    "The deployment is misconfigured (`code`: `vault_access_denied`,"
                    " `partner_key_invalid`, `vault_secret_missing` and `vault_secret_disabled`;"
                    " with Entra tokens `partner_token_refused`, whose message ends with"
                    " Entra's `AADSTS` code, and `identity_unavailable`)."
                ),
                "502": error(
                    "The partner API refused the call or its answer was refused, or a TLS"
                    " connection could not be trusted (`code`: `partner_refused`,"
                    " `partner_token_rejected`, `partner_answer_invalid`, `tls_failure`,"
                    " `vault_error`, `entra_error`, `partner_error`)."
                ),
                "503": error(
                    "Key Vault, Entra, the partner or storage is unavailable.", RETRY_AFTER
                ),
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
                "200": json_body("The job.", ref("Job")),
                "401": UNAUTHENTICATED,
                "404": error(
                    f"No such job, or another caller's (callers with {ADMIN_ROLE} see all)."
                ),
                "503": error("Storage is unavailable.", RETRY_AFTER),
            },
        }
    },
    "/jobs/{id}/retry": {
        "post": {
            "operationId": "retry_job",
            "summary": "Re-enqueue a failed job, or one stalled in `queued` (its message lost).",
            "security": [{SCHEME: [ADMIN_ROLE]}],
            "parameters": [JOB_ID],
            "responses": {
                "202": json_body("Re-enqueued.", ref("Job"), headers=LOCATION),
                "401": UNAUTHENTICATED,
                "403": error(f"The caller lacks the app role {ADMIN_ROLE}."),
                "404": error("No such job."),
                "409": error("The job is neither failed nor stalled in `queued`."),
                "503": error("Storage is unavailable; the job stays failed.", RETRY_AFTER),
            },
        }
    },
}
