"""The outbound client's exceptions, importable without requests.

Kept apart from requests so that catching them costs no requests import. Every message is
scrubbed and carries safe identifiers only (the partner's ``host:port``, a method and path
without query, a status); what each means for a caller is on its class
(:class:`shared.errors.AppError`).
"""

from __future__ import annotations

from shared.errors import AppError
from shared.redaction import scrub


class OutboundError(AppError):
    """Base class for failures calling a partner; the message is always scrubbed.

    ``status`` is the partner's HTTP status, when it answered; ``endpoint`` the partner's
    ``host:port``, set by the client for log lines; ``retry_after`` the partner's hint.
    """

    code = "partner_error"
    http_status = 502
    caller_message = "the partner API refused or failed the call"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(scrub(message))
        self.status = status
        self.endpoint = endpoint
        self.retry_after = retry_after


class PartnerUnavailableError(OutboundError):
    """Transient: unreachable, timed out, or 429/5xx after the retries were spent."""

    code = "dependency_unavailable"
    http_status = 503
    transient = True
    caller_message = "a dependency is unavailable; retry later"


class OutboundTlsError(OutboundError):
    """No trusted TLS connection to the partner; nothing was sent."""

    code = "tls_failure"
    caller_message = "no trusted TLS connection to the partner API"


class PartnerAnswerError(OutboundError):
    """The partner answered 2xx with something the app does not accept: too large, not
    JSON, compressed, outside the answer's allow-list, or holding a registered secret."""

    code = "partner_answer_invalid"
    caller_message = "the partner API's answer was refused: it is not what the app accepts"


class PartnerKeyError(OutboundError):
    """The key the vault holds cannot be used (too short, or not visible ASCII): a
    configuration error, found before anything was sent."""

    code = "partner_key_invalid"
    http_status = 500
    caller_message = (
        "the partner key in Key Vault is unusable (too short, or a blank or control character)"
    )


class PartnerAuthError(OutboundError):
    """The partner refused the key twice, the second time with a freshly fetched one."""

    code = "partner_refused"
    caller_message = "the partner API refused the call"


class PartnerTokenRejectedError(PartnerAuthError):
    """The partner refused the bearer token twice, the second time a freshly obtained one:
    it does not accept the token's tenant, audience or app roles (``PARTNER_AUTH=entra``)."""

    code = "partner_token_rejected"
    caller_message = (
        "the partner API refused the app's Entra token (its tenant, audience or app role)"
    )


class PartnerRejectedError(OutboundError):
    """The partner rejected the request itself (a 4xx other than 401/403/429, or a 3xx)."""

    code = "partner_refused"
    caller_message = "the partner API refused the call"


class KeyPlacementError(AppError, ValueError):
    """The key would be sent somewhere other than its one header (URL, body, other header):
    the client's configuration (its header or base URL) is refused before anything is sent."""

    code = "partner_key_misplaced"
    caller_message = "the partner client's configuration is refused: an operator must act"
