"""Redaction in logging: RedactingFilter scrubs every part of a record, and
install_log_redaction puts it wherever records are written.

Secret values are generated at run time from a seeded RNG; assertion messages
carry the seed.
"""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import Iterator

import pytest

from shared import redaction
from shared.redaction import RedactingFilter, _logs, register
from tests.support import secret_shapes as ss
from tests.support.redaction_values import key_value, leaks, seeded_rng

_LOGGER_IDS = itertools.count()


# --- RedactingFilter -------------------------------------------------------------------


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A private logger whose one handler carries the filter, and its output."""
    stream = io.StringIO()
    handler = redaction.redacting_handler(logging.StreamHandler(stream))
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"tests.redaction.capture{next(_LOGGER_IDS)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def test_filter_scrubs_message_and_arguments(capture) -> None:
    logger, stream = capture
    rng = seeded_rng("filter-args")
    value = key_value(rng)
    register(value)
    planted = ss.entra_client_secret_planted(rng)
    logger.info("calling partner with %s", value)
    logger.info("settings: %(conn)s", {"conn": planted.text})
    logger.info(f"inline {value}")  # an f-string message is exactly the risk
    output = stream.getvalue()
    assert output.count("[REDACTED]") == 2
    assert "[REDACTED:entra-client-secret]" in output
    assert not leaks(value, output)
    assert planted.value not in output


def _fail_with(value: str) -> None:
    response_body = f"401 from partner: key {value} rejected"
    raise RuntimeError(response_body)


def test_filter_scrubs_exception_text_and_clears_exc_info(capture) -> None:
    logger, stream = capture
    value = key_value(seeded_rng("filter-exc"))
    register(value)
    records: list[logging.LogRecord] = []

    def keep(record: logging.LogRecord) -> bool:
        records.append(record)
        return True

    logger.addFilter(keep)
    try:
        _fail_with(value)
    except RuntimeError:
        logger.exception("partner call failed")
    output = stream.getvalue()
    assert "Traceback (most recent call last)" in output
    assert "_fail_with" in output
    assert "401 from partner: key [REDACTED] rejected" in output
    assert not leaks(value, output)
    (record,) = records
    assert record.exc_info is None
    assert record.args is None
    assert record.exc_text is not None
    assert value not in record.exc_text


def test_filter_scrubs_stack_info_and_extra_fields() -> None:
    value = key_value(seeded_rng("filter-stack"))
    register(value)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.stack_info = f"Stack (most recent call last):\n  token = {value}"
    vars(record).update(partner_key=value, attempt=3)  # as logging's extra= does
    assert RedactingFilter().filter(record) is True
    assert record.stack_info == "Stack (most recent call last):\n  token = [REDACTED]"
    assert vars(record)["partner_key"] == "[REDACTED]"
    assert vars(record)["attempt"] == 3


def test_filter_never_raises_and_withholds_what_it_cannot_format(capture) -> None:
    logger, stream = capture
    value = key_value(seeded_rng("filter-broken"))

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError(value)

    logger.info("%d attempts with %s", "not a number", value)
    logger.info(Unprintable())
    output = stream.getvalue()
    assert output.count("withheld") == 2
    assert "%d attempts with %s" in output  # the template is kept, scrubbed
    assert not leaks(value, output)


def test_filter_failure_inside_scrub_keeps_the_record(capture, monkeypatch) -> None:
    logger, stream = capture
    value = key_value(seeded_rng("filter-scrub-fails"))

    def broken(text: str) -> str:
        raise RuntimeError("scrubber down")

    monkeypatch.setattr(_logs, "scrub", broken)
    logger.error("key %s", value)
    output = stream.getvalue()
    assert output.startswith("ERROR [log record withheld")
    assert not leaks(value, output)


# --- install_log_redaction -------------------------------------------------------------


class Installed:
    """The root logger, plus handlers a test attached to it, removed afterwards."""

    def __init__(self, root: logging.Logger) -> None:
        self.root = root
        self.added: list[logging.Handler] = []

    def add(self, handler: logging.Handler) -> logging.Handler:
        self.added.append(handler)
        self.root.addHandler(handler)
        return handler


@pytest.fixture
def installed() -> Iterator[Installed]:
    """Root-logger state is restored afterwards, whatever the test installed."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    state = Installed(root)
    try:
        yield state
    finally:
        redaction.uninstall_log_redaction()
        for handler in state.added:
            root.removeHandler(handler)
        root.setLevel(level)


def _stream_handler() -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    return handler, stream


def _redacting_filters(filterer: logging.Filterer) -> int:
    return sum(isinstance(f, RedactingFilter) for f in filterer.filters)


def test_records_propagated_from_child_loggers_are_scrubbed(installed) -> None:
    early, early_stream = _stream_handler()
    installed.add(early)  # present before installation
    redaction.install_log_redaction()
    late, late_stream = _stream_handler()
    installed.add(late)  # added after installation
    value = key_value(seeded_rng("propagated"))
    register(value)
    planted = ss.storage_connection_string_planted(seeded_rng("propagated-conn"))
    for name in ("azure.storage.blob._shared.policies", "app.worker", "urllib3.connectionpool"):
        logging.getLogger(name).warning("sending %s to %s", value, planted.text)
    for stream in (early_stream, late_stream):
        output = stream.getvalue()
        assert output.count("[REDACTED] to ") == 3
        assert output.count("[REDACTED:storage-account-key]") == 3
        assert not leaks(value, output)
        assert planted.value not in output


def test_handlers_from_basic_config_after_install_are_covered(installed) -> None:
    redaction.install_log_redaction()
    root = installed.root
    saved = root.handlers[:]
    root.handlers.clear()  # basicConfig only configures a root without handlers
    stream = io.StringIO()
    try:
        logging.basicConfig(stream=stream, format="%(message)s")
        value = key_value(seeded_rng("basic-config"))
        register(value)
        logging.getLogger("azure.identity._internal").info("token request with %s", value)
    finally:
        root.handlers[:] = saved
    assert stream.getvalue() == "token request with [REDACTED]\n"


def test_azure_family_loggers_and_their_later_handlers_are_covered(installed) -> None:
    redaction.install_log_redaction()
    handler, stream = _stream_handler()
    azure = logging.getLogger("azure")
    azure.addHandler(handler)
    try:
        value = key_value(seeded_rng("azure-family"))
        register(value)
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").warning(
            "Request headers: {'x-api-key': '%s'}", value
        )
        logging.getLogger("azure.keyvault.secrets._shared").warning("body %s", value)
    finally:
        azure.removeHandler(handler)
    assert stream.getvalue().count("[REDACTED]") == 2
    assert not leaks(value, stream.getvalue())
    for name in redaction.LOGGER_NAMES:
        assert _redacting_filters(logging.getLogger(name)) == 1


def test_last_resort_handler_is_covered(installed, capsys) -> None:
    redaction.install_log_redaction()
    assert logging.lastResort is not None
    value = key_value(seeded_rng("last-resort"))
    register(value)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s", (value,), None)
    logging.lastResort.handle(record)
    err = capsys.readouterr().err
    assert err == "key [REDACTED]\n"


def test_install_is_idempotent(installed) -> None:
    root = installed.root
    handler = installed.add(_stream_handler()[0])
    redaction.install_log_redaction()
    add_handler, guard = vars(root)["addHandler"], vars(logging.Handler)["handle"]
    redaction.install_log_redaction()
    assert vars(root)["addHandler"] is add_handler
    assert vars(logging.Handler)["handle"] is guard
    assert isinstance(guard, _logs._RedactingHandle)
    assert not isinstance(guard.original, _logs._RedactingHandle)
    later = installed.add(_stream_handler()[0])
    redaction.install_log_redaction()
    assert logging.lastResort is not None
    for filterer in (root, handler, later, logging.lastResort):
        assert _redacting_filters(filterer) == 1


def test_uninstall_removes_every_trace(installed) -> None:
    root = installed.root
    handler = installed.add(_stream_handler()[0])
    redaction.install_log_redaction()
    assert isinstance(vars(logging.Handler)["handle"], _logs._RedactingHandle)
    redaction.uninstall_log_redaction()
    assert "addHandler" not in vars(root)
    assert not isinstance(vars(logging.Handler)["handle"], _logs._RedactingHandle)
    assert logging.lastResort is not None
    for filterer in (root, handler, logging.lastResort, logging.getLogger("azure")):
        assert _redacting_filters(filterer) == 0
