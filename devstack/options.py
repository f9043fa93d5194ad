"""What ``devstack up`` was asked for, and the function host command line it implies."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devstack.errors import StackError
from devstack.tokens import DEFAULT_APP_AUDIENCE

AUTH_EXCLUDED_PATHS = ("/api/health", "/api/openapi.json")


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
    debug_port: int | None = None  # the devstack host listens for a debugger (debugpy) here
    partner_auth: str = "key"  # or "entra": a token from the partner's tenant, no key anywhere
    stop_with_stdin: bool = False  # stop when standard input closes (devstack.lifeline)


def host_command(options: StackOptions) -> str | None:
    """Core Tools' ``func`` when ``--host func`` (checked before anything starts)."""
    if options.host != "func":
        return None
    func = shutil.which("func")
    if func is None:
        raise StackError(
            "--host func needs Azure Functions Core Tools (`func`) on PATH: install it, "
            "or run the devstack host (leave out --host)"
        )
    return func


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
    if options.debug_port is not None:
        argv += ["--debug-port", str(options.debug_port)]
    return argv
