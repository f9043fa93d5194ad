"""The app's one error family: every exception the shipped code raises derives from AppError.

An app error says three things about itself, as class attributes:

* ``code``: a stable name for what went wrong, the ``code`` of the JSON error a caller gets
  and the word an operator searches the logs for;
* ``transient``: whether the same call may succeed later (a caller is then told when, with
  ``Retry-After``: the dependency's own hint in ``retry_after``, else a default);
* what it means for an HTTP caller: ``http_status`` and ``caller_message``, the app's own
  words. The exception's text is for the log line and never reaches a caller: it may name
  a host, a path or a status the caller has no business seeing.

Each feature package keeps its exceptions in one ``errors`` module (``shared.vault.errors``,
``shared.outbound.errors``, ``posture.errors``...), under a base of its own that derives
from :class:`AppError`, and sets the three on each class. The HTTP functions answer every
app error with the one JSON error shape (``blueprints.http.errors.api_errors`` catches
:class:`AppError` last), so none reaches a caller as the host's generic 500; a test walks
every exception class of the shipped code and fails on one outside the family.

Standard library only: the HTTP functions import it when the app is indexed.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["AppError"]


class AppError(Exception):
    """Base of every exception the app raises; subclasses set what it means.

    ``retry_after`` is set on an instance by the failure that knows how long to wait.
    """

    #: A stable name for what went wrong (the JSON error's ``code``).
    code: str = "internal_error"
    #: The HTTP status a caller is answered with.
    http_status: ClassVar[int] = 500
    #: Whether the same call may succeed later; a caller is told when (``Retry-After``).
    transient: ClassVar[bool] = False
    #: What a caller is told, in the app's own words (never the exception's text).
    caller_message: str = "the app could not complete the request"
    #: Seconds the failed dependency asked to wait, when it said.
    retry_after: float | None = None
    #: The one detail of the failure a caller may see besides ``caller_message`` (Entra's
    #: ``AADSTS`` code: it tells the operator which part of the set-up to fix), when set.
    public_detail: str | None = None
