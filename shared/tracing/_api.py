"""The spans the app opens, at no cost while tracing is off.

Every module that traces calls :func:`span` (a ``with`` block), :func:`traced` (a
decorator), :func:`start` (a span opened and ended in two places) and :func:`annotate`
(attributes on the span in progress). None of them imports OpenTelemetry: while no backend
is active (tracing off, or not yet started) each returns one shared do-nothing object, so a
span costs a global read and two method calls, and the cold import of the app carries no
OpenTelemetry at all. :mod:`shared.tracing._setup` activates the backend
(:mod:`shared.tracing._otel`) at start-up when tracing is on.

Span kinds are named as OpenTelemetry names them, lower-case: ``internal``, ``server``,
``client``, ``producer``, ``consumer``. A ``parent`` is a W3C ``traceparent``: the span
continues that trace (a job's, carried in its queue message or its record) instead of the
context in progress, which it then links to, so a resend by the outbox reconciler joins the
job's trace and still says which run of the reconciler sent it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

#: Attribute values a span takes (OpenTelemetry's primitive types).
Value = str | bool | int | float


class SpanHandle(Protocol):
    """What the code holding a span may do with it."""

    @property
    def traceparent(self) -> str | None:
        """The span's W3C ``traceparent`` (None while tracing is off)."""

    def set(self, key: str, value: Value) -> None: ...

    def update(self, attributes: Mapping[str, Value]) -> None: ...

    def fail(self, error_type: str, description: str = "") -> None:
        """Mark the span failed (``error.type``) without an exception to record."""

    def end(self, error: BaseException | None = None) -> None:
        """End a span opened with :func:`start` (recording ``error`` if given)."""


class Backend(Protocol):
    def open(
        self,
        name: str,
        *,
        kind: str,
        attributes: Mapping[str, Value] | None,
        parent: str | None,
        links: Sequence[str],
        root: bool,
    ) -> SpanHandle:
        """A started span, made current until :meth:`SpanHandle.end`."""

    def current(self) -> SpanHandle: ...


class _NoSpan:
    """The span while tracing is off: every call does nothing."""

    traceparent = None

    def set(self, key: str, value: Value) -> None:
        pass

    def update(self, attributes: Mapping[str, Value]) -> None:
        pass

    def fail(self, error_type: str, description: str = "") -> None:
        pass

    def end(self, error: BaseException | None = None) -> None:
        pass

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


NO_SPAN = _NoSpan()
_active: Backend | None = None


def activate(backend: Backend | None) -> None:
    """Make ``backend`` the one every span goes to (None: tracing off)."""
    global _active
    _active = backend


def is_enabled() -> bool:
    return _active is not None


def active() -> Backend | None:
    """The backend spans go to now (None: tracing off); a benchmark wraps it to trace some
    calls and not others (:func:`using`)."""
    return _active


@contextmanager
def paused() -> Iterator[None]:
    """Tracing off for the block (benchmarks compare the same handler with and without it;
    not for concurrent use with traced work)."""
    global _active
    saved, _active = _active, None
    try:
        yield
    finally:
        _active = saved


@contextmanager
def using(backend: Backend) -> Iterator[None]:
    """Spans go to ``backend`` for the block (a benchmark counts the spans a call opens)."""
    global _active
    saved, _active = _active, backend
    try:
        yield
    finally:
        _active = saved


class _Span:
    """A ``with`` block around a backend span: ended on exit, an escaping error recorded."""

    __slots__ = ("_args", "_handle")

    def __init__(self, args: tuple[str, dict[str, Any]]) -> None:
        self._args = args
        self._handle: SpanHandle | None = None

    def __enter__(self) -> SpanHandle:
        backend = _active
        if backend is None:  # switched off since the span was asked for
            self._handle = NO_SPAN
        else:
            name, options = self._args
            self._handle = backend.open(name, **options)
        return self._handle

    def __exit__(self, kind: object, error: BaseException | None, tb: object) -> None:
        if self._handle is not None:
            self._handle.end(error)


def span(
    name: str,
    *,
    kind: str = "internal",
    attributes: Mapping[str, Value] | None = None,
    parent: str | None = None,
    links: Sequence[str] = (),
    root: bool = False,
) -> AbstractContextManager[SpanHandle]:
    """A span for a ``with`` block; yields its :class:`SpanHandle`.

    :param name: low-cardinality: never an id, a URL query or anything a caller sent.
    :keyword parent: a ``traceparent`` to continue instead of the current context.
    :keyword links: ``traceparent`` values to link to.
    :keyword root: start a new trace (linked to the current context), as a rotation does.
    """
    if _active is None:
        return NO_SPAN
    options = {
        "kind": kind,
        "attributes": attributes,
        "parent": parent,
        "links": links,
        "root": root,
    }
    return _Span((name, options))


def start(
    name: str,
    *,
    kind: str = "internal",
    attributes: Mapping[str, Value] | None = None,
) -> SpanHandle:
    """A span opened here and ended by :meth:`SpanHandle.end` elsewhere (a ``finally``)."""
    backend = _active
    if backend is None:
        return NO_SPAN
    return backend.open(name, kind=kind, attributes=attributes, parent=None, links=(), root=False)


def annotate(attributes: Mapping[str, Value]) -> None:
    """Set ``attributes`` on the span in progress (nothing while tracing is off)."""
    backend = _active
    if backend is not None:
        backend.current().update(attributes)


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span in progress, to carry in a message or a record."""
    backend = _active
    return None if backend is None else backend.current().traceparent


def traced(
    name: str,
    *,
    kind: str = "internal",
    job: str | None = None,
    root: bool = False,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so that each call is a span named ``name``.

    :keyword job: the parameter holding the job (its id, or an object with ``.id``): the
        span gets it as ``app.job.id``.
    :keyword root: each call starts a trace of its own (linked to the one in progress).
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        position = _position(function, job)

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if _active is None:
                return function(*args, **kwargs)
            attributes = None
            if job is not None:
                found = kwargs.get(job, args[position] if position < len(args) else None)
                job_id = getattr(found, "id", found)
                if isinstance(job_id, str):
                    attributes = {"app.job.id": job_id}
            with span(name, kind=kind, attributes=attributes, root=root):
                return function(*args, **kwargs)

        return wrapper

    return decorate


def _position(function: Callable[..., Any], parameter: str | None) -> int:
    if parameter is None:
        return -1
    names = list(inspect.signature(function).parameters)
    if parameter not in names:
        raise TypeError(f"{function.__qualname__} has no parameter {parameter!r}")
    return names.index(parameter)
