"""Content negotiation for routes that answer JSON or an HTML page (RFC 9110, Accept).

JSON is the API's answer; an HTML page is for a browser. Only a client that ranks
``text/html`` above JSON gets the page, so a bare ``*/*`` or a missing header stays JSON.
"""

from __future__ import annotations


def _media_rank(accept: str, media: str) -> tuple[float, int]:
    """(q, specificity) of the most specific range in ``accept`` that matches ``media``."""
    kind = media.split("/")[0]
    best = (0.0, -1)
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        specificity = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(fields[0].lower())
        if specificity is None or specificity <= best[1]:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = (q, specificity)
    return best


def prefers_html(accept: str | None) -> bool:
    """True when ``Accept`` ranks text/html above JSON (a browser); ties go to JSON.

    Each type takes the q of the most specific range naming it (RFC 9110); at equal q
    the more specific mention wins, so ``text/html, */*`` is a page and ``*/*`` is JSON.
    """
    if not accept:
        return False
    html = _media_rank(accept, "text/html")
    return html[0] > 0 and html > _media_rank(accept, "application/json")
