"""``devstack up``: every piece of the offline stack, started, watched and stopped together.

Start order: dev CA -> token issuer -> identity endpoint, vault, partner stub
(uvicorn servers in this process) -> Azurite (node) -> storage provisioning
(what the Bicep template creates in Azure) -> the function host (a child
process whose environment is the app's). When everything answers,
``<state>/endpoints.json`` is written and a banner printed. Ctrl-C stops it
all; a piece that dies stops the rest with a message naming it.

A storage outage can be rehearsed: ``POST /devstack/azurite/stop`` and ``.../start`` on the
identity endpoint's port (or ``python -m devstack azurite stop|start``) stop Azurite
gracefully and start it again on the same ports, re-provisioned; its data survives unless the
stack runs ``--memory``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import re
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack import provision
from devstack.appenv import (
    build_app_env,
    load_local_settings,
    settings_file,
    with_storage_connections,
)
from devstack.certs import DevCertificates, create_dev_certificates
from devstack.identity_server import JWKS_PATH, TOKEN_PATH, create_identity_app
from devstack.partner_server import create_partner_app
from devstack.ports import LOOPBACK, Ports, resolve_ports
from devstack.processes import ChildProcess, configure_logging
from devstack.tokens import DEFAULT_APP_AUDIENCE, IssuerCredential, TokenIssuer
from devstack.vault_server import VaultStore, create_vault_app

logger = logging.getLogger("devstack.stack")

ACCOUNT = "devstoreaccount1"
DEFAULT_SECRET_NAME = "partner-api-key"  # noqa: S105 - the secret's name
DEFAULT_KEY_HEADER = "X-Api-Key"
AUTH_EXCLUDED_PATHS = ("/api/health", "/api/openapi.json")
STARTUP_TIMEOUT = 90.0
AZURITE_CONTROL_PATH = "/devstack/azurite"
PARTNER_KEY_LIFETIME_DAYS = 90
AZURITE_ACCESS_LOG = re.compile(r'^\S+ - - \[[^\]]+\] "')


class StackError(RuntimeError):
    """The stack cannot start; the message says which piece and what to do."""


@dataclass
class StackOptions:
    app_dir: Path
    state_dir: Path
    memory: bool = False
    free_ports: bool = False
    host: str = "devstack"  # or "func" (Core Tools), or "none"
    banner: bool = True
    audience: str = DEFAULT_APP_AUDIENCE  # what callers' tokens must be issued for
    extra_app_env: dict[str, str] = field(default_factory=dict)
    auth: bool = True  # App Service Authentication in front of the app (off: anonymous)
    blueprints: list[str] = field(default_factory=list)  # extra Blueprint modules (devstack)


#: The project that holds the devstack (and its node_modules), wherever the app lives.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def azurite_entry(root: Path = PROJECT_ROOT) -> Path:
    entry = root / "node_modules" / "azurite" / "dist" / "src" / "azurite.js"
    if not entry.is_file():
        raise StackError("Azurite is not installed: run `make setup` (npm ci) first")
    return entry


@dataclass(frozen=True)
class _AzuriteSetup:
    """What starting Azurite takes, kept so it can be started again on the same ports."""

    entry: Path
    ports: Ports
    certs: DevCertificates
    log_dir: Path
    provision: Callable[[], None]


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the stack (one Ctrl-C stops all)."""

    task: asyncio.Task[None] | None = None  # the serve() task, watched by the stack

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(app: Starlette, port: int, certs: DevCertificates | None) -> _EmbeddedServer:
    config = uvicorn.Config(
        app,
        host=LOOPBACK,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=str(certs.server_cert) if certs else None,
        ssl_keyfile=str(certs.server_key) if certs else None,
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 15
    while not server.started:
        if task.done():
            raise StackError(f"a local service could not listen on port {port}")
        if time.monotonic() > deadline:
            raise StackError(f"a local service on port {port} did not start")
        await asyncio.sleep(0.05)
    server.task = task
    return server


async def _wait_for_port(port: int, child: ChildProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            raise StackError(f"{child.name} exited during start-up; see {child.log_path}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(LOOPBACK, port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise StackError(f"{child.name} did not open port {port} within {timeout:.0f}s")


async def _wait_for_http(url: str, child: ChildProcess, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            raise StackError(f"{child.name} exited during start-up; see {child.log_path}")
        try:
            await asyncio.to_thread(urllib.request.urlopen, url, timeout=2)
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise StackError(f"{child.name} did not answer {url} within {timeout:.0f}s")


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state = options.state_dir.resolve()
        self.children: list[ChildProcess] = []
        self.servers: list[_EmbeddedServer] = []
        self.endpoints: dict[str, Any] = {}
        self._azurite: _AzuriteSetup | None = None  # how to (re)start Azurite
        self._paused: set[str] = set()  # children stopped on purpose (not a failure)
        self._changed = asyncio.Event()  # the set of running children changed
        self._control_lock = asyncio.Lock()

    # -- start --------------------------------------------------------------

    async def start(self) -> None:
        opts = self.options
        app_dir = opts.app_dir.resolve()
        log_dir = self.state / "logs"
        ports = resolve_ports(free=opts.free_ports)
        source = settings_file(app_dir)
        if source.exists():
            settings = load_local_settings(source)
        else:
            logger.warning(
                "%s has no local.settings.json: starting it with no app settings", app_dir
            )
            settings = {}
        entry = azurite_entry()
        certs = create_dev_certificates(self.state / "certs")
        issuer = TokenIssuer.load_or_create(self.state / "identity" / "signing-key.pem")
        identity_header = secrets.token_urlsafe(32)

        secret_name = settings.get("PARTNER_API_KEY_SECRET_NAME", DEFAULT_SECRET_NAME)
        store = VaultStore(None if opts.memory else self.state / "vault" / "secrets.json")
        if store.current_value(secret_name) is None:
            # Dated like a well-kept secret, so the posture checker finds a clean stack.
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=PARTNER_KEY_LIFETIME_DAYS)
            store.set_secret(secret_name, secrets.token_urlsafe(32), expires_on=expires)
            logger.info("vault: generated a random value for secret %r", secret_name)

        vault_origin = f"https://{LOOPBACK}:{ports['vault']}"
        identity_base = f"http://{LOOPBACK}:{ports['identity']}"
        identity_app = create_identity_app(issuer=issuer, identity_header=identity_header)
        identity_app.router.routes.extend(self._control_routes())
        self.servers = [
            await _serve(identity_app, ports["identity"], None),
            await _serve(
                create_vault_app(store=store, issuer=issuer, origin=vault_origin),
                ports["vault"],
                certs,
            ),
            await _serve(
                create_partner_app(
                    accepted_key=lambda: store.current_value(secret_name),
                    header_name=settings.get("PARTNER_API_KEY_HEADER", DEFAULT_KEY_HEADER),
                ),
                ports["partner"],
                certs,
            ),
        ]
        logger.info("identity endpoint, vault and partner stub are listening")

        blob = f"https://{LOOPBACK}:{ports['blob']}/{ACCOUNT}"
        queue = f"https://{LOOPBACK}:{ports['queue']}/{ACCOUNT}"
        table = f"https://{LOOPBACK}:{ports['table']}/{ACCOUNT}"
        self._azurite = _AzuriteSetup(
            entry,
            ports,
            certs,
            log_dir,
            provision=functools.partial(
                provision.provision_storage,
                blob_url=blob,
                queue_url=queue,
                credential=IssuerCredential(issuer),
                ca_bundle=certs.ca_bundle,
            ),
        )
        await self._start_azurite()

        app_env = build_app_env(
            settings,
            port_map=ports.rewrite_map(),
            identity_endpoint=f"{identity_base}{TOKEN_PATH}",
            identity_header=identity_header,
            ca_bundle=certs.ca_bundle,
            extra=opts.extra_app_env,
        )
        app_env, rewritten = with_storage_connections(app_env, blob=blob, queue=queue, table=table)
        for name in rewritten:
            logger.info("%s=UseDevelopmentStorage=true now points at Azurite, identity-based", name)
        api = f"http://{LOOPBACK}:{ports['api']}"
        if opts.host != "none":
            await self._start_host(app_dir, ports, issuer, identity_base, app_env, log_dir)

        self.endpoints = {
            "api": f"{api}/api",
            "blob": blob,
            "queue": queue,
            "table": table,
            "vault": vault_origin + "/",
            "partner": f"https://{LOOPBACK}:{ports['partner']}",
            "identity": f"{identity_base}{TOKEN_PATH}",
            "jwks": f"{identity_base}{JWKS_PATH}",
            "stats": {
                "identity": f"{identity_base}/devstack/stats",
                "vault": f"{vault_origin}/devstack/stats",
                "partner": f"https://{LOOPBACK}:{ports['partner']}/devstack/stats",
            },
            "partner_faults": f"https://{LOOPBACK}:{ports['partner']}/devstack/faults",
            "vault_faults": f"{vault_origin}/devstack/faults",
            "azurite_control": f"{identity_base}{AZURITE_CONTROL_PATH}",
            "ca_bundle": str(certs.ca_bundle),
            "ca_cert": str(certs.ca_cert),
            "audience": opts.audience,
            "issuer": issuer.issuer,
            "tenant_id": issuer.tenant_id,
            "signing_key": str(self.state / "identity" / "signing-key.pem"),
            "partner_secret_name": secret_name,
            "app_env_file": str(self.state / "app-env.json"),
            "host": opts.host,
            "pid": os.getpid(),
            "ports": ports.by_piece,
        }
        _write_private_json(self.state / "app-env.json", app_env)
        _write_private_json(self.state / "endpoints.json", self.endpoints)

    async def _start_azurite(self) -> None:
        setup = self._azurite
        if setup is None:
            raise StackError("Azurite cannot start before the stack has")
        ports, certs = setup.ports, setup.certs
        node = shutil.which("node")
        if node is None:
            raise StackError("node is not on PATH: Azurite needs Node.js 20")
        args = [
            node,
            str(setup.entry),
            "--blobHost",
            LOOPBACK,
            "--blobPort",
            str(ports["blob"]),
            "--queueHost",
            LOOPBACK,
            "--queuePort",
            str(ports["queue"]),
            "--tableHost",
            LOOPBACK,
            "--tablePort",
            str(ports["table"]),
            "--oauth",
            "basic",
            "--cert",
            str(certs.server_cert),
            "--key",
            str(certs.server_key),
            "--skipApiVersionCheck",
            "--disableTelemetry",
        ]
        if self.options.memory:
            args.append("--inMemoryPersistence")
        else:
            location = self.state / "azurite"
            location.mkdir(parents=True, exist_ok=True)
            args += ["--location", str(location)]
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        child = ChildProcess(
            "azurite",
            args,
            env=env,
            cwd=self.state,
            log_dir=setup.log_dir,
            quiet=AZURITE_ACCESS_LOG,
        )
        await child.start()
        self.children = [c for c in self.children if c.name != child.name] + [child]
        self._changed.set()
        for piece in ("blob", "queue", "table"):
            await _wait_for_port(ports[piece], child, STARTUP_TIMEOUT)
        await asyncio.to_thread(setup.provision)  # what infra/ creates; idempotent

    async def _start_host(
        self,
        app_dir: Path,
        ports: Ports,
        issuer: TokenIssuer,
        identity_base: str,
        app_env: dict[str, str],
        log_dir: Path,
    ) -> None:
        if self.options.host == "func":
            func = shutil.which("func")
            if func is None:
                raise StackError("--host func needs Azure Functions Core Tools (`func`) on PATH")
            argv = [func, "start", "--port", str(ports["api"])]
        else:
            argv = devstack_host_argv(
                self.options,
                app_dir=app_dir,
                port=ports["api"],
                state_dir=self.state / "host",
                issuer=issuer.issuer,
                jwks_url=f"{identity_base}{JWKS_PATH}",
            )
        env = dict(app_env)
        devstack_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (devstack_root, env.get("PYTHONPATH")) if p)
        child = ChildProcess("host", argv, env=env, cwd=app_dir, log_dir=log_dir)
        await child.start()
        self.children.append(child)
        await _wait_for_http(
            f"http://{LOOPBACK}:{ports['api']}/admin/host/ping", child, STARTUP_TIMEOUT
        )

    # -- run and stop -------------------------------------------------------

    async def watch(self, stop: asyncio.Event) -> int:
        """Wait for Ctrl-C or a dead piece; return the exit code.

        A child stopped on purpose (``POST /devstack/azurite/stop``) is not a failure: the
        watch re-arms whenever the set of running children changes.
        """
        stopper = asyncio.create_task(stop.wait())
        servers = {s.task: "local services" for s in self.servers if s.task is not None}
        while True:
            self._changed.clear()
            changed = asyncio.create_task(self._changed.wait())
            waits: dict[asyncio.Task[Any], str] = {
                asyncio.create_task(child.wait()): child.name
                for child in self.children
                if child.running
            }
            done, _ = await asyncio.wait(
                [stopper, changed, *waits, *servers], return_when=asyncio.FIRST_COMPLETED
            )
            for task in [changed, *waits]:
                task.cancel()
            if stopper in done:
                return 0
            dead = [name for task, name in {**waits, **servers}.items() if task in done]
            dead = [name for name in dead if name not in self._paused]
            if dead:
                logger.error("%s stopped unexpectedly; stopping the stack", dead[0])
                return 1

    # -- rehearsing a storage outage ------------------------------------------------

    def _control_routes(self) -> list[Route]:
        async def status(_: Request) -> Response:
            return JSONResponse({"running": self._azurite_running()})

        async def stop(_: Request) -> Response:
            async with self._control_lock:
                child = next((c for c in self.children if c.name == "azurite"), None)
                if child is not None and child.running:
                    self._paused.add("azurite")
                    logger.warning("azurite: stopping on request (storage outage rehearsal)")
                    await child.stop()
            return JSONResponse({"running": self._azurite_running()})

        async def start(_: Request) -> Response:
            async with self._control_lock:
                if not self._azurite_running():
                    logger.warning("azurite: starting again on request")
                    try:
                        await self._start_azurite()
                    except StackError as exc:
                        return JSONResponse({"error": str(exc)}, status_code=500)
                    self._paused.discard("azurite")
            return JSONResponse({"running": self._azurite_running()})

        return [
            Route(AZURITE_CONTROL_PATH, status, methods=["GET"]),
            Route(f"{AZURITE_CONTROL_PATH}/stop", stop, methods=["POST"]),
            Route(f"{AZURITE_CONTROL_PATH}/start", start, methods=["POST"]),
        ]

    def _azurite_running(self) -> bool:
        return any(c.name == "azurite" and c.running for c in self.children)

    async def stop(self) -> None:
        for child in reversed(self.children):
            await child.stop()
        for server in self.servers:
            # Clients keep idle keep-alive connections open; do not wait for them.
            server.should_exit = True
            server.force_exit = True
        for server in self.servers:
            if server.task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(server.task, timeout=5)
        (self.state / "endpoints.json").unlink(missing_ok=True)


def devstack_host_argv(
    options: StackOptions,
    *,
    app_dir: Path,
    port: int,
    state_dir: Path,
    issuer: str,
    jwks_url: str,
) -> list[str]:
    """The devstack host's command line: App Service Authentication on unless ``auth`` is off."""
    argv = [
        sys.executable,
        "-m",
        "devstack.host",
        "--app-dir",
        str(app_dir),
        "--port",
        str(port),
        "--state-dir",
        str(state_dir),
    ]
    if options.auth:
        argv += ["--auth-issuer", issuer, "--auth-audience", options.audience]
        argv += ["--auth-jwks-url", jwks_url]
        for path in AUTH_EXCLUDED_PATHS:
            argv += ["--auth-exclude", path]
    for module in options.blueprints:
        argv += ["--blueprint", module]
    return argv


def _write_private_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    temporary.replace(path)


async def run_stack(options: StackOptions) -> int:
    """Start the stack, print the banner, run until stopped."""
    options.state_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(options.state_dir / "logs")
    stack = Stack(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    started = time.monotonic()
    try:
        await stack.start()
    except (StackError, OSError, ValueError) as exc:
        logger.error("devstack cannot start: %s", exc)
        await stack.stop()
        return 2
    if options.banner:
        from devstack.banner import banner

        print(banner(stack.endpoints, options.state_dir, time.monotonic() - started), flush=True)
    else:
        logger.info("devstack ready in %.1fs", time.monotonic() - started)
    code = await stack.watch(stop)
    logger.info("stopping")
    await stack.stop()
    return code
