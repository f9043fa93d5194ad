"""A stand-in for `az` and `azd` on PATH, so the hook scripts run offline.

Each call is appended to ``calls.jsonl`` in the state folder (named by FAKECLI_STATE): the
tool, its arguments and, when the caller hands it a file on standard input
(``--file /dev/stdin``, ``--body @/dev/stdin``), what arrived there. Answers come from
``answers.json``: a list of [tool, words, output], the first for this tool whose words all
appear in the arguments wins (an empty output otherwise); an output starting with "!" makes
the call fail.
``azd env set NAME VALUE`` and ``azd env get-value NAME`` keep a real little environment in
``azd-env.json``, as azd's .env would.

Usage (by the wrapper scripts tests/infra/test_hooks.py writes): fakecli.py TOOL ARGS...
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    tool, args = argv[1], argv[2:]
    state = Path(os.environ["FAKECLI_STATE"])
    stdin = ""
    if any(a in ("/dev/stdin", "@/dev/stdin") for a in args):
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
