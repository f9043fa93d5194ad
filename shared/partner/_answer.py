"""The partner's analysis as the app keeps it: two fields, each from a closed set.

The partner answers ``POST /v1/analyze`` with more than the app uses (its own id for the
analysis, counts, keywords) and could answer with anything at all: an echo of the key it was
sent, a debug object, a field of megabytes, or a key cut into pieces and spread over every
field it can fill. The app stores the analysis in the job's state and serves it in the job's
result, so what is stored is decided here, and nothing the partner chose passes unless it is
one value of a short list the app wrote:

==============  ============================================================================
``language``    the job asked for one: the partner's must be that tag (letter case aside),
                and the tag *the job sent* is kept, so not even the case is the partner's;
                the job asked for none: absent, or one of :data:`DETECTED_LANGUAGES`
``sentiment``   absent, or one of :data:`SENTIMENTS`
==============  ============================================================================

Every other field is dropped unread: the partner's identifiers (``analysis_id``) are neither
stored nor served, since a free identifier is free space (a UUID holds 122 bits of whatever
the partner likes); the job's own id names the analysis. Numbers the partner counts are not
kept either: the worker counts the text itself. A field outside its set refuses the whole
answer (:class:`~shared.outbound.errors.PartnerAnswerError`, naming the field, never its value).

What a hostile partner can still say through what is kept: which of 3 sentiments (and, for a
job that names no language, which of :data:`DETECTED_LANGUAGES`) it picked, under 6 bits per
job, and whether it answered at all. docs/security.md says so.
"""

from __future__ import annotations

from typing import Any, Final

from shared.outbound import PartnerAnswerError

__all__ = ["ANALYSIS_FIELDS", "DETECTED_LANGUAGES", "SENTIMENTS", "analysis_from"]

ANALYSIS_FIELDS: Final = ("language", "sentiment")
SENTIMENTS: Final = frozenset({"positive", "negative", "neutral"})
#: What a partner may report when the job names no language: the ISO 639-1 codes of the
#: languages the text analysis is offered for. Kept short on purpose: each entry is a value
#: the partner can choose, so the list bounds what its choice can carry (log2(17) < 5 bits).
DETECTED_LANGUAGES: Final = frozenset(
    {"ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "nl", "pl", "pt", "ru", "sv", "tr",
     "uk", "zh"}
)  # fmt: skip


def analysis_from(answer: object, *, requested_language: str | None) -> dict[str, str | None]:
    """The kept fields of the partner's answer, each one of the app's own values.

    :param requested_language: the tag the job asked for (``None``: it asked for none).
    :raises PartnerAnswerError: not a JSON object, or a field outside its set.
    """
    if not isinstance(answer, dict):
        raise PartnerAnswerError("the partner's answer is not a JSON object")
    return {
        "language": _language(answer, requested_language),
        "sentiment": _one_of(answer, "sentiment", SENTIMENTS),
    }


def _language(answer: dict[str, Any], requested: str | None) -> str | None:
    if requested is None:
        return _one_of(answer, "language", DETECTED_LANGUAGES, fold=True)
    said = _optional_text(answer, "language")
    if said is None:
        return None
    if said.lower() != requested.lower():
        raise _invalid("language", "the language the job asked for")
    return requested


def _one_of(
    answer: dict[str, Any], field: str, allowed: frozenset[str], *, fold: bool = False
) -> str | None:
    said = _optional_text(answer, field)
    if said is None:
        return None
    value = said.lower() if fold else said
    if value not in allowed:
        raise _invalid(field, f"one of {sorted(allowed)}")
    return value


def _optional_text(answer: dict[str, Any], field: str) -> str | None:
    value = answer.get(field)
    if value is None or isinstance(value, str):
        return value
    raise _invalid(field, "text")


def _invalid(field: str, expected: str) -> PartnerAnswerError:
    return PartnerAnswerError(f"the partner's answer has an invalid {field!r}: not {expected}")
