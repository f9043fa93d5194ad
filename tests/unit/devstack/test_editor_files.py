"""The editor files parse and name commands, targets, options and ports that exist.

No editor and no Docker engine run here, so what can drift is held instead: every
``make`` target a task or the dev container runs is a Makefile target, every option it
passes is one ``python -m devstack up`` accepts, the debugger port the launch
configurations attach to is the one ``--debug-host`` opens, the task's "ready" pattern
matches the stack's banner, and the container's Python, Node.js and ports are the
project's. Formats: code.visualstudio.com/docs/editor/debugging (launch.json),
code.visualstudio.com/docs/editor/tasks (tasks.json, background problem matchers),
containers.dev/implementors/json_reference (devcontainer.json); the dev container image
``mcr.microsoft.com/devcontainers/python`` is built ``FROM python:<variant>``
(github.com/devcontainers/images, src/python/.devcontainer/Dockerfile), which puts
``python3.11`` on PATH as the Makefile's ``PYTHON`` expects; its ``postCreateCommand`` is
an object of named commands (containers.dev, "Lifecycle scripts").
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack.__main__ import DEFAULT_DEBUG_PORT, build_parser
from devstack.banner import banner
from devstack.ports import DEFAULT_PORTS
from devstack.runner import ROOT
from tests.support.browser import INSTALL_HINT


def load(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / path).read_text())
    return document


def make_target_exists(target: str) -> bool:
    """``make -n`` plans the target without running it: it fails for an unknown one."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode == 0


def make_command(command: str) -> tuple[str, list[str]]:
    """``make run ARGS="--debug-host"`` -> ("run", ["--debug-host"])."""
    words = shlex.split(command)
    assert words[0] == "make", command
    target = next(w for w in words[1:] if "=" not in w)
    args = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("ARGS=")), "")
    return target, shlex.split(args)


def test_every_launch_configuration_attaches_where_the_host_listens() -> None:
    launch = load(".vscode/launch.json")
    tasks = {task["label"]: task for task in load(".vscode/tasks.json")["tasks"]}
    attaches = [c for c in launch["configurations"] if c["request"] == "attach"]
    assert attaches
    for config in launch["configurations"]:
        assert config["type"] == "debugpy"
        if "preLaunchTask" in config:
            assert config["preLaunchTask"] in tasks
    for config in attaches:
        assert config["connect"] == {"host": "127.0.0.1", "port": DEFAULT_DEBUG_PORT}
    (debug_task,) = [tasks[c["preLaunchTask"]] for c in attaches if "preLaunchTask" in c]
    target, args = make_command(debug_task["command"])
    assert target == "run"
    options = build_parser().parse_args(["up", *args])
    assert options.debug_host == DEFAULT_DEBUG_PORT


def test_every_task_runs_a_make_target_with_options_the_stack_accepts() -> None:
    for task in load(".vscode/tasks.json")["tasks"]:
        target, args = make_command(task["command"])
        assert make_target_exists(target), target
        if target == "run":
            build_parser().parse_args(["up", *args])  # exits on an unknown option


def test_the_debug_task_is_ready_when_the_banner_says_so() -> None:
    """The attach waits for the background task's ``endsPattern``: the banner's first line."""
    (task,) = [
        t
        for t in load(".vscode/tasks.json")["tasks"]
        if t.get("isBackground") and "problemMatcher" in t and isinstance(t["problemMatcher"], dict)
    ]
    background = task["problemMatcher"]["background"]
    endpoints = {
        key: f"<{key}>"
        for key in (
            "api",
            "blob",
            "queue",
            "vault",
            "partner",
            "identity",
            "control",
            "ca_bundle",
            "host",
        )
    }
    lines = banner(endpoints, Path(".devstack"), 4.2).splitlines()
    assert [line for line in lines if re.search(background["endsPattern"], line)] == [lines[1]]
    assert re.search(background["beginsPattern"], "setup: installing requirements-dev.txt")
    assert re.search(background["beginsPattern"], "[stack] identity endpoint, vault and ...")


def test_the_launch_configuration_for_tests_names_what_exists() -> None:
    (config,) = [c for c in load(".vscode/launch.json")["configurations"] if "module" in c]
    assert config["module"] == "pytest"
    assert config["python"] == "${workspaceFolder}/.venv/bin/python"


def test_the_dev_container_is_the_projects_python_node_and_ports() -> None:
    container = load(".devcontainer/devcontainer.json")
    makefile = (ROOT / "Makefile").read_text()
    python = re.search(r"^PYTHON_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert python is not None
    image = re.fullmatch(
        r"mcr\.microsoft\.com/devcontainers/python:1-(\d+\.\d+)-\w+", container["image"]
    )
    assert image is not None
    assert image[1] == python[1]
    node = container["features"]["ghcr.io/devcontainers/features/node:1"]["version"]
    engines = load("package.json")["engines"]["node"]
    assert engines == f">={node}"
    created = container["postCreateCommand"]
    target, _ = make_command(created["setup"])
    assert make_target_exists(target)
    # The page tests render in Debian's chromium (tests/support/browser.py), a system package.
    assert "apt-get install" in created["chromium"]
    assert created["chromium"].split()[-1] == INSTALL_HINT.split()[-1]
    assert container["forwardPorts"] == list(DEFAULT_PORTS.values())
    assert set(container["portsAttributes"]) == {str(p) for p in DEFAULT_PORTS.values()}
    recommended = load(".vscode/extensions.json")["recommendations"]
    assert container["customizations"]["vscode"]["extensions"] == recommended


@pytest.mark.parametrize("path", [".vscode/settings.json", ".vscode/extensions.json"])
def test_the_other_editor_files_parse(path: str) -> None:
    assert load(path)
