"""Indexing and per-function preparation.

Sources: the worker's loader.index_function_app (exactly one top-level FunctionApp) and
Registry (signature checks fail the whole app), the host's function indexing (a missing
%setting% or connection fails that function only), identity-based connections
(learn.microsoft.com/azure/azure-functions/functions-reference: <CONNECTION>__queueServiceUri
and friends), and the retry guidance (functions-bindings-error-pages: retry policies are
for timer triggers among the ones the devstack runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import azure.functions as func
import pytest

from devstack.host.functions import IndexingError, index_functions, load_function_app, prepare

STORAGE = {
    "AzureWebJobsStorage__queueServiceUri": "https://127.0.0.1:1/devstoreaccount1",
    "AzureWebJobsStorage__blobServiceUri": "https://127.0.0.1:2/devstoreaccount1",
}


def build() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.queue_trigger(arg_name="msg", queue_name="%Q%", connection="AzureWebJobsStorage")
    @app.retry(strategy="fixed_delay", max_retry_count="1", delay_interval="00:00:01")
    def on_queue(msg: func.QueueMessage) -> None:
        raise NotImplementedError

    @app.timer_trigger(arg_name="t", schedule="0 * * * * *")
    @app.retry(strategy="fixed_delay", max_retry_count="1", delay_interval="00:00:01")
    def on_timer(t: func.TimerRequest) -> None:
        raise NotImplementedError

    @app.route(route="x")
    @app.blob_input(arg_name="b", path="c/{name}", connection="Other")
    def with_blob(req: func.HttpRequest, b: str) -> str:
        raise NotImplementedError

    @app.route(route="y")
    @app.event_hub_output(arg_name="e", event_hub_name="h", connection="EH")
    def with_event_hub(req: func.HttpRequest, e: func.Out[str]) -> str:
        raise NotImplementedError

    return app


def by_name(environ: dict[str, str]) -> dict[str, tuple[object, object, list[str]]]:
    return {f.name: prepare(f, environ) for f in index_functions(build())}


def test_prepare_refuses_per_function() -> None:
    prepared = by_name({**STORAGE, "Other": "DefaultEndpointsProtocol=https;AccountName=x"})
    queue, refusal, _warnings = prepared["on_queue"]
    assert queue is None
    assert "'%Q%' does not resolve" in str(refusal)
    _, blob_refusal, _ = prepared["with_blob"]
    assert "connection 'Other' is a connection string" in str(blob_refusal)
    _, hub_refusal, _ = prepared["with_event_hub"]
    assert "binding 'e' (eventHub, out) is not supported" in str(hub_refusal)
    timer, none, _ = prepared["on_timer"]
    assert timer is not None
    assert none is None


def test_settings_resolve_and_retry_is_ignored_where_unsupported() -> None:
    prepared = by_name({**STORAGE, "Q": "Orders", "Other__blobServiceUri": "https://h/a"})
    queue, refusal, warnings = prepared["on_queue"]
    assert refusal is None
    assert queue.trigger_binding.setting("queueName") == "Orders"  # type: ignore[attr-defined]
    assert queue.retry is None  # type: ignore[attr-defined]
    assert any("Retries are not supported for function 'Functions.on_queue'" in w for w in warnings)
    timer, _, _ = prepared["on_timer"]
    assert timer.retry is not None  # type: ignore[attr-defined]


def test_load_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", sys.path.copy())  # loading puts the app dir first
    script = tmp_path / "probe_app.py"
    script.write_text("import azure.functions as func\n\nraise KeyError('x')\n")
    with pytest.raises(IndexingError, match=r"KeyError: 'x' \(probe_app.py, line 3\)"):
        load_function_app(tmp_path, script.name)
    script.write_text("def broken(:\n")
    with pytest.raises(IndexingError, match=r"SyntaxError: .* \(probe_app.py, line 1\)"):
        load_function_app(tmp_path, script.name)
    script.write_text(
        "import azure.functions as func\na = func.FunctionApp()\nb = func.FunctionApp()\n"
    )
    with pytest.raises(IndexingError, match="exactly one top-level FunctionApp, found 2"):
        load_function_app(tmp_path, script.name)
    monkeypatch.delitem(sys.modules, "probe_app")
