"""The partner API as the app uses it: one provider and one client per process, one call.

:func:`analyze` sends a job's text to the partner and keeps, of its answer, only what
:func:`analysis_from` allows. The provider and client are built on first use from the
settings (``_wiring``): with ``PARTNER_AUTH=key`` the key is read from Key Vault just before
use, with ``entra`` a token comes from the partner's tenant (:mod:`shared.federation`); either
is renewed once on a 401/403 and never logged or returned. The answer's rules are imported
with the package; the wiring when first used, and the SDKs and requests on the first call.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.partner._answer import ANALYSIS_FIELDS, DETECTED_LANGUAGES, SENTIMENTS, analysis_from

if TYPE_CHECKING:
    from shared.partner._wiring import (
        ANALYZE_PATH,
        MAX_ANSWER_BYTES,
        SECRET_TTL_JITTER,
        VAULT_STALE_WAIT_SECONDS,
        VAULT_WAIT_SECONDS,
        analyze,
        partner_client,
        reset,
        secret_provider,
        token_provider,
    )

__all__ = [
    "ANALYSIS_FIELDS",
    "ANALYZE_PATH",
    "DETECTED_LANGUAGES",
    "MAX_ANSWER_BYTES",
    "SECRET_TTL_JITTER",
    "SENTIMENTS",
    "VAULT_STALE_WAIT_SECONDS",
    "VAULT_WAIT_SECONDS",
    "analysis_from",
    "analyze",
    "partner_client",
    "reset",
    "secret_provider",
    "token_provider",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        dict.fromkeys(
            (
                "ANALYZE_PATH",
                "MAX_ANSWER_BYTES",
                "SECRET_TTL_JITTER",
                "VAULT_STALE_WAIT_SECONDS",
                "VAULT_WAIT_SECONDS",
                "analyze",
                "partner_client",
                "reset",
                "secret_provider",
                "token_provider",
            ),
            "._wiring",
        ),
    )
