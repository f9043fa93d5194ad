"""Running one function invocation the way the host and the worker share the work.

Host: resolve the input bindings' expressions and read them (a blob, a table query).
Worker: turn the trigger and inputs into the annotated Python types, add ``context`` and
an ``Out`` per output, call the function (sync ones on a thread pool, async ones on one
event loop), refuse a value returned without a return binding, and encode every output.
Host again: write the outputs (queue messages, blobs, table entities) and hand an HTTP
response back. Nothing is written when the function fails.

``functionTimeout`` is enforced: past it the invocation is logged and counted as failed,
its outputs are dropped and the trigger sees the failure. Azure then restarts the worker
process, which also ends the function; a sync function here keeps its thread until it
returns (an async one is cancelled).

A timer function with a retry policy is retried here as the runtime retries it.

With ``PYTHON_ENABLE_OPENTELEMETRY``, the trace context is current while a sync function runs
(:mod:`devstack.host.otel`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import azure.functions as func
from azure.functions.meta import Datum

from devstack.host import logs
from devstack.host.bindings import blob, datum, expressions, queue, table
from devstack.host.bindings.connections import StorageClients, connection_name
from devstack.host.bindings.expressions import BindingData
from devstack.host.bindings.model import BLOB, HTTP, QUEUE, TABLE, BindingSpec
from devstack.host.context import INVOCATION_LOCAL, Attempt, Context, Trace, child_traceparent
from devstack.host.functions import IndexedFunction
from devstack.host.otel import attacher
from devstack.host.queuewatcher import QueueWatcher
from devstack.host.retry import timespan

logger = logging.getLogger("devstack.host")

T = TypeVar("T")


class InvocationError(Exception):
    """The invocation failed (the function raised, a binding failed, or it timed out)."""


class FunctionTimeoutError(InvocationError):
    """The invocation ran past ``functionTimeout``."""


class Out(func.Out[T], Generic[T]):
    """What an output parameter receives: the function ``set()``s its value."""

    def __init__(self) -> None:
        self._value: T | None = None

    def set(self, val: T) -> None:
        self._value = val

    def get(self) -> T:
        return self._value  # type: ignore[return-value]


@dataclass(slots=True)
class TriggerValue:
    """What a trigger hands the worker, and the values it offers other bindings."""

    datum: Datum | None
    metadata: dict[str, Datum] = field(default_factory=dict)
    binding_data: BindingData = field(default_factory=BindingData)
    trace: Trace | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    invocation_id: str
    http: Any = None  # the HTTP output's host value; None when the function set none


BlobWritten = Callable[[str, str, str], None]  # (connection, container, blob name)


class HostBindings:
    """The host's side of input and output bindings.

    What the output bindings write is announced as the extensions announce it: a queue
    message wakes the listeners of that queue (``queue_watcher``), a blob the blob
    triggers' scans (``on_blob_written``).
    """

    def __init__(
        self,
        *,
        clients: StorageClients,
        queue_encoding: str,
        on_blob_written: BlobWritten | None = None,
        queue_watcher: QueueWatcher | None = None,
    ) -> None:
        self.clients = clients
        self.queue_encoding = queue_encoding
        self.on_blob_written = on_blob_written
        self.queue_watcher = queue_watcher

    def read(self, binding: BindingSpec, data: BindingData) -> Datum | None:
        connection = connection_name(binding)
        if binding.type == BLOB:
            path = expressions.resolve(str(binding.setting("path", "")), data)
            return blob.input_datum(self.clients.blob(connection), path, binding.data_type)
        if binding.type == TABLE:
            name = expressions.resolve(str(binding.setting("tableName", "")), data)
            take = binding.setting("take")
            text = table.query_json(
                self.clients.table(connection).get_table_client(name),
                partition_key=_optional(binding.setting("partitionKey"), data),
                filter_text=_optional(binding.setting("filter"), data),
                take=int(take) if take not in (None, "") else None,
            )
            return Datum(text, "json")
        raise InvocationError(f"no input binding of type {binding.type!r}")

    def write(self, binding: BindingSpec, value: Any, data: BindingData) -> None:
        connection = connection_name(binding)
        if binding.type == QUEUE:
            name = queue.queue_name(expressions.resolve(str(binding.setting("queueName")), data))
            bodies = queue.messages(value)
            client = self.clients.queue(connection).get_queue_client(name)
            queue.send(client, bodies, encoding=self.queue_encoding)
            if bodies and self.queue_watcher is not None:
                self.queue_watcher.notify(name)
        elif binding.type == BLOB:
            content = blob.output_bytes(value)
            if content is None:
                return
            path = expressions.resolve(str(binding.setting("path", "")), data)
            container, name = blob.write(self.clients.blob(connection), path, content)
            if self.on_blob_written is not None:
                self.on_blob_written(connection, container, name)
        elif binding.type == TABLE:
            name = expressions.resolve(str(binding.setting("tableName", "")), data)
            table.write(
                self.clients.table(connection).get_table_client(name),
                table.entities(value),
                partition_key=_optional(binding.setting("partitionKey"), data),
                row_key=_optional(binding.setting("rowKey"), data),
            )
        else:
            raise InvocationError(f"no output binding of type {binding.type!r}")


def _optional(template: Any, data: BindingData) -> str | None:
    if template in (None, ""):
        return None
    return expressions.resolve(str(template), data)


class _EventLoopThread:
    """One event loop for every async function, as the worker runs them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="functions-loop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


class Invoker:
    """Runs invocations with the host's logging, timeout and retry policy."""

    def __init__(
        self,
        *,
        app_dir: Path,
        bindings: HostBindings | None = None,
        timeout: float | None = None,
        max_workers: int = 32,
    ) -> None:
        self._app_dir = str(app_dir)
        self.bindings = bindings
        self.timeout = timeout
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="invoke"
        )
        self._orchestrators = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers * 2, thread_name_prefix="bind"
        )
        self._loop: _EventLoopThread | None = None
        self._loop_lock = threading.Lock()
        self._attach = attacher()
        self._stopping = threading.Event()

    # -- entry points -------------------------------------------------------

    def run(self, function: IndexedFunction, trigger: TriggerValue, *, reason: str) -> Outcome:
        """Invoke (blocking), applying the function's retry policy; raises on failure."""
        policy = function.retry
        if policy is None:
            return self._attempt(function, trigger, reason, Attempt())
        backoff = policy.delays()
        retries = 0
        previous: BaseException | None = None
        while True:
            try:
                return self._attempt(
                    function, trigger, reason, Attempt(retries, policy.max_retry_count, previous)
                )
            except InvocationError as exc:
                if policy.exhausted(retries):
                    logger.error("Function execution failed after '%d' retries.", retries)
                    raise
                retries += 1
                previous = exc.__cause__ or exc
                wait = backoff.next()
                logger.info(
                    "Waiting for `%s` before retrying function execution. Next attempt: '%d'. "
                    "Max retry count: '%d'.",
                    timespan(wait),
                    retries,
                    policy.max_retry_count,
                )
                if self._stopping.wait(wait):
                    raise

    async def run_async(
        self, function: IndexedFunction, trigger: TriggerValue, *, reason: str
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._orchestrators, lambda: self.run(function, trigger, reason=reason)
        )

    def shutdown(self) -> None:
        self._stopping.set()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._orchestrators.shutdown(wait=False, cancel_futures=True)
        if self._loop is not None:
            self._loop.stop()

    # -- one attempt --------------------------------------------------------

    def _attempt(
        self, function: IndexedFunction, trigger: TriggerValue, reason: str, attempt: Attempt
    ) -> Outcome:
        invocation_id = str(uuid.uuid4())
        started = logs.executing(function.name, reason, invocation_id)
        try:
            trace = trigger.trace or Trace(parent=child_traceparent(None))
            trigger = replace(trigger, trace=trace)  # one context for the argument and the call
            arguments = self._arguments(function, trigger, invocation_id, attempt)
            result = self._call(function, arguments, invocation_id, trace)
            http = self._settle(function, arguments, result, trigger.binding_data)
        except BaseException as exc:
            logs.executed(
                function.name,
                invocation_id,
                started,
                exc,
                host_error=isinstance(exc, InvocationError),
            )
            if isinstance(exc, InvocationError):
                raise
            raise InvocationError(f"Functions.{function.name} failed: {exc}") from exc
        logs.executed(function.name, invocation_id, started, None)
        return Outcome(invocation_id=invocation_id, http=http)

    def _arguments(
        self, function: IndexedFunction, trigger: TriggerValue, invocation_id: str, attempt: Attempt
    ) -> dict[str, Any]:
        signature = function.signature
        bindings = {b.name: b for b in function.bindings}
        arguments: dict[str, Any] = {}
        for name, plan in signature.inputs.items():
            binding = bindings[name]
            if name == function.param_name:
                metadata = trigger.metadata if datum.is_trigger_converter(plan.converter) else {}
                arguments[name] = datum.decode(plan.converter, trigger.datum, metadata)
                continue
            if self.bindings is None:
                raise InvocationError("this invoker has no storage bindings")
            value = self.bindings.read(binding, trigger.binding_data)
            arguments[name] = datum.decode(plan.converter, value, {})
        for name in signature.outputs:
            arguments[name] = Out()
        if signature.requires_context:
            trace = trigger.trace or Trace(parent=child_traceparent(None))
            arguments["context"] = Context(
                invocation_id=invocation_id,
                function_name=function.name,
                directory=function.directory,
                trace=trace,
                attempt=attempt,
            )
        return arguments

    def _call(
        self, function: IndexedFunction, arguments: dict[str, Any], invocation_id: str, trace: Trace
    ) -> Any:
        if function.is_async:
            with self._loop_lock:
                if self._loop is None:
                    self._loop = _EventLoopThread()
                loop = self._loop.loop
            future = asyncio.run_coroutine_threadsafe(function.user_function(**arguments), loop)
        else:
            current = self._attach(trace) if self._attach else None
            call = (function.user_function, arguments, invocation_id, current)
            future = self.executor.submit(_call_sync, *call)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            limit = timespan(self.timeout or 0.0)
            logger.error(
                "Timeout value of %s exceeded by function 'Functions.%s' (Id: '%s'). "
                "Initiating cancellation.",
                limit,
                function.name,
                invocation_id,
            )
            raise FunctionTimeoutError(
                f"Timeout value of {limit} was exceeded by function: Functions.{function.name}"
            ) from None

    def _settle(
        self, function: IndexedFunction, arguments: dict[str, Any], result: Any, data: BindingData
    ) -> Any:
        signature = function.signature
        if result is not None and not signature.has_return:
            raise RuntimeError(
                f"function {function.name!r} has no $return binding but returned a value"
            )
        bindings = {b.name: b for b in function.bindings}
        outputs: list[tuple[BindingSpec, Any]] = []
        for name, plan in signature.outputs.items():
            value = arguments[name].get()
            if value is not None:
                encoded = datum.encode(plan.converter, value, plan.pytype)
                outputs.append((bindings[name], datum.host_value(encoded)))
        returns = signature.returns
        if returns is not None:
            encoded = datum.encode(returns.converter, result, returns.pytype)
            if returns.binding is not None:
                outputs.append((bindings[returns.binding.name], datum.host_value(encoded)))
        http: Any = None
        for binding, value in outputs:
            if binding.type == HTTP:
                http = value
                continue
            if self.bindings is None:
                raise InvocationError("this invoker has no storage bindings")
            self.bindings.write(binding, value, data)
        return http


def _call_sync(
    user_function: Callable[..., Any],
    arguments: dict[str, Any],
    invocation_id: str,
    current: contextlib.AbstractContextManager[None] | None = None,
) -> Any:
    INVOCATION_LOCAL.invocation_id = invocation_id
    with current or contextlib.nullcontext():
        return user_function(**arguments)


def utc_text(moment: dt.datetime | None) -> str | None:
    """A datetime as the host puts it in trigger metadata (parsed by the library)."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
