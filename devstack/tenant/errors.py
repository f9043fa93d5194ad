"""Entra's error answers from the token endpoint: an OAuth error, an ``AADSTS`` code, a reason.

The body is the one Microsoft's "Microsoft Entra authentication and authorization error
codes" page describes (https://learn.microsoft.com/entra/identity-platform/reference-error-codes):
``error`` (the OAuth 2.0 class, RFC 6749 section 5.2), ``error_description`` starting with
``AADSTS<code>:`` and ending with the trace and correlation ids and the timestamp,
``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id`` and ``error_uri``.

The codes, and where each was confirmed:

* the reference page's table: ``AADSTS50027`` (invalid JWT: malformed, unexpected issuer or
  audience, not within its valid time range), ``AADSTS700027`` (client assertion failed
  signature validation), ``AADSTS70003`` (unsupported grant type), ``AADSTS70011`` (invalid
  scope), ``AADSTS500011`` (resource principal not found in the tenant), ``AADSTS90002``
  (tenant not found), ``AADSTS900144`` (a required body parameter missing);
* the federated identity credential family, not in that table, as Entra answers it:
  ``AADSTS70021`` with its text and body quoted in Azure/azure-workload-identity's
  troubleshooting page (docs/book/src/troubleshooting.md), which also quotes
  ``AADSTS90061`` (request to the external OIDC endpoint failed); ``AADSTS700211``,
  ``AADSTS700212`` and ``AADSTS700213``, no matching federated identity record for the
  presented assertion's issuer, audience and subject, as reported from Entra's answers;
* Azure DevOps' "Troubleshoot workload identity service connections"
  (https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity):
  ``AADSTS700016`` (the application was not found in the directory: not provisioned in
  that tenant) and ``AADSTS700024`` (client assertion not within its valid time range).

A description names identifiers only (an issuer, a subject GUID, an audience, an app id),
as Entra's do; never a token.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final, Literal

from starlette.responses import JSONResponse

__all__ = ["AssertionPart", "EntraError"]

AssertionPart = Literal["issuer", "audience", "subject"]
#: The code Entra answers when no federated identity record matches that part alone.
_NO_RECORD_FOR: Final[dict[AssertionPart, int]] = {
    "issuer": 700211,
    "audience": 700212,
    "subject": 700213,
}


class EntraError(Exception):
    """One refusal of the token endpoint: HTTP status, OAuth error, AADSTS code, reason."""

    def __init__(self, code: int, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"AADSTS{code}: {description}")
        self.code, self.error, self.description, self.status = code, error, description, status

    @property
    def aadsts(self) -> str:
        return f"AADSTS{self.code}"

    def body(self) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        return {
            "error": self.error,
            "error_description": (
                f"{self.aadsts}: {self.description}\r\nTrace ID: {trace}\r\n"
                f"Correlation ID: {correlation}\r\nTimestamp: {now}"
            ),
            "error_codes": [self.code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)

    # -- the refusals the local tenant gives -----------------------------------------------

    @classmethod
    def no_federated_record(cls, issuer: str, subject: str, audience: str) -> EntraError:
        return cls(
            70021,
            "invalid_request",
            "No matching federated identity record found for presented assertion. "
            f"Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. "
            f"Assertion Audience: '{audience}'.",
        )

    @classmethod
    def no_record_for(cls, part: AssertionPart, value: str) -> EntraError:
        """No federated identity record matches the presented assertion's ``part``."""
        return cls(
            _NO_RECORD_FOR[part],
            "invalid_request",
            f"No matching federated identity record found for presented assertion {part} "
            f"'{value}'.",
        )

    @classmethod
    def assertion_expired(cls) -> EntraError:
        return cls(700024, "invalid_client", "Client assertion is not within its valid time range.")

    @classmethod
    def bad_signature(cls) -> EntraError:
        return cls(700027, "invalid_client", "Client assertion failed signature validation.")

    @classmethod
    def invalid_jwt(cls, why: str) -> EntraError:
        return cls(50027, "invalid_request", f"Invalid JWT token. {why}")

    @classmethod
    def external_issuer_unreachable(cls) -> EntraError:
        return cls(90061, "invalid_request", "Request to External OIDC endpoint failed.")

    @classmethod
    def app_not_in_tenant(cls, client_id: str, tenant: str) -> EntraError:
        return cls(
            700016,
            "unauthorized_client",
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant}'. The application has not been installed by the administrator of the "
            "tenant or consented to by any user in the tenant.",
        )

    @classmethod
    def resource_not_found(cls, resource: str, tenant: str) -> EntraError:
        return cls(
            500011,
            "invalid_resource",
            f"The resource principal named {resource} was not found in the tenant named {tenant}.",
        )

    @classmethod
    def tenant_not_found(cls, tenant: str) -> EntraError:
        return cls(90002, "invalid_request", f"Tenant '{tenant}' not found.")

    @classmethod
    def missing_parameter(cls, name: str) -> EntraError:
        return cls(
            900144,
            "invalid_request",
            f"The request body must contain the following parameter: '{name}'.",
        )

    @classmethod
    def unsupported_grant(cls, grant: str) -> EntraError:
        return cls(70003, "unsupported_grant_type", f"The grant type '{grant}' is not supported.")

    @classmethod
    def invalid_scope(cls, scope: str) -> EntraError:
        return cls(
            70011,
            "invalid_scope",
            f"The provided value for the input parameter 'scope' is not valid. The scope {scope} "
            "is not valid.",
        )
