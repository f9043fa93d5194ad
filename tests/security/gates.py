"""The scanners ``make lint`` runs, defined once so the tests run them exactly the same way.

``python -m tests.security.gates bandit|secrets`` is what the Makefile calls; the tests
call :func:`bandit_command` and :func:`secrets_command` with a generated positive to
prove the very same invocation can fail.

* bandit reads ``[tool.bandit]`` from pyproject.toml and fails on any finding of
  medium or higher severity in the code that runs in Azure or on the devstack.
* detect-secrets scans every tracked file, offline (``--no-verify``), with no baseline:
  a finding is fixed, never recorded as accepted. The only values it is told to ignore
  are names that look like keywords to it: the Key Vault secret's *name*, the header
  the partner key travels in, short lowercase words (``secrets: `get``` in a table), and
  the address of a secret without its version (a recorded ``secretUri``: where a secret
  lives, not what it holds). No key, token or signature is either.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support.unmeasured import unmeasured_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

#: Code bandit scans: what is deployed, the devstack that runs it locally, and the smoke
#: check that runs against every deployment.
BANDIT_PATHS = ("shared", "posture", "blueprints", "function_app.py", "devstack", "smoke")
BANDIT_SEVERITY = "medium"

#: Values detect-secrets may flag that are not secrets (see the module docstring).
NOT_SECRETS = (
    r"^(partner-api-key|X-Api-Key|[a-z]{1,8}"
    r"|https://[a-z0-9-]{3,24}\.vault\.azure\.net/secrets/[a-z0-9-]{1,127})$"
)


def bandit_command(paths: Sequence[str | Path] = BANDIT_PATHS) -> list[str]:
    return [
        str(BIN / "bandit"),
        "--configfile",
        str(ROOT / "pyproject.toml"),
        "--severity-level",
        BANDIT_SEVERITY,
        "--confidence-level",
        "low",
        "--quiet",
        "--recursive",
        *(str(path) for path in paths),
    ]


def secrets_command(files: Sequence[str | Path]) -> list[str]:
    return [
        str(BIN / "detect-secrets-hook"),
        "--no-verify",
        "--exclude-secrets",
        NOT_SECRETS,
        *(str(path) for path in files),
    ]


def tracked_files() -> list[str]:
    """Every file git tracks that exists in the work tree (a deletion may be unstaged)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a scanner over the tree; make test's coverage does not trace it (it measures
    nothing of ours and would slow it many times over)."""
    return subprocess.run(
        command, cwd=ROOT, env=unmeasured_env(), capture_output=True, text=True, check=False
    )


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["bandit"]:
        command = bandit_command()
    elif list(argv) == ["secrets"]:
        command = secrets_command(tracked_files())
    else:
        print("usage: python -m tests.security.gates bandit|secrets", file=sys.stderr)
        return 2
    result = run(command)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
