"""``python -m devstack``: the offline local stack.

up       start Azurite, the identity endpoint, the vault, the partner stub and
         the function host; print a banner; Ctrl-C stops everything
token    print a caller token for the local API (as Entra would issue one)
env      print the app's environment as shell exports (run scripts as the app);
         --format env for env(1), which also takes names a shell cannot export
azurite  stop or start Azurite in the running stack (rehearse a storage outage);
         status exits 0 while it runs, 3 while it is stopped
rotate-rehearsal  bring the partner key near expiry and watch it rotate while jobs flow
trace    print a job's trace as a waterfall (--format json: its spans)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shlex
import sys
from pathlib import Path

from devstack.tokens import DEFAULT_APP_AUDIENCE, DEV_CALLER_OBJECT_ID, TokenIssuer

DEFAULT_STATE = Path(".devstack")
#: Where the devstack host waits for a debugger with ``--debug-host`` (debugpy's usual port).
DEFAULT_DEBUG_PORT = 5678
CALLER_APP_ID = "44444444-4444-4444-8444-444444444444"


def _endpoints(state_dir: Path) -> dict[str, object]:
    """The running stack's endpoints; a one-line exit when no stack runs on ``state_dir``."""
    from devstack.statelock import holder

    path = state_dir / "endpoints.json"
    running = holder(state_dir)
    if running is None:
        left = " (its endpoints.json is left from a stack that was killed)" if path.exists() else ""
        raise SystemExit(
            f"no devstack is running on {state_dir}{left}: start it with `make run`"
            + ("" if state_dir == DEFAULT_STATE else f" or `devstack --state-dir {state_dir} up`")
        )
    if not path.exists():
        raise SystemExit(
            f"{running.describe()} is still starting (no endpoints.json yet): try again shortly"
        )
    try:
        document: dict[str, object] = json.loads(path.read_text())
    except ValueError:
        raise SystemExit(f"{path} is damaged: stop the stack and start it again") from None
    return document


def _running_audience(state_dir: Path) -> str:
    """The audience the running stack's host accepts (the default when none is running)."""
    path = state_dir / "endpoints.json"
    if path.exists():
        return str(json.loads(path.read_text()).get("audience") or DEFAULT_APP_AUDIENCE)
    return DEFAULT_APP_AUDIENCE


def _pair(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise SystemExit(f"--app-setting expects NAME=VALUE, got {item!r}")
    return name, value


def cmd_up(args: argparse.Namespace) -> int:
    from devstack.errors import StackError
    from devstack.lifecycle import run_stack
    from devstack.options import StackOptions

    options = StackOptions(
        app_dir=args.app_dir,
        state_dir=args.state_dir,
        memory=args.memory,
        free_ports=args.free_ports,
        host=args.host,
        banner=not args.no_banner,
        audience=args.audience,
        extra_app_env=dict(_pair(item) for item in args.app_setting),
        auth=not args.no_auth,
        blueprints=list(args.blueprint),
        debug_port=args.debug_host,
        partner_auth=args.partner_auth,
        stop_with_stdin=args.stop_on_stdin_close,
    )
    try:
        return asyncio.run(run_stack(options))
    except StackError as exc:
        print(f"devstack cannot start: {exc}", file=sys.stderr)
        return 2


def cmd_token(args: argparse.Namespace) -> int:
    issuer = TokenIssuer.load_or_create(args.state_dir / "identity" / "signing-key.pem")
    audience = args.audience or _running_audience(args.state_dir)
    minted = issuer.mint(
        audience,
        object_id=args.object_id,
        app_id=CALLER_APP_ID,
        lifetime=args.lifetime,
        roles=args.role,
        extra={"name": args.name},
    )
    print(minted.token)
    return 0


_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def render_env(env: dict[str, str], fmt: str) -> tuple[str, list[str]]:
    """The app's environment as shell text, and the names that text had to leave out.

    ``export``: ``export NAME=VALUE`` lines for ``eval``; a setting whose name is not a
    shell variable name (``AzureWebJobs.<fn>.Disabled``) cannot be exported and is left
    out. ``env``: one line of ``'NAME=VALUE'`` words for ``env(1)``, which takes any name.
    ``json``: the object itself.
    """
    names = sorted(env)
    if fmt == "json":
        return json.dumps({name: env[name] for name in names}, indent=2), []
    if fmt == "env":
        return " ".join(shlex.quote(f"{name}={env[name]}") for name in names), []
    skipped = [name for name in names if not _SHELL_NAME.match(name)]
    lines = [f"export {name}={shlex.quote(env[name])}" for name in names if name not in skipped]
    return "\n".join(lines), skipped


def cmd_env(args: argparse.Namespace) -> int:
    endpoints = _endpoints(args.state_dir)
    env = json.loads(Path(str(endpoints["app_env_file"])).read_text())
    text, skipped = render_env(env, args.format)
    print(text)
    if skipped:
        print(
            f"# not exported (not shell variable names): {', '.join(skipped)}; "
            "use `python -m devstack env --format env` with env(1) to pass them",
            file=sys.stderr,
        )
    return 0


#: ``azurite status`` exits 3 when Azurite is stopped (as LSB's "status" does for "not running").
AZURITE_STOPPED = 3


def cmd_azurite(args: argparse.Namespace) -> int:
    import requests

    endpoints = _endpoints(args.state_dir)
    url = f"{endpoints['control']}/azurite"
    try:
        if args.action == "status":
            response = requests.get(url, timeout=10)
        else:
            response = requests.post(f"{url}/{args.action}", timeout=120)
    except requests.RequestException as exc:
        raise SystemExit(
            f"the devstack's control plane at {url} did not answer ({type(exc).__name__}): "
            "is the stack still starting or stopping? Try again, or restart it"
        ) from None
    if not response.ok:
        try:
            detail = str(response.json().get("error") or response.reason)
        except ValueError:
            detail = response.reason
        raise SystemExit(f"azurite {args.action} failed ({response.status_code}): {detail}")
    running = bool(response.json().get("running"))
    print("azurite is running" if running else "azurite is stopped")
    return 0 if running or args.action == "stop" else AZURITE_STOPPED


def cmd_rotate_rehearsal(args: argparse.Namespace) -> int:
    import requests
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    from devstack.rehearsal import RehearsalError, rehearse

    endpoints = _endpoints(args.state_dir)
    issuer = TokenIssuer.load_or_create(args.state_dir / "identity" / "signing-key.pem")
    token = issuer.mint(
        str(endpoints.get("audience") or DEFAULT_APP_AUDIENCE),
        object_id=DEV_CALLER_OBJECT_ID,
        app_id=CALLER_APP_ID,
        roles=["Jobs.Submit"],
    ).token
    try:
        return rehearse(endpoints, token=token, timeout=args.timeout)
    except RehearsalError as exc:
        print(f"rotate-rehearsal: {exc}", file=sys.stderr)
    except (requests.ConnectionError, requests.Timeout, ServiceRequestError) as exc:
        print(
            f"rotate-rehearsal: the stack did not answer ({type(exc).__name__}): is it still "
            "running? Check its terminal, or start it again with `make run`",
            file=sys.stderr,
        )
    except (requests.HTTPError, HttpResponseError) as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        print(
            f"rotate-rehearsal: the stack refused a request ({type(exc).__name__}, {status}): "
            f"see {args.state_dir / 'logs'}",
            file=sys.stderr,
        )
    return 1


def cmd_trace(args: argparse.Namespace) -> int:
    from devstack.traces.cli import trace_command

    return trace_command(args.state_dir, args.job_id, fmt=args.format)


def build_parser() -> argparse.ArgumentParser:
    """Every sub-command and option (editor configurations are checked against it too)."""
    parser = argparse.ArgumentParser(
        prog="devstack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE,
        help="where the stack keeps its state (default .devstack)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the stack")
    up.add_argument("--app-dir", type=Path, default=Path.cwd())
    up.add_argument("--memory", action="store_true", help="keep Azurite and vault in memory")
    up.add_argument(
        "--free-ports",
        action="store_true",
        help="take free ports for every piece instead of 7071-7075 and 10000-10002 (when "
        "those are taken); the banner and .devstack/endpoints.json show the ports taken",
    )
    up.add_argument(
        "--host",
        choices=("devstack", "func", "none"),
        default="devstack",
        help="function host: the devstack's own, Core Tools (`func start`), or none",
    )
    up.add_argument("--no-banner", action="store_true")
    up.add_argument(
        "--audience",
        default=DEFAULT_APP_AUDIENCE,
        help=f"the audience callers' tokens must carry (default {DEFAULT_APP_AUDIENCE})",
    )
    up.add_argument(
        "--app-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="add or override an app setting for this run (repeatable)",
    )
    up.add_argument(
        "--no-auth",
        action="store_true",
        help="no App Service Authentication in front of the app: every caller is anonymous",
    )
    up.add_argument(
        "--partner-auth",
        choices=("key", "entra"),
        default="key",
        help="how the app authenticates to the partner: the key in the vault (default), or a "
        "token from the partner's tenant with no secret anywhere (docs/partner-entra.md)",
    )
    up.add_argument(
        "--blueprint",
        action="append",
        default=[],
        metavar="MODULE",
        help="also register this module's Blueprint on the devstack host (repeatable)",
    )
    up.add_argument(
        "--debug-host",
        type=int,
        nargs="?",
        const=DEFAULT_DEBUG_PORT,
        metavar="PORT",
        help=f"the devstack host listens for a debugger (debugpy) on 127.0.0.1:PORT (default "
        f"{DEFAULT_DEBUG_PORT}): attach with .vscode/launch.json's configuration",
    )
    up.add_argument(
        "--stop-on-stdin-close",
        action="store_true",
        help="stop when standard input closes: a program that starts the stack with a pipe "
        "as its input, and keeps the other end, takes the stack with it when it ends",
    )
    up.set_defaults(handler=cmd_up)

    token = commands.add_parser("token", help="print a caller token for the local API")
    token.add_argument(
        "audience", nargs="?", help=f"default: the running stack's ({DEFAULT_APP_AUDIENCE})"
    )
    token.add_argument("--role", action="append", default=[], help="app role (repeatable)")
    token.add_argument("--object-id", default=DEV_CALLER_OBJECT_ID)
    token.add_argument("--name", default="dev caller")
    token.add_argument("--lifetime", type=int, default=3600, help="seconds")
    token.set_defaults(handler=cmd_token)

    env = commands.add_parser("env", help="print the app's environment as shell exports")
    env.add_argument(
        "--format",
        choices=("export", "env", "json"),
        default="export",
        help="export lines for eval (default), one env(1) argument line, or JSON",
    )
    env.set_defaults(handler=cmd_env)

    azurite = commands.add_parser(
        "azurite", help="stop or start Azurite in the running stack (storage outage rehearsal)"
    )
    azurite.add_argument("action", choices=("stop", "start", "status"))
    azurite.set_defaults(handler=cmd_azurite)

    rehearsal = commands.add_parser(
        "rotate-rehearsal",
        help="backdate the partner key into its near-expiry window; watch it rotate",
    )
    rehearsal.add_argument("--timeout", type=float, default=120.0, help="seconds to wait")
    rehearsal.set_defaults(handler=cmd_rotate_rehearsal)

    trace = commands.add_parser(
        "trace", help="print a job's trace as a waterfall, from the spans the stack kept"
    )
    trace.add_argument("job_id", help="the job's id (from the Location of POST /api/jobs)")
    trace.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="a waterfall for the terminal (default) or the spans as JSON",
    )
    trace.set_defaults(handler=cmd_trace)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
