"""The secret-safe way to call a third-party ("partner") API, and what a failed call is called.

:class:`OutboundClient` carries a vault-held key (or an Entra bearer token) in its one
header and nowhere else,
retries what is safe to retry, holds each call to a deadline on its socket and refuses an
answer that echoes a registered secret. Its pieces are private: where the key may go
(``_placement``), the retry policy (``_retries``), the deadline (``_deadline``), reading
an answer (``_answers``) and naming a failure (``_failures``). The exceptions
(:mod:`shared.outbound.errors`) import nothing but the standard library; the client loads
requests and urllib3 when first used.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.outbound.errors import (
    KeyPlacementError,
    OutboundError,
    OutboundTlsError,
    PartnerAnswerError,
    PartnerAuthError,
    PartnerKeyError,
    PartnerRejectedError,
    PartnerTokenRejectedError,
    PartnerUnavailableError,
)

if TYPE_CHECKING:
    from shared.outbound._client import OutboundClient

__all__ = [
    "KeyPlacementError",
    "OutboundClient",
    "OutboundError",
    "OutboundTlsError",
    "PartnerAnswerError",
    "PartnerAuthError",
    "PartnerKeyError",
    "PartnerRejectedError",
    "PartnerTokenRejectedError",
    "PartnerUnavailableError",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(__name__, {"OutboundClient": "._client"})
