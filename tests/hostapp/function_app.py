"""A small function app that exercises the devstack host's semantics in tests.

Each function records what it saw as one JSON line in ``$HOSTAPP_OUTPUT_DIR``
so tests can assert on invocations without reaching into the host.
"""

import json
import os
import pathlib
import threading
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_lock = threading.Lock()


def _record(kind: str, **fields: object) -> None:
    out = pathlib.Path(os.environ["HOSTAPP_OUTPUT_DIR"]) / f"{kind}.jsonl"
    with _lock, out.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(fields) + "\n")


@app.route(route="items/{id:guid}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps({"id": req.route_params["id"]}), mimetype="application/json"
    )


@app.route(route="items/special", methods=["GET"])
def special_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("special")


@app.route(route="pages/{n:int:min(1)}/{tag?}", methods=["GET", "POST"])
def page(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(dict(req.route_params)), mimetype="application/json")


@app.route(route="echo", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "method": req.method,
        "params": dict(req.params),
        "body": req.get_body().decode(),
        "principal": req.headers.get("x-ms-client-principal"),
        "principal_id": req.headers.get("x-ms-client-principal-id"),
    }
    return func.HttpResponse(json.dumps(body), status_code=201, mimetype="application/json")


@app.route(route="public/ping", methods=["GET"])
def public_ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@app.route(route="switched-off", methods=["GET"])
def switched_off(req: func.HttpRequest) -> func.HttpResponse:
    """Disabled by the app setting AzureWebJobs.switched_off.Disabled in the tests."""
    return func.HttpResponse("should never answer")


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("internal detail that must not reach the caller")


@app.queue_trigger(arg_name="msg", queue_name="hostapp-ok", connection="JobsStorage")
def queue_ok(msg: func.QueueMessage) -> None:
    _record("queue_ok", id=msg.id, body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)


@app.queue_trigger(arg_name="msg", queue_name="hostapp-fail", connection="JobsStorage")
def queue_fail(msg: func.QueueMessage) -> None:
    _record("queue_fail", id=msg.id, body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)
    raise RuntimeError("this message always fails")


@app.queue_trigger(arg_name="msg", queue_name="hostapp-slow", connection="JobsStorage")
def queue_slow(msg: func.QueueMessage) -> None:
    """Runs longer than the tests' lease (DEVSTACK_QUEUE_LEASE_SECONDS), so it must be renewed."""
    _record("queue_slow_start", id=msg.id, dequeue_count=msg.dequeue_count)
    time.sleep(float(os.environ.get("HOSTAPP_SLOW_SECONDS", "12")))
    _record("queue_slow_end", id=msg.id)


@app.timer_trigger(
    arg_name="timer", schedule="%HOSTAPP_TIMER_SCHEDULE%", run_on_startup=True, use_monitor=False
)
def tick(timer: func.TimerRequest) -> None:
    _record("tick", past_due=timer.past_due)
