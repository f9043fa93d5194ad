"""A stand-in for `az`, `azd` and `curl` on PATH, so the hook scripts run offline.

Each call is appended to ``calls.jsonl`` in the state folder (named by FAKECLI_STATE): the
tool, its arguments and, when the caller hands it a file on standard input
(``--file /dev/stdin``, ``--body @/dev/stdin``, curl's ``--header @-``), what arrived there.
Answers come from ``answers.json``: a list of [tool, words, output], the first for this tool
whose words all appear in the arguments wins (an empty output otherwise); an output starting
with "!" makes the call fail.
``azd env set NAME VALUE`` and ``azd env get-value NAME`` keep a real little environment in
``azd-env.json``, as azd's .env would.

When the state folder holds ``cloud.json`` (tests/infra/azd_world.py writes it), the tools
also play Azure's part for the Key Vault control plane, in the shapes the real services use:

- ``azd auth token --output json`` answers ``{"token": ..., "expiresOn": ...}`` (azd's
  contracts.AuthTokenResult) with the token in ``token.txt``, or fails as a signed-out azd
  does when ``signed-out`` exists;
- ``curl --header @- --output FILE --write-out '%{http_code}' URL`` GETs Azure Resource
  Manager: the vaults of a resource group (404 ResourceGroupNotFound when the group is gone)
  and a secret's metadata (404 when absent), and answers 401 unless the header on standard
  input carries that token;
- ``az keyvault secret set --vault-name V --name N`` and ``az rest --method put`` of
  ``.../vaults/V/secrets/N`` store a secret in the vault.

Usage (by the wrapper scripts the tests write): fakecli.py TOOL ARGS...
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

VAULTS = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/(?P<group>[^/]+)/providers/Microsoft\.KeyVault/vaults"
    r"(?:/(?P<vault>[^/?]+)/secrets/(?P<secret>[^/?]+))?\?api-version=2023-07-01$"
)


def _load(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else {}


def _find_vault(cloud: dict[str, Any], name: str) -> dict[str, Any] | None:
    for group in cloud.get("groups", {}).values():
        if name in group.get("vaults", {}):
            vault: dict[str, Any] = group["vaults"][name]
            return vault
    return None


def _arm_get(state: Path, args: list[str], stdin: str) -> int:
    """curl against the Key Vault control plane of cloud.json."""
    cloud = _load(state / "cloud.json")
    url = args[-1]
    out = Path(args[args.index("--output") + 1])
    token = (state / "token.txt").read_text().strip()
    match = VAULTS.search(url)
    body: dict[str, Any]
    if f"Authorization: Bearer {token}\n" != stdin:
        status, body = 401, {"error": {"code": "AuthenticationFailed"}}
    elif match is None:
        status, body = 400, {"error": {"code": "InvalidRequestUri"}}
    elif match["group"] not in cloud.get("groups", {}):
        status, body = 404, {"error": {"code": "ResourceGroupNotFound"}}
    elif match["vault"] is None:
        vaults = cloud["groups"][match["group"]].get("vaults", {})
        status = 200
        body = {"value": [{"name": n, "tags": v.get("tags", {})} for n, v in vaults.items()]}
    else:
        vault = cloud["groups"][match["group"]].get("vaults", {}).get(match["vault"])
        found = vault is not None and match["secret"] in vault.get("secrets", [])
        status = 200 if found else 404
        body = {"name": match["secret"]} if found else {"error": {"code": "SecretNotFound"}}
    out.write_text(json.dumps(body))
    print(status, end="")
    return 0


def _store_secret(state: Path, vault_name: str, secret: str) -> int:
    cloud = _load(state / "cloud.json")
    vault = _find_vault(cloud, vault_name)
    if vault is None:
        print(f"(VaultNotFound) {vault_name}", file=sys.stderr)
        return 1
    vault.setdefault("secrets", []).append(secret)
    (state / "cloud.json").write_text(json.dumps(cloud))
    return 0


def _cloud(state: Path, tool: str, args: list[str], stdin: str) -> int | None:
    """Azure's part, when cloud.json exists; None when the call is not one of these."""
    if not (state / "cloud.json").exists():
        return None
    if tool == "azd" and args[:2] == ["auth", "token"]:
        if (state / "signed-out").exists():
            print("ERROR: not logged in, run `azd auth login` to login", file=sys.stderr)
            return 1
        token = (state / "token.txt").read_text().strip()
        print(json.dumps({"token": token, "expiresOn": "2099-01-01T00:00:00Z"}))
        return 0
    if tool == "curl":
        return _arm_get(state, args, stdin)
    if tool == "az" and args[:3] == ["keyvault", "secret", "set"]:
        return _store_secret(
            state, args[args.index("--vault-name") + 1], args[args.index("--name") + 1]
        )
    if tool == "az" and args[:3] == ["rest", "--method", "put"]:
        url = args[args.index("--url") + 1]
        match = re.search(r"/vaults/([^/]+)/secrets/([^/?]+)\?", url)
        if match:
            return _store_secret(state, match[1], match[2])
    return None


def main(argv: list[str]) -> int:
    tool, args = argv[1], argv[2:]
    state = Path(os.environ["FAKECLI_STATE"])
    stdin = ""
    if any(a in ("/dev/stdin", "@/dev/stdin", "@-") for a in args):
        stdin = sys.stdin.read()
    with (state / "calls.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps({"tool": tool, "args": args, "stdin": stdin}) + "\n")

    if tool == "azd" and args[:2] == ["env", "set"]:
        env_file = state / "azd-env.json"
        env = json.loads(env_file.read_text()) if env_file.exists() else {}
        env[args[2]] = args[3]
        env_file.write_text(json.dumps(env))
        return 0
    if tool == "azd" and args[:2] == ["env", "get-value"]:
        env_file = state / "azd-env.json"
        env = json.loads(env_file.read_text()) if env_file.exists() else {}
        if args[2] not in env:
            print(f"ERROR: key '{args[2]}' not found in the environment values", file=sys.stderr)
            return 1
        print(env[args[2]])
        return 0
    played = _cloud(state, tool, args, stdin)
    if played is not None:
        return played

    answers_file = state / "answers.json"
    answers = json.loads(answers_file.read_text()) if answers_file.exists() else []
    joined = " ".join(args)
    for answer_tool, words, output in answers:
        if answer_tool == tool and all(word in joined for word in words):
            if output.startswith("!"):
                print(output[1:], file=sys.stderr)
                return 1
            if output:
                print(output)
            return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
