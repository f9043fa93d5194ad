"""Fake ``az`` and ``azd`` first on PATH for the deployment hooks' tests: each call is recorded
and answered from a script (tests/infra/fakecli.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FAKECLI = ROOT / "tests" / "infra" / "fakecli.py"


class Tools:
    """A folder with fake `az`/`azd` first on PATH, and what they recorded."""

    def __init__(self, tmp_path: Path, answers: list[list[Any]], azd_env: dict[str, str]):
        self.state = tmp_path / "state"
        self.bin = tmp_path / "bin"
        self.state.mkdir(parents=True)
        self.bin.mkdir(parents=True)
        (self.state / "answers.json").write_text(json.dumps(answers))
        (self.state / "azd-env.json").write_text(json.dumps(azd_env))
        for tool in ("az", "azd"):
            wrapper = self.bin / tool
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKECLI}" {tool} "$@"\n')
            wrapper.chmod(0o755)

    def run(
        self, script: Path, env: dict[str, str], *args: str, stdin: str = "", cwd: Path = ROOT
    ) -> subprocess.CompletedProcess[str]:
        full = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "FAKECLI_STATE": str(self.state),
            "HOME": str(self.state),
            **env,
        }
        return subprocess.run(
            ["sh", str(script), *args],
            env=full,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=cwd,
            check=False,
        )

    def calls(self) -> list[dict[str, Any]]:
        path = self.state / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def azd_env(self) -> dict[str, str]:
        env: dict[str, str] = json.loads((self.state / "azd-env.json").read_text())
        return env


def rest_calls(tools: Tools, method: str) -> list[tuple[str, dict[str, Any]]]:
    """(url, parsed body) of each `az rest --method <method>` call."""
    found = []
    for call in tools.calls():
        args = call["args"]
        if call["tool"] == "az" and args[:1] == ["rest"] and method in args:
            url = args[args.index("--url") + 1]
            body = json.loads(args[args.index("--body") + 1]) if "--body" in args else {}
            found.append((url, body))
    return found
