"""The partner's analysis as the app keeps it: three fields, each in a narrow format.

The partner answers ``POST /v1/analyze`` with more than the app uses (counts, keywords) and
could answer with anything at all: an echo of the key it was sent, a debug object, a field
of megabytes. The app stores the analysis in the job's state and serves it in the job's
result, so what is stored is decided here, by allow-list, not by what the partner sent:

========================  ==================================================================
``analysis_id``           required; a UUID in its canonical text form (36 characters)
``language``              optional; a language tag: 2-35 ASCII letters, digits and hyphens,
                          at least one letter (every tag a job may ask for, as echoed)
``sentiment``             optional; ``positive``, ``negative`` or ``neutral``
========================  ==================================================================

Every other field is dropped unread. A field that is present but outside its format
refuses the whole answer (:class:`~shared.outbound.errors.PartnerAnswerError`, naming the field,
never its value). The formats leave no room for a value the app did not ask for: a key
cannot hide in a UUID's 32 hex digits unless it is hex itself (the outbound client refuses
an answer holding the key as hex, :func:`shared.redaction.encodings`), nor in a tag or one
of three words.
"""

from __future__ import annotations

import re
from typing import Any, Final

from shared.outbound import PartnerAnswerError

__all__ = ["ANALYSIS_FIELDS", "SENTIMENTS", "analysis_from"]

ANALYSIS_FIELDS: Final = ("analysis_id", "language", "sentiment")
SENTIMENTS: Final = frozenset({"positive", "negative", "neutral"})
_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: 35 is the longest tag BCP 47 asks implementations to support (RFC 5646, 4.4.1); the
#: request's own rule (2-8 letters and hyphens) is within it, so an echo always passes.
_LANGUAGE: Final = re.compile(r"(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]{2,35}")


def analysis_from(answer: object) -> dict[str, str | None]:
    """The allowed fields of the partner's answer, checked; nothing else.

    :raises PartnerAnswerError: not a JSON object, ``analysis_id`` missing, or a field
        outside its format.
    """
    if not isinstance(answer, dict):
        raise PartnerAnswerError("the partner's answer is not a JSON object")
    analysis_id = answer.get("analysis_id")
    if not isinstance(analysis_id, str) or not _UUID.fullmatch(analysis_id.lower()):
        raise _invalid("analysis_id", "a UUID")
    language = _optional(answer, "language")
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise _invalid("language", "a language tag")
    sentiment = _optional(answer, "sentiment")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise _invalid("sentiment", f"one of {sorted(SENTIMENTS)}")
    return {"analysis_id": analysis_id.lower(), "language": language, "sentiment": sentiment}


def _optional(answer: dict[str, Any], field: str) -> str | None:
    value = answer.get(field)
    if value is None or isinstance(value, str):
        return value
    raise _invalid(field, "text")


def _invalid(field: str, expected: str) -> PartnerAnswerError:
    return PartnerAnswerError(f"the partner's answer has an invalid {field!r}: not {expected}")
