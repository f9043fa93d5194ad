"""A conformance app whose functions outlive host.json's functionTimeout (2 s)."""

import asyncio
import json
import os
import pathlib
import threading
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_lock = threading.Lock()


def record(kind: str, **fields: object) -> None:
    out = pathlib.Path(os.environ["CONFORMANCE_OUTPUT_DIR"]) / f"{kind}.jsonl"
    with _lock, out.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(fields) + "\n")


@app.route(route="slow", methods=["GET"])
def slow_http(req: func.HttpRequest) -> str:
    time.sleep(6)
    record("slow_http_finished")
    return "too late"


@app.route(route="quick", methods=["GET"])
def quick_http(req: func.HttpRequest) -> str:
    return "in time"


@app.route(route="slow-async", methods=["GET"])
async def slow_async(req: func.HttpRequest) -> str:
    try:
        await asyncio.sleep(6)
    except asyncio.CancelledError:
        record("slow_async_cancelled")
        raise
    return "too late"


@app.queue_trigger(arg_name="msg", queue_name="conf-slow", connection="AzureWebJobsStorage")
@app.blob_output(
    arg_name="$return", path="conf-blobs/slow/{Id}.txt", connection="AzureWebJobsStorage"
)
def slow_queue(msg: func.QueueMessage) -> str:
    record("slow_queue_started", id=msg.id)
    time.sleep(6)
    record("slow_queue_finished", id=msg.id)
    return "never written: the invocation timed out"
