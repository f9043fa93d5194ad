"""``devstack up``: every piece of the offline stack, started, watched and stopped together.

Start order: dev CA -> token issuer -> identity endpoint, vault, partner stub
(uvicorn servers in this process) -> Azurite (node) -> storage provisioning
(what the Bicep template creates in Azure) -> the control plane -> the function
host (a child process whose environment is the app's). When everything answers,
``<state>/endpoints.json`` is written and a banner printed. Ctrl-C stops it
all; a piece that dies stops the rest with a message naming it.

Outages are rehearsed on the control plane (:mod:`devstack.control`, ``control`` in
``endpoints.json``): fault plans for the vault and the partner stub, every piece's
counters, and Azurite stopped and started again (:mod:`devstack.azurite`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from devstack import provision
from devstack.appenv import (
    build_app_env,
    load_local_settings,
    settings_file,
    with_storage_connections,
)
from devstack.azurite import NAME as AZURITE
from devstack.azurite import STARTUP_TIMEOUT, Azurite, azurite_entry
from devstack.certs import DevCertificates, create_dev_certificates
from devstack.control import PREFIX as CONTROL_PREFIX
from devstack.control import create_control_app
from devstack.files import write_private_json
from devstack.identity_server import JWKS_PATH, TOKEN_PATH, create_identity_app
from devstack.partner.api import create_partner_app
from devstack.ports import LOOPBACK, Ports, resolve_ports
from devstack.processes import ChildProcess, StackError, configure_logging, wait_for_http
from devstack.storagestats import StorageStats
from devstack.tokens import DEFAULT_APP_AUDIENCE, IssuerCredential, TokenIssuer
from devstack.vault.api import create_vault_app
from devstack.vault.store import VaultStore

logger = logging.getLogger("devstack.stack")

ACCOUNT = "devstoreaccount1"
DEFAULT_SECRET_NAME = "partner-api-key"  # noqa: S105 - the secret's name
DEFAULT_KEY_HEADER = "X-Api-Key"
AUTH_EXCLUDED_PATHS = ("/api/health", "/api/openapi.json")
PARTNER_KEY_LIFETIME_DAYS = 90


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


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state = options.state_dir.resolve()
        self.children: list[ChildProcess] = []
        self.servers: list[_EmbeddedServer] = []
        self.endpoints: dict[str, Any] = {}
        self.azurite: Azurite | None = None
        self._changed = asyncio.Event()  # the set of running children changed

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
        vault_app = create_vault_app(store=store, issuer=issuer, origin=vault_origin)
        partner_app = create_partner_app(
            accepted_key=lambda: store.current_value(secret_name),
            header_name=settings.get("PARTNER_API_KEY_HEADER", DEFAULT_KEY_HEADER),
        )
        self.servers = [
            await _serve(identity_app, ports["identity"], None),
            await _serve(vault_app, ports["vault"], certs),
            await _serve(partner_app, ports["partner"], certs),
        ]
        logger.info("identity endpoint, vault and partner stub are listening")

        blob = f"https://{LOOPBACK}:{ports['blob']}/{ACCOUNT}"
        queue = f"https://{LOOPBACK}:{ports['queue']}/{ACCOUNT}"
        table = f"https://{LOOPBACK}:{ports['table']}/{ACCOUNT}"
        storage_stats = StorageStats()
        self.azurite = Azurite(
            entry=entry,
            ports=ports,
            certs=certs,
            state_dir=self.state,
            log_dir=log_dir,
            memory=opts.memory,
            provision=functools.partial(
                provision.provision_storage,
                blob_url=blob,
                queue_url=queue,
                credential=IssuerCredential(issuer),
                ca_bundle=certs.ca_bundle,
            ),
            started=self._watch_child,
            stats=storage_stats,
        )
        await self.azurite.start()

        control_app = create_control_app(
            faults={"vault": vault_app.faults, "partner": partner_app.faults},
            counters={
                "identity": identity_app.state.stats,
                "vault": vault_app.counters,
                "partner": partner_app.counters,
                "storage": storage_stats,
            },
            azurite=self.azurite,
        )
        self.servers.append(await _serve(control_app, ports["control"], None))

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
            "control": f"http://{LOOPBACK}:{ports['control']}{CONTROL_PREFIX}",
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
        write_private_json(self.state / "app-env.json", app_env)
        write_private_json(self.state / "endpoints.json", self.endpoints)

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
        await wait_for_http(
            f"http://{LOOPBACK}:{ports['api']}/admin/host/ping", child, STARTUP_TIMEOUT
        )

    def _watch_child(self, child: ChildProcess) -> None:
        """A new child process to watch (Azurite started again replaces the old one)."""
        self.children = [c for c in self.children if c.name != child.name] + [child]
        self._changed.set()

    # -- run and stop -------------------------------------------------------

    async def watch(self, stop: asyncio.Event) -> int:
        """Wait for Ctrl-C or a dead piece; return the exit code.

        Azurite stopped on request (the control plane) is not a failure: the watch re-arms
        whenever the set of running children changes.
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
            paused = {AZURITE} if self.azurite is not None and self.azurite.paused else set()
            dead = [name for name in dead if name not in paused]
            if dead:
                logger.error("%s stopped unexpectedly; stopping the stack", dead[0])
                return 1

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
