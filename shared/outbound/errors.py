"""The outbound client's exceptions, importable without requests.

The HTTP functions catch these; keeping them apart from requests lets the function app be
indexed without importing it (cold start). Every message is scrubbed and carries safe
identifiers only (the partner's ``host:port``, a method and path without query, a status).
"""

from __future__ import annotations

from shared.redaction import scrub

__all__ = [
    "KeyPlacementError",
    "OutboundError",
    "OutboundTlsError",
    "PartnerAnswerError",
    "PartnerAuthError",
    "PartnerKeyError",
    "PartnerRejectedError",
    "PartnerTokenRejectedError",
    "PartnerUnavailableError",
]


class OutboundError(Exception):
    """Base class for failures calling a partner; the message is always scrubbed.

    ``endpoint`` is the partner's ``host:port``, set by the client for log lines.
    """

    def __init__(
        self, message: str, *, status: int | None = None, endpoint: str | None = None
    ) -> None:
        super().__init__(scrub(message))
        self.status = status
        self.endpoint = endpoint


class PartnerUnavailableError(OutboundError):
    """Transient: unreachable, timed out, or 429/5xx after the retries were spent."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class OutboundTlsError(OutboundError):
    """No trusted TLS connection to the partner; nothing was sent."""


class PartnerAnswerError(OutboundError):
    """The partner answered 2xx with something the app does not accept: too large, not
    JSON, compressed, outside the answer's allow-list, or holding a registered secret."""


class PartnerKeyError(OutboundError):
    """The key the vault holds cannot be used (too short, or not visible ASCII): a
    configuration error, found before anything was sent."""


class PartnerAuthError(OutboundError):
    """The partner refused the key twice, the second time with a freshly fetched one."""


class PartnerTokenRejectedError(PartnerAuthError):
    """The partner refused the bearer token twice, the second time a freshly obtained one:
    it does not accept the token's tenant, audience or app roles (``PARTNER_AUTH=entra``)."""


class PartnerRejectedError(OutboundError):
    """The partner rejected the request itself (a 4xx other than 401/403/429, or a 3xx)."""


class KeyPlacementError(ValueError):
    """The key would be sent somewhere other than its one header (URL, body, other header)."""
