"""The structure of an azd hook script, so a POSIX sh hook and its PowerShell twin can be compared.

PowerShell is not installed where the tests run, so the ``.ps1`` hooks cannot be run the way
the ``.sh`` hooks are (tests/infra/test_hook_sequence.py). They are held to their twins by
what both say, read from the code (comments dropped):

- ``env_sets``: the azd environment values written, in the order first written, with the CI
  guard (``GITHUB_ACTIONS``/``TF_BUILD``) as a step of its own;
- ``azd``: the other azd commands and their flags (``azd auth token --output json``);
- ``az``: the Azure CLI commands (words before the first flag);
- ``curl``: curl's flags, with the values that matter (the token on ``--header @-``);
- ``arm``: the Azure Resource Manager paths and API versions, variables normalized;
- ``names``: the setting and variable names in CONST_CASE and ``Name__part`` form;
- ``literals``: tag names, management endpoints, the secret's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CONST = re.compile(r"\b[A-Za-z]+(?:__[A-Za-z]+)+\b|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# Names one shell needs and the other has no counterpart for.
SHELL_ONLY = {"PSScriptRoot", "LASTEXITCODE"}


@dataclass
class Structure:
    env_sets: list[str] = field(default_factory=list)
    azd: set[str] = field(default_factory=set)
    az: set[str] = field(default_factory=set)
    curl: set[str] = field(default_factory=set)
    arm: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)


def code_of(text: str) -> str:
    """The script without its comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _normalize_vars(text: str) -> str:
    text = re.sub(r"\$\(\$env:(\w+)\)", r"$\1", text)
    text = re.sub(r"\$env:(\w+)", r"$\1", text)
    text = re.sub(r"\$\((\$\w+)\)", r"\1", text)
    text = re.sub(r"\$\{(\w+)(?::-[^}]*)?\}", r"$\1", text)
    return re.sub(r"\$(\w+)", lambda m: "$" + m[1].replace("_", "").lower(), text)


def structure(text: str) -> Structure:
    code = code_of(text)
    found = Structure()
    command = r"(?:^\s*|\$\(|=\s*|\|\s*)"  # a command, not a message that names one
    for match in re.finditer(rf"{command}azd env set (\w+)|(GITHUB_ACTIONS)", code, re.M):
        step = match[1] or "<ci guard>"
        if step not in found.env_sets:
            found.env_sets.append(step)
    for match in re.finditer(r"\bazd ((?:auth|config) [^|)\n]*)", code):
        words = re.sub(r"\s*2>\S*", "", match[1]).split()
        found.azd.add(" ".join(words))
    for match in re.finditer(rf"{command}az ((?:[a-z][\w-]* ?)+)", code, re.M):
        found.az.add(match[1].strip())
    for match in re.finditer(r"\bcurl(?:\.exe)? ([^\n]*)", code):
        args = match[1]
        found.curl |= set(re.findall(r"--[\w-]+", args))
        found.curl |= {f"--header {v}" for v in re.findall(r"--header '?(@-)'?", args)}
        found.curl |= {f"--write-out {v}" for v in re.findall(r"--write-out '([^']+)'", args)}
    normalized = _normalize_vars(code)
    found.arm |= set(re.findall(r"/subscriptions/[^\"'\s?]+", normalized))
    found.arm |= {f"api-version={v}" for v in re.findall(r"api-version=([\d-]+)", code)}
    found.names = set(CONST.findall(code)) - SHELL_ONLY
    found.literals |= set(re.findall(r"key-vault-salt|partner-api-key", code))
    found.literals |= set(re.findall(r"https://management[\w.]+", code))
    return found


def differences(sh: str, ps1: str) -> list[str]:
    """How the PowerShell twin departs from the sh hook (empty: the same steps)."""
    left, right = structure(sh), structure(ps1)
    problems = []
    for name in Structure.__dataclass_fields__:
        ours, theirs = getattr(left, name), getattr(right, name)
        if ours != theirs:
            if isinstance(ours, set):
                only_sh, only_ps1 = sorted(ours - theirs), sorted(theirs - ours)
                problems.append(f"{name}: only in .sh {only_sh}, only in .ps1 {only_ps1}")
            else:
                problems.append(f"{name}: .sh {ours}, .ps1 {theirs}")
    return problems
