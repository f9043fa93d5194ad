"""The partner's work: a deterministic toy analysis of a text.

Counts, a word-list sentiment and the top five keywords: enough for the app's worker to
combine with its own statistics, and the same answer for the same text every time.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_POSITIVE = _wordset(
    "good great excellent happy love like nice wonderful fast helpful thanks success "
    "pleased amazing perfect reliable"
)
_NEGATIVE = _wordset(
    "bad poor terrible sad hate awful slow broken fail failed failure error angry "
    "useless wrong problem"
)
_STOPWORDS = _wordset(
    "the and for are but not you all any can had her was one our out has his how its may "
    "new now see two who did get him let say she too use with this that from have they "
    "will your what when were been than then them into more some such only also very"
)


def analyze_text(text: str, language: str | None = None) -> dict[str, Any]:
    """A deterministic toy analysis: counts, a word-list sentiment and the top five keywords."""
    words = _WORD.findall(text.lower())
    score = sum(w in _POSITIVE for w in words) - sum(w in _NEGATIVE for w in words)
    sentiment = "positive" if score > 0 else "negative" if score < 0 else "neutral"
    counts = Counter(w for w in words if len(w) > 2 and w not in _STOPWORDS)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "language": language or "en",
        "word_count": len(words),
        "characters": len(text),
        "sentiment": sentiment,
        "keywords": [word for word, _ in ranked[:5]],
    }
