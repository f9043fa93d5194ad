"""The stack's function host command line: authentication on by default, off on request,
extra blueprints passed through (docs/devstack.md, "Running another app")."""

from __future__ import annotations

from pathlib import Path

from devstack.options import StackOptions, devstack_host_argv


def argv(options: StackOptions) -> list[str]:
    return devstack_host_argv(
        options,
        app_dir=Path("/apps/x"),
        port=7071,
        state_dir=Path("/state"),
        issuer="https://sts.windows.net/t/",
        jwks_url="http://127.0.0.1:7072/.well-known/jwks.json",
    )


def test_authentication_on_by_default_and_off_on_request() -> None:
    on = argv(StackOptions(app_dir=Path("/apps/x"), state_dir=Path("/s")))
    assert on[on.index("--auth-issuer") + 1] == "https://sts.windows.net/t/"
    assert "--auth-jwks-url" in on
    off = argv(StackOptions(app_dir=Path("/apps/x"), state_dir=Path("/s"), auth=False))
    assert not any(arg.startswith("--auth") for arg in off)
    assert off[off.index("--app-dir") + 1] == "/apps/x"


def test_blueprints_are_passed_through() -> None:
    options = StackOptions(app_dir=Path("/a"), state_dir=Path("/s"), blueprints=["m.one", "m.two"])
    args = argv(options)
    assert [args[i + 1] for i, a in enumerate(args) if a == "--blueprint"] == ["m.one", "m.two"]
