"""``devstack up``: every piece of the offline stack, started, watched and stopped together.

Start order: the state directory's lock (:mod:`devstack.statelock`: one stack per state
directory) -> leftovers of a stack that was killed (:mod:`devstack.leftovers`) -> ports
and settings checked -> dev CA -> token issuer -> identity endpoint, vault, partner stub,
the partner's tenant (uvicorn servers in this process) -> Azurite (node, internal ports)
behind the Storage front (public ports, :mod:`devstack.storagefront`) -> storage
provisioning (what the Bicep template creates in Azure) -> the control plane -> the function
host (a child process whose environment is the app's). When everything answers,
``<state>/endpoints.json`` is written and a banner printed. Ctrl-C (or SIGTERM, or a
closed terminal's SIGHUP, or the starter's end: :mod:`devstack.lifecycle`) stops it all; a piece
that dies stops the rest with a message naming it; child processes die with the stack even
when it is killed (:mod:`devstack.processes`).

``--partner-auth entra`` runs it with no secret at all: an empty vault, a partner stub that
demands a token from the partner's tenant (:mod:`devstack.tenant`, running in both modes)
and refuses a key, and an app told ``PARTNER_AUTH=entra`` with that tenant as its authority.

Outages are rehearsed on the control plane (:mod:`devstack.control`, ``control`` in
``endpoints.json``): fault plans for the vault, the partner stub and the tenant, every
piece's counters, and Azurite stopped and started again (:mod:`devstack.azurite`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from devstack import leftovers, provision
from devstack.appenv import (
    SettingsFileError,
    build_app_env,
    load_local_settings,
    refuse_unsafe,
    settings_file,
    with_storage_connections,
)
from devstack.azurite import SERVICES, STARTUP_TIMEOUT, Azurite
from devstack.azuriteinstall import azurite_entry
from devstack.certs import create_dev_certificates
from devstack.control import PREFIX as CONTROL_PREFIX
from devstack.control import create_control_app
from devstack.embedded import EmbeddedServer, serve, stop_all
from devstack.errors import StackError
from devstack.files import write_private_json
from devstack.hostprocess import FunctionHost, explain_start_failure
from devstack.identity_server import JWKS_PATH, TOKEN_PATH, create_identity_app
from devstack.options import StackOptions, devstack_host_argv, host_command
from devstack.partner.api import create_partner_app
from devstack.partner.keys import KeyRegistry
from devstack.partnerkey import open_vault, seed_partner_key
from devstack.ports import LOOPBACK, Ports, distinct_free_ports, resolve_ports
from devstack.processes import ChildProcess
from devstack.storagefront.server import StorageFront
from devstack.storagestats import StorageStats
from devstack.tenant.api import create_tenant_app
from devstack.tenant.seed import (
    entra_app_settings,
    local_directory,
    partner_gate,
    tenant_endpoints,
)
from devstack.tokens import IssuerCredential, TokenIssuer
from devstack.traces import spans_to, store_at
from devstack.traces.received import Received
from devstack.vault.api import create_vault_app
from devstack.vault.backup import BackupSealer
from devstack.vault.events import VaultEvents, deliver_in_background

logger = logging.getLogger("devstack.stack")

ACCOUNT = "devstoreaccount1"
DEFAULT_SECRET_NAME = "partner-api-key"  # noqa: S105 - the secret's name
DEFAULT_KEY_HEADER = "X-Api-Key"


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state = options.state_dir.resolve()
        self.children: list[ChildProcess] = []
        self.servers: list[EmbeddedServer] = []
        self.fronts: list[StorageFront] = []
        self.endpoints: dict[str, Any] = {}
        self.azurite: Azurite | None = None
        self.host: FunctionHost | None = None
        self.changed = asyncio.Event()  # the set of running children changed
        self._events_stop = threading.Event()  # the vault's Event Grid delivery thread

    # -- start --------------------------------------------------------------

    async def start(self) -> None:
        opts = self.options
        app_dir = opts.app_dir.resolve()
        log_dir = self.state / "logs"
        (self.state / "endpoints.json").unlink(missing_ok=True)  # a killed stack's
        func = host_command(opts)
        ports = resolve_ports(free=opts.free_ports)
        source = settings_file(app_dir)
        if source.exists():
            try:
                settings = load_local_settings(source)
            except SettingsFileError as exc:
                raise StackError(f"{exc}: correct it, or move it away") from None
        else:
            logger.warning(
                "%s has no local.settings.json: starting it with no app settings", app_dir
            )
            settings = {}
        entry = azurite_entry()
        secret_name = settings.get("PARTNER_API_KEY_SECRET_NAME", DEFAULT_SECRET_NAME)
        store = open_vault(None if opts.memory else self.state / "vault" / "secrets.json")
        keys = KeyRegistry(None if opts.memory else self.state / "partner" / "keys.json")
        if not (entra := opts.partner_auth == "entra"):  # entra: the vault holds nothing
            seed_partner_key(store, secret_name, keys=keys, source=source)
        certs = create_dev_certificates(self.state / "certs")
        issuer = TokenIssuer.load_or_create(self.state / "identity" / "signing-key.pem")
        identity_header = secrets.token_urlsafe(32)

        vault_origin = f"https://{LOOPBACK}:{ports['vault']}"
        identity_base = f"http://{LOOPBACK}:{ports['identity']}"
        identity_app = create_identity_app(issuer=issuer, identity_header=identity_header)
        vault_app = create_vault_app(
            store=store,
            issuer=issuer,
            origin=vault_origin,
            backups=BackupSealer(None if opts.memory else self.state / "vault" / "backup.key"),
        )
        tenant_origin = f"https://{LOOPBACK}:{ports['tenant']}"
        directory = local_directory(settings, home=issuer, origin=tenant_origin)
        tenant_app = create_tenant_app(directory, origin=tenant_origin)
        partner_app = create_partner_app(
            accepted_key=lambda: store.current_value(secret_name),
            header_name=settings.get("PARTNER_API_KEY_HEADER", DEFAULT_KEY_HEADER),
            keys=keys,
            bearer=partner_gate(directory) if entra else None,
        )
        self.servers = [
            await serve(identity_app, ports["identity"], None),
            await serve(vault_app, ports["vault"], certs),
            await serve(partner_app, ports["partner"], certs),
            await serve(tenant_app, ports["tenant"], certs),
        ]
        logger.info("identity endpoint, vault, partner stub and partner tenant are listening")

        blob = f"https://{LOOPBACK}:{ports['blob']}/{ACCOUNT}"
        queue = f"https://{LOOPBACK}:{ports['queue']}/{ACCOUNT}"
        table = f"https://{LOOPBACK}:{ports['table']}/{ACCOUNT}"
        # Azurite's internal ports: none may be a public port the fronts bind after it starts.
        internal = distinct_free_ports(SERVICES, avoid=ports.by_piece.values())
        self.fronts = [
            StorageFront(
                service,
                host=LOOPBACK,
                port=ports[service],
                upstream_port=internal[service],
                server_cert=certs.server_cert,
                server_key=certs.server_key,
                ca_cert=certs.ca_cert,
            )
            for service in SERVICES
        ]
        storage_stats = StorageStats()
        self.azurite = Azurite(
            entry=entry,
            ports=internal,
            fronts=self.fronts,
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
        deliver_in_background(
            VaultEvents(store, secret_name=secret_name, origin=vault_origin),
            queue_url=queue,
            credential=IssuerCredential(issuer),
            ca_bundle=certs.ca_bundle,
            stop=self._events_stop,
        )

        received = Received()  # what the OTLP receiver took, and its CPU
        control_app = create_control_app(
            faults={
                "vault": vault_app.faults,
                "partner": partner_app.faults,
                "partner-keys": partner_app.state.key_faults,
                "tenant": tenant_app.faults,
            },
            counters={
                "identity": identity_app.state.stats,
                "vault": vault_app.counters,
                "partner": partner_app.counters,
                "partner-keys": keys,
                "storage": storage_stats,
                "tenant": directory,
                "traces": received,
            },
            azurite=self.azurite,
            host=lambda: self.host,  # started below
            traces=store_at(self.state),  # the app's spans (OTEL_EXPORTER_OTLP_ENDPOINT)
            received=received,
        )
        self.servers.append(await serve(control_app, ports["control"], None))

        app_env = build_app_env(
            settings,
            port_map=ports.rewrite_map(),
            identity_endpoint=f"{identity_base}{TOKEN_PATH}",
            identity_header=identity_header,
            ca_bundle=certs.ca_bundle,
            extra={  # the app verifies callers' tokens as the host's authentication does
                "CALLER_TOKEN_ISSUERS": issuer.issuer,
                "CALLER_TOKEN_AUDIENCES": opts.audience,
                "CALLER_TOKEN_JWKS_URL": f"{identity_base}{JWKS_PATH}",
                **spans_to(settings, f"http://{LOOPBACK}:{ports['control']}{CONTROL_PREFIX}"),
                **(entra_app_settings(settings, tenant_origin) if entra else {}),
                **opts.extra_app_env,
            },
        )
        app_env, rewritten = with_storage_connections(app_env, blob=blob, queue=queue, table=table)
        for name in rewritten:
            logger.info("%s=UseDevelopmentStorage=true now points at Azurite, identity-based", name)
        refuse_unsafe(app_env, source=source, overrides=opts.extra_app_env)
        api = f"http://{LOOPBACK}:{ports['api']}"
        if opts.host != "none":
            argv = (
                [func, "start", "--port", str(ports["api"])]
                if func is not None
                else devstack_host_argv(
                    opts,
                    app_dir=app_dir,
                    port=ports["api"],
                    state_dir=self.state / "host",
                    issuer=issuer.issuer,
                    jwks_url=f"{identity_base}{JWKS_PATH}",
                )
            )
            await self._start_host(argv, app_dir, ports, app_env, log_dir, source)

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
            "partner_auth": opts.partner_auth,
            "tenant": tenant_endpoints(directory, settings, tenant_origin),
            "app_env_file": str(self.state / "app-env.json"),
            "host": opts.host,
            "pid": os.getpid(),
            "state_dir": str(self.state),
            "ports": ports.by_piece,
            "azurite_ports": internal,
        }
        write_private_json(self.state / "app-env.json", app_env)
        write_private_json(self.state / "endpoints.json", self.endpoints)

    async def _start_host(
        self,
        argv: list[str],
        app_dir: Path,
        ports: Ports,
        app_env: dict[str, str],
        log_dir: Path,
        settings_source: Path,
    ) -> None:
        env = dict(app_env)
        devstack_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (devstack_root, env.get("PYTHONPATH")) if p)
        self.host = FunctionHost(
            argv=argv,
            env=env,
            cwd=app_dir,
            log_dir=log_dir,
            ping_url=f"http://{LOOPBACK}:{ports['api']}/admin/host/ping",
            started=self._watch_child,
            timeout=STARTUP_TIMEOUT,
        )
        try:
            await self.host.start()
        except StackError as exc:
            raise explain_start_failure(exc, app_dir, settings_source) from None

    def _watch_child(self, child: ChildProcess) -> None:
        """A new child process to watch (Azurite started again replaces the old one)."""
        self.children = [c for c in self.children if c.name != child.name] + [child]
        leftovers.record(
            self.state, [(c.name, c.pid) for c in self.children if c.pid is not None and c.running]
        )
        self.changed.set()

    # -- run and stop -------------------------------------------------------

    async def stop(self) -> None:
        self._events_stop.set()
        for front in self.fronts:
            await front.pause()
        for child in reversed(self.children):
            await child.stop()
        for front in self.fronts:
            await front.stop()
        await stop_all(self.servers)
        (self.state / "endpoints.json").unlink(missing_ok=True)
        (self.state / leftovers.RECORD).unlink(missing_ok=True)
