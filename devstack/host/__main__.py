"""``python -m devstack.host``: run a function app the way ``func start`` would.

The environment of this process *is* the app's environment (app settings,
``IDENTITY_ENDPOINT``/``IDENTITY_HEADER``, the CA bundle); the host's own
options (port, authentication) come as arguments, as they come from the
platform's configuration in Azure rather than from app settings.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import ssl
import sys
import threading
from pathlib import Path
from types import FrameType

import uvicorn
from azure.identity import DefaultAzureCredential

from devstack.host.auth import AuthSettings, EasyAuth
from devstack.host.config import HostConfigError, load_host_config
from devstack.host.functions import (
    HTTP_TRIGGER,
    QUEUE_TRIGGER,
    TIMER_TRIGGER,
    IndexingError,
    Invoker,
    index_functions,
    is_disabled,
    load_function_app,
)
from devstack.host.http import HttpHost
from devstack.host.queues import ConnectionSettingError, QueueListener
from devstack.host.routing import RouteTemplateError
from devstack.host.timers import ScheduleError, TimerRunner

logger = logging.getLogger("devstack.host")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack.host", description=__doc__)
    parser.add_argument("--app-dir", type=Path, default=Path.cwd())
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--state-dir", type=Path, default=Path(".devstack") / "host")
    parser.add_argument("--auth-issuer", help="token issuer App Service Authentication trusts")
    parser.add_argument("--auth-audience", action="append", default=[])
    parser.add_argument("--auth-jwks-url")
    parser.add_argument("--auth-exclude", action="append", default=[], metavar="PATH")
    return parser.parse_args(argv)


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


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("azure").setLevel(logging.WARNING)
    args = _parse_args(argv)
    app_dir = args.app_dir.resolve()
    environ = dict(os.environ)
    try:
        config = load_host_config(app_dir, environ)
        app = load_function_app(app_dir, environ.get("PYTHON_SCRIPT_FILE_NAME", "function_app.py"))
        indexed = index_functions(app)
        disabled = [f for f in indexed if is_disabled(f.name, environ)]
        functions = [f for f in indexed if f not in disabled]
        invoker = Invoker(app_dir=app_dir)
        http = HttpHost(
            functions=functions, invoker=invoker, route_prefix=config.route_prefix, auth=_auth(args)
        )
        credential = DefaultAzureCredential()
        listeners = [
            QueueListener(
                function=f,
                credential=credential,
                options=config.queues,
                invoker=invoker,
                environ=environ,
            )
            for f in functions
            if f.trigger_type == QUEUE_TRIGGER
        ]
        timers = [
            TimerRunner(
                function=f, invoker=invoker, status_dir=args.state_dir / "timers", environ=environ
            )
            for f in functions
            if f.trigger_type == TIMER_TRIGGER
        ]
    except (
        HostConfigError,
        IndexingError,
        RouteTemplateError,
        ConnectionSettingError,
        ScheduleError,
    ) as exc:
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
    for function in functions:
        if function.trigger_type != HTTP_TRIGGER:
            logger.info("    %s: %s", function.name, function.trigger_type)
    for function in disabled:
        logger.info("Function 'Functions.%s' is disabled", function.name)

    server = uvicorn.Server(
        uvicorn.Config(
            http,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
    )
    stop = threading.Event()

    def _shutdown(signum: int, _: FrameType | None) -> None:
        stop.set()
        server.should_exit = True

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    runners: list[QueueListener | TimerRunner] = [*listeners, *timers]
    for runner in runners:
        runner.start()
    logger.info("Host started on %s", base)
    try:
        server.run()
    finally:
        for runner in runners:
            runner.stop()
        invoker.shutdown()
        credential.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
