"""A conformance app: every binding the devstack host runs, the way tutorials use them.

Storage goes through ``AzureWebJobsStorage`` (identity-based: its ``__blobServiceUri``,
``__queueServiceUri`` and ``__tableServiceUri`` settings). Functions that cannot show
what they saw through an output binding (a failing attempt writes nothing) append a JSON
line to ``$CONFORMANCE_OUTPUT_DIR/<kind>.jsonl``.
"""

import json
import os
import pathlib
import threading
import typing

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_lock = threading.Lock()
CONN = "AzureWebJobsStorage"
NEVER = "0 0 0 1 1 *"  # once a year: these timers run by hand (admin API)


def record(kind: str, **fields: object) -> None:
    out = pathlib.Path(os.environ["CONFORMANCE_OUTPUT_DIR"]) / f"{kind}.jsonl"
    with _lock, out.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(fields) + "\n")


# -- queue output --------------------------------------------------------------


@app.route(route="queue/single", methods=["POST"])
@app.queue_output(arg_name="msg", queue_name="conf-out-single", connection=CONN)
def queue_out_single(req: func.HttpRequest, msg: func.Out[str]) -> str:
    msg.set(req.get_body().decode())
    return "OK"


@app.route(route="queue/list", methods=["POST"])
@app.queue_output(arg_name="msgs", queue_name="conf-out-list", connection=CONN)
def queue_out_list(
    req: func.HttpRequest,
    msgs: func.Out[typing.List[str]],  # noqa: UP006 - the library rejects Out[list[str]]
) -> str:
    msgs.set(req.get_body().decode().split(","))
    return "OK"


@app.route(route="queue/message", methods=["POST"])
@app.queue_output(arg_name="msg", queue_name="conf-out-message", connection=CONN)
def queue_out_message(req: func.HttpRequest, msg: func.Out[func.QueueMessage]) -> str:
    msg.set(func.QueueMessage(body=req.get_body()))
    return "OK"


@app.route(route="queue/return", methods=["POST"], binding_arg_name="resp")
@app.queue_output(arg_name="$return", queue_name="Conf-Out-Return", connection=CONN)
def queue_out_return(req: func.HttpRequest, resp: func.Out[func.HttpResponse]) -> str:
    resp.set(func.HttpResponse("queued", status_code=202))
    return req.get_body().decode()


# -- queue trigger, blob $return --------------------------------------------------


@app.queue_trigger(arg_name="msg", queue_name="conf-to-blob", connection=CONN)
@app.blob_output(arg_name="$return", path="conf-blobs/queue/{Id}.json", connection=CONN)
def queue_to_blob(msg: func.QueueMessage) -> str:
    return json.dumps(
        {
            "id": msg.id,
            "body": msg.get_body().decode(),
            "dequeue_count": msg.dequeue_count,
            "has_times": all((msg.insertion_time, msg.expiration_time, msg.time_next_visible)),
            "pop_receipt": bool(msg.pop_receipt),
        }
    )


@app.queue_trigger(arg_name="msg", queue_name="conf-str-param", connection=CONN)
@app.blob_output(arg_name="$return", path="conf-blobs/str/{name}.json", connection=CONN)
def queue_str_param(msg: str) -> str:
    return json.dumps({"type": type(msg).__name__, "value": msg})


@app.queue_trigger(arg_name="msg", queue_name="conf-none-return", connection=CONN)
@app.blob_output(arg_name="$return", path="conf-blobs/none/{Id}.txt", connection=CONN)
def queue_none_return(msg: func.QueueMessage) -> str:
    record("queue_none_return", id=msg.id, dequeue_count=msg.dequeue_count)
    return None  # type: ignore[return-value]  # the blob binding cannot take None: fails


# -- blob input and output -----------------------------------------------------


@app.route(route="blob/put/{name}", methods=["POST"])
@app.blob_output(arg_name="file", path="conf-blobs/in/{name}", connection=CONN)
def blob_put_str(req: func.HttpRequest, file: func.Out[str]) -> str:
    file.set(req.get_body().decode())
    return "OK"


@app.route(route="blob/putbytes/{name}", methods=["POST"])
@app.blob_output(
    arg_name="file", path="conf-blobs/in/{name}", data_type=func.DataType.BINARY, connection=CONN
)
def blob_put_bytes(req: func.HttpRequest, file: func.Out[bytes]) -> str:
    file.set(req.get_body())
    return "OK"


@app.route(route="blob/str/{name}", methods=["GET"])
@app.blob_input(
    arg_name="file", path="conf-blobs/in/{name}", data_type=func.DataType.STRING, connection=CONN
)
def blob_get_str(req: func.HttpRequest, file: str) -> str:
    return json.dumps({"type": type(file).__name__, "value": file})


@app.route(route="blob/bytes/{name}", methods=["GET"])
@app.blob_input(
    arg_name="file", path="conf-blobs/in/{name}", data_type=func.DataType.BINARY, connection=CONN
)
def blob_get_bytes(req: func.HttpRequest, file: bytes) -> str:
    return json.dumps({"type": type(file).__name__, "hex": file.hex()})


@app.route(route="blob/stream/{name}", methods=["GET"])
@app.blob_input(arg_name="file", path="conf-blobs/in/{name}", connection=CONN)
def blob_get_stream(req: func.HttpRequest, file: func.InputStream) -> str:
    if file is None:
        return json.dumps({"missing": True})
    return json.dumps(
        {"type": type(file).__name__, "name": file.name, "content": file.read().decode()}
    )


@app.route(route="blob/expr", methods=["POST"])
@app.blob_output(
    arg_name="file", path="conf-blobs/expr/{who}/{DateTime}-{rand-guid}.txt", connection=CONN
)
def blob_expressions(req: func.HttpRequest, file: func.Out[str]) -> str:
    file.set(req.params.get("who", ""))
    return "OK"


@app.route(route="blob/badexpr", methods=["POST"])
@app.blob_output(
    arg_name="file", path="conf-blobs/expr/{nothing_provides_this}.txt", connection=CONN
)
def blob_bad_expression(req: func.HttpRequest, file: func.Out[str]) -> str:
    file.set("never written")
    return "OK"


# -- blob trigger --------------------------------------------------------------


@app.blob_trigger(arg_name="blob", path="conf-trigger/{name}.txt", connection=CONN)
@app.blob_output(arg_name="$return", path="conf-blobs/triggered/{name}.json", connection=CONN)
def blob_triggered(blob: func.InputStream, context: func.Context) -> str:
    record("blob_triggered", name=blob.name, invocation=context.invocation_id)
    return json.dumps(
        {
            "name": blob.name,
            "length": blob.length,
            "uri": blob.uri,
            "content": blob.read().decode(),
            "invocation": context.invocation_id,
        }
    )


@app.blob_trigger(arg_name="blob", path="conf-poison/{name}", connection=CONN)
def blob_always_fails(blob: func.InputStream) -> None:
    record("blob_always_fails", name=blob.name)
    raise RuntimeError("this blob always fails")


# -- tables --------------------------------------------------------------------


@app.route(route="table/put", methods=["POST"])
@app.table_output(arg_name="entity", table_name="conftable", connection=CONN)
def table_put(req: func.HttpRequest, entity: func.Out[str]) -> str:
    entity.set(req.get_body().decode())
    return "OK"


@app.route(route="table/{pk}/{rk}", methods=["GET"])
@app.table_input(
    arg_name="rows", table_name="conftable", partition_key="{pk}", row_key="{rk}", connection=CONN
)
def table_get(req: func.HttpRequest, rows: str) -> str:
    return json.dumps({"type": type(rows).__name__, "rows": json.loads(rows)})


# -- HTTP responses and requests ---------------------------------------------------


@app.route(route="http/content-type", methods=["GET"])
def http_content_type(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("<a/>", headers={"Content-Type": "application/xml"})


@app.route(route="http/cookies", methods=["GET"])
def http_cookies(req: func.HttpRequest) -> func.HttpResponse:
    response = func.HttpResponse("cookies")
    response.headers.add("Set-Cookie", "first=1; Path=/; HttpOnly")
    response.headers.add("Set-Cookie", "second=2; Max-Age=60; Secure; SameSite=Lax")
    return response


@app.route(route="http/none", methods=["GET"])
def http_none(req: func.HttpRequest) -> func.HttpResponse:
    return None  # type: ignore[return-value]  # the worker cannot send None: 500


@app.route(route="http/bytes", methods=["GET"])
def http_bytes(req: func.HttpRequest):  # unannotated: `-> bytes` would not index
    return b"raw bytes"  # not an HTTP response: 500


@app.route(route="http/str", methods=["GET"])
def http_str(req: func.HttpRequest) -> str:
    return "plain text"


@app.route(route="http/described", methods=["GET"])
def http_described(req: func.HttpRequest) -> str:
    return json.dumps({"body": "described", "statusCode": 201, "headers": {"x-described": "1"}})


@app.route(route="http/out", methods=["GET"], binding_arg_name="resp")
def http_out_param(req: func.HttpRequest, resp: func.Out[func.HttpResponse]) -> None:
    resp.set(func.HttpResponse("from Out", status_code=201))


@app.route(route="http/out-unset", methods=["GET"], binding_arg_name="resp")
def http_out_unset(req: func.HttpRequest, resp: func.Out[func.HttpResponse]) -> None:
    return None


@app.route(route="http/echo", methods=["GET", "POST"])
def http_echo(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "params": dict(req.params),
        "headers": {k: v for k, v in req.headers.items() if k.startswith("x-conf")},
        "body": req.get_body().decode(),
        "url": req.url,
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="http/get-only", methods=["GET"])
def http_get_only(req: func.HttpRequest) -> str:
    return "GET only"


@app.route(route="http/context", methods=["GET"])
def http_context(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    body = {
        "invocation_id": context.invocation_id,
        "function_name": context.function_name,
        "trace_parent": context.trace_context.trace_parent,
        "trace_state": context.trace_context.trace_state,
        "retry_count": context.retry_context.retry_count,
        "max_retry_count": context.retry_context.max_retry_count,
        "thread_invocation_id": getattr(context.thread_local_storage, "invocation_id", None),
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


# -- timers, retries and the admin API ---------------------------------------------


@app.timer_trigger(arg_name="timer", schedule=NEVER, use_monitor=False)
@app.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:00:01")
def timer_retry_fixed(timer: func.TimerRequest, context: func.Context) -> None:
    retry = context.retry_context
    record(
        "timer_retry_fixed",
        retry_count=retry.retry_count,
        max_retry_count=retry.max_retry_count,
        previous=retry.exception.message,
        invocation=context.invocation_id,
    )
    if retry.retry_count < 2:
        raise RuntimeError(f"attempt {retry.retry_count} fails")


@app.timer_trigger(arg_name="timer", schedule=NEVER, use_monitor=False)
@app.retry(
    strategy="exponential_backoff",
    max_retry_count="2",
    minimum_interval="00:00:01",
    maximum_interval="00:00:02",
)
def timer_retry_exponential(timer: func.TimerRequest, context: func.Context) -> None:
    record("timer_retry_exponential", retry_count=context.retry_context.retry_count)
    raise RuntimeError("always fails")


@app.timer_trigger(arg_name="timer", schedule=NEVER, use_monitor=False)
def timer_manual(timer: func.TimerRequest) -> None:
    record("timer_manual", past_due=timer.past_due, status=getattr(timer, "schedule_status", None))


@app.timer_trigger(arg_name="timer", schedule=NEVER, use_monitor=False)
def timer_returns_value(timer: func.TimerRequest) -> int:
    return 1  # no $return binding: the worker fails the invocation


@app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", use_monitor=False)
@app.blob_output(arg_name="$return", path="conf-blobs/timer/{sys.MethodName}.txt", connection=CONN)
def timer_return_blob(timer: func.TimerRequest) -> str:
    return "timer $return"


@app.queue_trigger(arg_name="msg", queue_name="conf-manual", connection=CONN)
def queue_manual(msg: func.QueueMessage) -> None:
    record("queue_manual", body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)


@app.queue_trigger(arg_name="msg", queue_name="conf-queue-retry", connection=CONN)
@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:01")
def queue_with_retry(msg: func.QueueMessage) -> None:
    record("queue_with_retry", dequeue_count=msg.dequeue_count)
    raise RuntimeError("fails; the queue, not the retry policy, retries it")


# -- generic bindings of supported types -----------------------------------------------


@app.generic_trigger(arg_name="req", type="httpTrigger", route="generic/hello", methods=["GET"])
@app.generic_output_binding(arg_name="$return", type="http")
def generic_http(req: func.HttpRequest) -> str:
    return "generic trigger, generic output"
