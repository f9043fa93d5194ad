"""What a GitHub Actions workflow of this project may do, checked on the parsed YAML and its text.

- **Pins**: every action is pinned to a full 40-hex commit SHA, with a comment naming the
  release: "Pinning an action to a full length commit SHA is currently the only way to use an
  action as an immutable release"
  (https://docs.github.com/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions).
- **The deployment identity's jobs run nothing third-party.** A job that may request an OIDC
  token (``id-token: write``) can sign in as whatever identity trusts its subject; when that is
  the deployment identity (``vars.AZURE_CLIENT_ID``, or a login this check cannot name), every
  step must be one of a short list of first-party actions, and every command azd or a shell
  builtin: a package install, a test run or the project's Python would run code from a
  registry with the deployment's rights. A job signing in as another identity must run in
  another GitHub environment, since the OIDC subject names the environment
  (``repo:<owner>/<repo>:environment:<name>``,
  https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims):
  in the same one, its code could sign in as the deployment identity too.
- **No token after a long step on an assertion-bound login.** ``azure/login`` hands the Azure
  CLI one GitHub assertion, valid for minutes, which the CLI cannot renew (Azure/azure-cli#28708:
  "Azure CLI cannot get a new OIDC token after the OIDC token expires"); an ``az`` command,
  or azd borrowing the CLI's login (``auth.useAzCliAuth``), after a provision, a deploy, a
  test run or a wait may need a new token and fail. azd's own federated login asks GitHub
  for a new assertion for every token (cli/azd/pkg/auth/manager.go,
  newCredentialFromFederatedTokenProvider), so it is not bound.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

DEPLOYMENT_IDENTITY = "vars.AZURE_CLIENT_ID"
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
FIRST_PARTY = {"actions/checkout", "azure/setup-azd"}
SAFE_COMMANDS = {"azd", "echo", "printf", "test", "[", "exit", "true"}
LONG = re.compile(r"^(azd (provision|deploy|up|package)|make|pip|npm|npx|python\d*|sleep)\b")


@dataclass(frozen=True)
class Step:
    index: int
    uses: str
    commands: list[str]  # each simple command, variables left unexpanded


def commands_of(script: str) -> list[str]:
    """The simple commands of a shell script: split on newlines, ;, &&, ||, | and $( )."""
    script = script.replace("\\\n", " ")
    pieces = re.split(r"\n|;|&&|\|\||\||\$\(|`|\)", script)
    found = []
    for piece in pieces:
        words = piece.strip().split()
        while words and re.match(r"^\w+=", words[0]):
            words = words[1:]  # an assignment before the command
        if words and words[0][0] in "\"'><":
            continue  # the rest of a quoted argument or a redirection around a $( )
        if words and words[0] not in {"then", "else", "fi", "do", "done", "if", "{", "}"}:
            found.append(" ".join(words))
        elif len(words) > 1 and words[0] == "if":
            found.append(" ".join(words[1:]))
    return found


def steps_of(job: dict[str, Any]) -> list[Step]:
    return [
        Step(i, str(s.get("uses", "")), commands_of(str(s.get("run", ""))))
        for i, s in enumerate(job.get("steps") or [])
    ]


def _env_value(job: dict[str, Any], word: str) -> str:
    """``"$AZURE_CLIENT_ID"`` resolved through the job's env; ``${{ x }}`` reduced to ``x``."""
    word = word.strip("'\"")
    match = re.fullmatch(r"\$\{?(\w+)\}?", word)
    if match:
        word = str((job.get("env") or {}).get(match[1], word))
    expression = re.fullmatch(r"\$\{\{\s*(.*?)\s*\}\}", word)
    return expression[1] if expression else word


def login(job: dict[str, Any]) -> tuple[str, str] | None:
    """(how, identity) of the job's Azure login: how is 'azure/login' or 'azd'."""
    for step in steps_of(job):
        if step.uses.lower().startswith("azure/login@"):
            raw = (job.get("steps") or [])[step.index].get("with", {}).get("client-id", "")
            return "azure/login", _env_value(job, str(raw))
        for command in step.commands:
            words = shlex.split(command) if command.count('"') % 2 == 0 else command.split()
            if words[:3] == ["azd", "auth", "login"] and "--client-id" in words:
                return "azd", _env_value(job, words[words.index("--client-id") + 1])
    return None


def can_sign_in(job: dict[str, Any]) -> bool:
    return (job.get("permissions") or {}).get("id-token") == "write"


def pin_findings(path: str, text: str) -> list[str]:
    """Actions not pinned to a commit, or pinned without the release named."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$", line)
        if not match or match[1].startswith(("./", "docker://")):
            continue
        if not SHA_PIN.match(match[1]):
            found.append(f"{path}:{number}: {match[1]} is not pinned to a commit SHA")
        elif not re.match(r"#\s*v\d+(\.\d+)*$", match[2] or ""):
            found.append(f"{path}:{number}: {match[1]} does not name its release (# vX.Y.Z)")
    return found


def third_party_findings(path: str, workflow: dict[str, Any]) -> list[str]:
    """Third-party code in a job that can sign in as the deployment identity, and other
    identities signing in from the deployment's environment."""
    found = []
    jobs: dict[str, Any] = workflow.get("jobs") or {}
    deploying = {}
    for name, job in jobs.items():
        who = login(job)
        if can_sign_in(job) and (who is None or who[1] == DEPLOYMENT_IDENTITY):
            deploying[name] = job
    for name, job in deploying.items():
        for step in steps_of(job):
            action = step.uses.split("@")[0].lower()
            if step.uses and action not in FIRST_PARTY | {"azure/login"}:
                found.append(f"{path}: {name}: step {step.index} uses {step.uses} in a job that "
                             "signs in as the deployment identity")  # fmt: skip
            for command in step.commands:
                if command.split()[0] not in SAFE_COMMANDS:
                    found.append(f"{path}: {name}: step {step.index} runs '{command}' in a job "
                                 "that signs in as the deployment identity")  # fmt: skip
    environments = {str(job.get("environment")) for job in deploying.values()}
    for name, job in jobs.items():
        if name in deploying or not can_sign_in(job):
            continue
        if str(job.get("environment")) in environments:
            found.append(f"{path}: {name}: may request an OIDC token in the deployment's "
                         f"environment {job.get('environment')}, so its code could sign in "
                         "as the deployment identity")  # fmt: skip
    return found


def token_findings(path: str, workflow: dict[str, Any]) -> list[str]:
    """A token asked of an assertion-bound login after a step that may outlast the assertion."""
    found = []
    for name, job in (workflow.get("jobs") or {}).items():
        who = login(job)
        borrowed = any("auth.useAzCliAuth true" in c for s in steps_of(job) for c in s.commands)
        if who is None or (who[0] == "azd" and not borrowed):
            continue
        long_step: int | None = None
        for step in steps_of(job):
            for command in step.commands:
                needs_token = command.startswith("az ") or (borrowed and command.startswith("azd "))
                if long_step is not None and needs_token and "auth.useAzCliAuth" not in command:
                    found.append(f"{path}: {name}: step {step.index} '{command}' asks the Azure "
                                 f"CLI's login for a token after step {long_step}, which may "
                                 "outlast the assertion azure/login handed it")  # fmt: skip
                if long_step is None and (LONG.match(command) or "--wait" in command):
                    long_step = step.index
    return found


def findings(path: str, text: str, workflow: dict[str, Any]) -> list[str]:
    return [
        *pin_findings(path, text),
        *third_party_findings(path, workflow),
        *token_findings(path, workflow),
    ]
