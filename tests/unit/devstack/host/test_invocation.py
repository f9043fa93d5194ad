"""Invocations: the worker's return rules, functionTimeout, retries, outputs on success only.

Sources: the worker's dispatcher (_handle__invocation_request: a value returned without
a $return binding fails; Out values that stay None are not sent), the WebJobs SDK's
FunctionExecutor (functionTimeout: "Timeout value of ... exceeded by function ...
Initiating cancellation.") and FunctionExecutorExtensions.TryExecuteAsync (retry loop,
"Waiting for ... before retrying function execution"), and host.json reference
(functionTimeout).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.meta import Datum

from devstack.host.bindings.expressions import BindingData
from devstack.host.bindings.model import BindingSpec
from devstack.host.functions import IndexedFunction, index_functions
from devstack.host.invocation import (
    FunctionTimeoutError,
    HostBindings,
    InvocationError,
    Invoker,
    TriggerValue,
)


class Calls(list[str]):
    """What one test's functions did, and the event its blocking function waits for: each test
    has its own, so a function a timed-out test abandoned cannot write into the next one's."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()


def build(calls: Calls) -> dict[str, IndexedFunction]:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="t", schedule="0 0 0 1 1 *")
    def blocks(t: func.TimerRequest) -> None:
        calls.release.wait(10)
        calls.append("blocks finished")

    @app.timer_trigger(arg_name="t", schedule="0 0 0 1 1 *")
    def returns(t: func.TimerRequest) -> int:
        return 1

    @app.timer_trigger(arg_name="t", schedule="0 0 0 1 1 *")
    @app.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:00:00")
    @app.queue_output(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
    def flaky(t: func.TimerRequest, msg: func.Out[str], context: func.Context) -> None:
        msg.set(f"attempt {context.retry_context.retry_count}")
        calls.append(f"flaky {context.retry_context.retry_count}")
        if context.retry_context.retry_count < 2:
            raise RuntimeError("not yet")

    return {f.name: f for f in index_functions(app)}


class Recorder(HostBindings):
    def __init__(self) -> None:
        self.writes: list[tuple[str, Any]] = []

    def write(self, binding: BindingSpec, value: Any, data: BindingData) -> None:
        self.writes.append((binding.name, value))


def timer() -> TriggerValue:
    info: dict[str, Any] = {"Schedule": {}, "ScheduleStatus": None, "IsPastDue": False}
    return TriggerValue(datum=Datum(json.dumps(info), "json"))


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def invoker(tmp_path: Path, calls: Calls) -> Iterator[tuple[Invoker, Recorder]]:
    recorder = Recorder()
    invoker = Invoker(app_dir=tmp_path, bindings=recorder, timeout=0.5)
    yield invoker, recorder
    calls.release.set()
    invoker.shutdown()


def test_timeout_fails_the_invocation(
    invoker: tuple[Invoker, Recorder], calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    run, _ = invoker
    with pytest.raises(FunctionTimeoutError, match=r"Timeout value of 00:00:00\.5000000"):
        run.run(build(calls)["blocks"], timer(), reason="test")
    assert "exceeded by function 'Functions.blocks'" in caplog.text
    assert "Executed 'Functions.blocks' (Failed" in caplog.text
    assert calls == []  # abandoned, still waiting


def test_a_value_without_return_binding_fails(
    invoker: tuple[Invoker, Recorder], calls: Calls
) -> None:
    run, _ = invoker
    with pytest.raises(InvocationError):
        run.run(build(calls)["returns"], timer(), reason="test")


def test_retries_and_outputs_of_the_successful_attempt_only(
    invoker: tuple[Invoker, Recorder], calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devstack.host")
    run, recorder = invoker
    run.run(build(calls)["flaky"], timer(), reason="test")
    assert calls == ["flaky 0", "flaky 1", "flaky 2"]
    assert recorder.writes == [("msg", "attempt 2")]
    assert caplog.text.count("before retrying function execution") == 2
