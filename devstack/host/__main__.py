"""``python -m devstack.host``: run a function app the way ``func start`` would.

The environment of this process *is* the app's environment (app settings,
``IDENTITY_ENDPOINT``/``IDENTITY_HEADER``, the CA bundle); the host's own
options (port, authentication) come as arguments, as they come from the
platform's configuration in Azure rather than from app settings.

A problem that stops the whole app (host.json, an import error, a function the worker
cannot index) ends the start with one line naming it. A function the devstack host
cannot run (an unsupported binding, a missing setting) is refused by name and the others
start.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import logging
import os
import signal
import ssl
import sys
import threading
from pathlib import Path
from types import FrameType

import azure.functions as func
import uvicorn
from azure.functions.decorators.function_app import FunctionRegister
from azure.identity import DefaultAzureCredential

from devstack.host import blobtrigger, logs, queues, timers
from devstack.host.admin import AdminApi, ManualTrigger
from devstack.host.auth import AuthSettings, EasyAuth
from devstack.host.bindings.blob import BlobPathError
from devstack.host.bindings.connections import ConnectionSettingError, StorageClients
from devstack.host.blobtrigger import BlobTriggerListener, ScanIntervalError, scan_interval
from devstack.host.config import HostConfigError, QueueOptions, load_host_config
from devstack.host.functions import (
    BLOB_TRIGGER,
    HTTP_TRIGGER,
    QUEUE_TRIGGER,
    TIMER_TRIGGER,
    IndexedFunction,
    IndexingError,
    Refusal,
    index_functions,
    is_disabled,
    load_function_app,
    prepare,
)
from devstack.host.http import HttpHost
from devstack.host.invocation import HostBindings, Invoker
from devstack.host.limits import INCOMPLETE_HEAD_BYTES
from devstack.host.queues import QueueListener
from devstack.host.queuewatcher import QueueWatcher
from devstack.host.routing import RouteTemplateError
from devstack.host.timers import ScheduleError, TimerRunner

logger = logging.getLogger("devstack.host")

HOST_ID_SETTING = "AzureFunctionsWebHost__hostid"
Runner = QueueListener | TimerRunner | BlobTriggerListener


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack.host", description=__doc__)
    parser.add_argument("--app-dir", type=Path, default=Path.cwd())
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--state-dir", type=Path, default=Path(".devstack") / "host")
    parser.add_argument("--auth-issuer", help="token issuer App Service Authentication trusts")
    parser.add_argument("--auth-audience", action="append", default=[])
    parser.add_argument("--auth-jwks-url")
    parser.add_argument("--auth-exclude", action="append", default=[], metavar="PATH")
    parser.add_argument(
        "--blueprint",
        action="append",
        default=[],
        metavar="MODULE",
        help="also register the Blueprint(s) of this module (devstack only; repeatable)",
    )
    parser.add_argument(
        "--debug-port",
        type=int,
        metavar="PORT",
        help="listen for a debugger (debugpy, the Debug Adapter Protocol) on 127.0.0.1:PORT",
    )
    return parser.parse_args(argv)


def _listen_for_debugger(port: int) -> None:
    """Let an editor attach (VS Code's "attach" with ``connect``): breakpoints in the app's
    modules are hit by the invocations that follow. The adapter runs in this process, so
    nothing outlives the host."""
    import debugpy

    try:
        debugpy.listen(("127.0.0.1", port), in_process_debug_adapter=True)
    except (OSError, RuntimeError) as exc:
        raise SystemExit(
            f"host cannot start: the debugger port 127.0.0.1:{port} is not available "
            f"({exc}): pick another with --debug-host PORT"
        ) from None
    logger.info("Debugger listening on 127.0.0.1:%d: attach your editor to it", port)


def _auth(args: argparse.Namespace) -> EasyAuth | None:
    if not args.auth_issuer:
        logger.warning("App Service Authentication emulation is OFF: every caller is anonymous")
        return None
    if not (args.auth_audience and args.auth_jwks_url):
        raise SystemExit("--auth-issuer needs --auth-audience and --auth-jwks-url")
    settings = AuthSettings(
        issuer=args.auth_issuer,
        audiences=tuple(args.auth_audience),
        jwks_url=args.auth_jwks_url,
        excluded_paths=tuple(args.auth_exclude),
    )
    return EasyAuth(settings, ssl_context=ssl.create_default_context())


def register_blueprints(app: FunctionRegister, modules: list[str]) -> None:
    """Register the Blueprints of extra modules, as ``app.register_functions`` would."""
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise IndexingError(
                f"importing blueprint module {name} failed: {type(exc).__name__}: {exc}"
            ) from exc
        blueprints = [v for v in vars(module).values() if isinstance(v, func.Blueprint)]
        if not blueprints:
            raise IndexingError(f"module {name} defines no azure.functions.Blueprint")
        for blueprint in blueprints:
            app.register_functions(blueprint)


def host_id(app_dir: Path, environ: dict[str, str]) -> str:
    """The host id (receipts and locks are keyed on it): the setting, else one per app dir."""
    configured = environ.get(HOST_ID_SETTING, "").strip().lower()
    if configured:
        return configured[:32]
    digest = hashlib.sha256(str(app_dir).encode()).hexdigest()
    return f"devstack-{digest[:23]}"


def _runner(
    function: IndexedFunction,
    *,
    credential: DefaultAzureCredential,
    clients: StorageClients,
    invoker: Invoker,
    config_queues: QueueOptions,
    state_dir: Path,
    environ: dict[str, str],
    identity: str,
    blob_scan: float,
    watcher: QueueWatcher,
) -> Runner | None:
    if function.trigger_type == QUEUE_TRIGGER:
        return QueueListener(
            function=function,
            credential=credential,
            options=config_queues,
            invoker=invoker,
            environ=environ,
            watcher=watcher,
        )
    if function.trigger_type == TIMER_TRIGGER:
        return TimerRunner(
            function=function, invoker=invoker, status_dir=state_dir / "timers", environ=environ
        )
    if function.trigger_type == BLOB_TRIGGER:
        return BlobTriggerListener(
            function=function,
            clients=clients,
            host_id=identity,
            options=config_queues,
            invoker=invoker,
            interval=blob_scan,
        )
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logs.configure(args.state_dir)
    if args.debug_port is not None:
        _listen_for_debugger(args.debug_port)
    app_dir = args.app_dir.resolve()
    environ = dict(os.environ)
    script = environ.get("PYTHON_SCRIPT_FILE_NAME", "function_app.py")
    try:
        config = load_host_config(app_dir, environ)
        app = load_function_app(app_dir, script)
        register_blueprints(app, args.blueprint)
        indexed = index_functions(app)
        blob_scan = scan_interval(environ)
    except (HostConfigError, IndexingError, ScanIntervalError) as exc:
        logger.error("host cannot start: %s", exc)
        return 2
    if config.default_document:
        logger.warning('No host.json in %s: running with the default {"version": "2.0"}', app_dir)

    credential = DefaultAzureCredential()
    clients = StorageClients(credential, environ)
    identity = host_id(app_dir, environ)
    blob_listeners: list[BlobTriggerListener] = []
    watcher = QueueWatcher()

    def blob_written(connection: str, container: str, name: str) -> None:
        for listener in blob_listeners:
            listener.notify(connection, container, name)

    invoker = Invoker(
        app_dir=app_dir,
        bindings=HostBindings(
            clients=clients,
            queue_encoding=config.queues.message_encoding,
            on_blob_written=blob_written,
            queue_watcher=watcher,
        ),
        timeout=config.function_timeout,
    )
    refusals: list[Refusal] = []
    loaded: list[IndexedFunction] = []
    runners: list[Runner] = []
    for function in indexed:
        prepared, refusal, warnings = prepare(function, environ)
        for warning in warnings:
            logger.warning(warning)
        if prepared is not None and not is_disabled(prepared.name, environ):
            try:
                runner = _runner(
                    prepared,
                    credential=credential,
                    clients=clients,
                    invoker=invoker,
                    config_queues=config.queues,
                    state_dir=args.state_dir,
                    environ=environ,
                    identity=identity,
                    blob_scan=blob_scan,
                    watcher=watcher,
                )
            except (ScheduleError, ConnectionSettingError, BlobPathError) as exc:
                prepared, refusal = None, Refusal(function.name, str(exc))
            else:
                if runner is not None:
                    runners.append(runner)
                    if isinstance(runner, BlobTriggerListener):
                        blob_listeners.append(runner)
        if refusal is not None:
            refusals.append(refusal)
            logger.error(refusal.line())
        if prepared is not None:
            loaded.append(prepared)
    enabled = [f for f in loaded if not is_disabled(f.name, environ)]
    manual: dict[str, ManualTrigger] = {
        QUEUE_TRIGGER: queues.manual_trigger,
        TIMER_TRIGGER: timers.manual_trigger,
        BLOB_TRIGGER: blobtrigger.manual_trigger_for(clients),
    }
    try:
        http = HttpHost(
            functions=enabled,
            invoker=invoker,
            route_prefix=config.route_prefix,
            auth=_auth(args),
            admin=AdminApi(
                host_id=identity,
                functions=loaded,
                refusals=refusals,
                invoker=invoker,
                manual_triggers=manual,
            ),
        )
    except RouteTemplateError as exc:
        logger.error("host cannot start: %s", exc)
        return 2

    base = f"http://127.0.0.1:{args.port}"
    logger.info("Functions:")
    for route in http.routes:
        methods = ",".join(sorted(route.methods)) if route.methods else "ALL"
        prefix = f"/{config.route_prefix}" if config.route_prefix else ""
        logger.info(
            "    %s: [%s] %s%s/%s",
            route.function.name,
            methods,
            base,
            prefix,
            route.template.template,
        )
    for function in enabled:
        if function.trigger_type != HTTP_TRIGGER:
            logger.info("    %s: %s", function.name, function.trigger_type)
    for function in loaded:
        if function not in enabled:
            logger.info("Function 'Functions.%s' is disabled", function.name)

    server = uvicorn.Server(
        uvicorn.Config(
            http,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            h11_max_incomplete_event_size=INCOMPLETE_HEAD_BYTES,
        )
    )
    stop = threading.Event()

    def _shutdown(signum: int, _: FrameType | None) -> None:
        stop.set()
        server.should_exit = True

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    for runner in runners:
        runner.start()
    logger.info("Host started on %s", base)
    try:
        server.run()
    finally:
        for runner in runners:
            runner.stop()
        invoker.shutdown()
        clients.close()
        credential.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
