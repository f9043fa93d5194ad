"""The app code never uses a key: no connection string, no account key, no secret credential.

Two checks share the work. ruff's banned-API rule (TID251, configured in pyproject.toml
and run by ``make lint`` over the whole tree) refuses the names a ban can express: the
credential types that hold a secret (``AzureNamedKeyCredential``, ``AzureSasCredential``,
``AzureKeyCredential``, ``ClientSecretCredential``, ``CertificateCredential``,
``UsernamePasswordCredential``), ``generate_account_sas``, and the Storage clients'
``from_connection_string``. This module proves each of those bans fails on a generated
use, and scans the syntax tree of everything that is deployed (``shared/``, ``posture/``,
``blueprints/``, ``function_app.py``) for what a ban by name cannot express. It looks for
*use*, not mention: a docstring or a comment may explain what an account key is, and the
secret-shape detectors may name the ``AccountKey`` keyword they look for, but no code may

* call or name ``from_connection_string`` on any client, or fetch it with ``getattr``
  (a connection string carries a key);
* write a connection string with an ``AccountKey=`` value, or pass ``account_key``
  (keyword or credential-dict key) anywhere;
* generate a SAS with an account key (``generate_*_sas(..., account_key=...)``);
  user-delegation SAS is the identity-based way;
* pass a string, an f-string or a dict literal as ``credential=``;
* put a key-shaped literal (16 or more characters, not a lowercase name such as
  ``partner-api-key``) in a variable, attribute, argument or dict entry named like a
  key, secret, password or token, whatever its first character: detect-secrets' keyword
  detector misses values that begin with ``-`` (tests/security/test_gates.py), this
  scan does not.

Every rule is proven able to fail on a positive generated at run time (the forbidden
names are assembled from pieces so this file holds none of them whole).
"""

from __future__ import annotations

import ast
import base64
import random
import re
import secrets
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = (ROOT / "shared", ROOT / "posture", ROOT / "blueprints", ROOT / "function_app.py")

FROM_CONN = "from_" + "connection_string"
SIGNING_FIELD = "Account" + "Key"
SIGNING_ARG = "account" + "_key"
SAS_GENERATOR = re.compile(r"^generate_\w*_sas$")
#: ``AccountKey=`` followed by a value or a placeholder: a connection string being built.
KEYED_CONNECTION = re.compile(SIGNING_FIELD + r"\s*=\s*(?:[A-Za-z0-9+/]|\{)", re.IGNORECASE)
#: The last word of a name that holds a secret value (``partner_api_key``, ``clientSecret``).
SECRET_NOUNS = frozenset({"key", "apikey", "secret", "password", "passwd", "pwd", "token"})
#: A name, not a value: lowercase words joined by ``-``, ``_`` or ``.`` (``storage-account-key``).
LOWERCASE_NAME = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")
MIN_KEY_LENGTH = 16
KEY_LITERAL = "key-shaped literal"


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}"


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literal_text(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string's holes read as ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "{}"
            for part in node.values
        )
    return None


def _node_rules(node: ast.AST, docstrings: set[int]) -> Iterator[str]:
    name = _name(node)
    if name == FROM_CONN:
        yield FROM_CONN
    if isinstance(node, ast.alias) and node.name.rsplit(".", 1)[-1] == FROM_CONN:
        yield FROM_CONN
    if isinstance(node, ast.Constant) and id(node) not in docstrings:
        text = _literal_text(node)
        if text == FROM_CONN:
            yield FROM_CONN
        if text is not None and KEYED_CONNECTION.search(text):
            yield f"connection string with {SIGNING_FIELD}"
    if isinstance(node, ast.JoinedStr):
        text = _literal_text(node)
        if text is not None and KEYED_CONNECTION.search(text):
            yield f"connection string with {SIGNING_FIELD}"
    if isinstance(node, ast.Dict):
        for key in node.keys:
            if key is not None and _literal_text(key) == SIGNING_ARG:
                yield f"{SIGNING_ARG} in a credential dict"
    if isinstance(node, ast.Call):
        yield from _call_rules(node)
    for holder, value in _named_values(node):
        if _secret_named(holder) and _key_shaped(value):
            yield f"{KEY_LITERAL} in {holder}"


def _named_values(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(name, value) of every assignment, keyword argument and dict entry of ``node``."""
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            name = _name(target)
            if name is not None:
                yield name, node.value
    elif isinstance(node, ast.Call):
        yield from ((k.arg, k.value) for k in node.keywords if k.arg)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            text = None if key is None else _literal_text(key)
            if text is not None:
                yield text, value


def _secret_named(name: str) -> bool:
    """Whether the last word of ``name`` (snake, kebab or camel case) is a secret noun."""
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)
    return bool(words) and words[-1].lower() in SECRET_NOUNS


def _key_shaped(node: ast.AST) -> bool:
    """A literal that could be a key: long, one token, and not a lowercase name."""
    text = _literal_text(node)
    return (
        text is not None
        and len(text) >= MIN_KEY_LENGTH
        and not any(c.isspace() for c in text)
        and not LOWERCASE_NAME.fullmatch(text)
    )


def _call_rules(call: ast.Call) -> Iterator[str]:
    callee = _name(call.func) or ""
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    if SIGNING_ARG in keywords:
        if SAS_GENERATOR.match(callee):
            yield f"SAS signed with an account key ({callee})"
        else:
            yield f"{SIGNING_ARG}= argument"
    credential = keywords.get("credential")
    if credential is not None and (
        _literal_text(credential) is not None or isinstance(credential, ast.Dict)
    ):
        yield "credential built from a literal"


def scan_source(source: str, path: str = "<generated>") -> list[Finding]:
    tree = ast.parse(source, filename=path)
    docstrings = _docstrings(tree)
    findings = {
        Finding(path, getattr(node, "lineno", 0), rule)
        for node in ast.walk(tree)
        for rule in _node_rules(node, docstrings)
    }
    return sorted(findings, key=lambda f: (f.path, f.line, f.rule))


def app_files() -> list[Path]:
    files: list[Path] = []
    for root in APP_CODE:
        files.extend([root] if root.is_file() else sorted(root.rglob("*.py")))
    return [path for path in files if "__pycache__" not in path.parts]


def test_app_code_uses_no_key() -> None:
    files = app_files()
    assert len(files) >= 10, "the scan found too little app code to be meaningful"
    findings = [
        finding
        for path in files
        for finding in scan_source(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert findings == [], "\n".join(map(str, findings))


POSITIVES = {
    "connection string client": (
        f"from azure.storage.blob import BlobServiceClient\n"
        f"client = BlobServiceClient.{FROM_CONN}(setting)\n",
        FROM_CONN,
    ),
    "connection string by name": (f"factory = getattr(Client, {FROM_CONN!r})\n", FROM_CONN),
    "imported factory": (f"from some.module import {FROM_CONN}\n", FROM_CONN),
    "keyed connection string": (
        f'conn = "DefaultEndpointsProtocol=https;AccountName=a;{SIGNING_FIELD}=Zm9vYmFy"\n',
        SIGNING_FIELD,
    ),
    "keyed connection f-string": (
        f'conn = f"AccountName={{name}};{SIGNING_FIELD}={{key}}"\n',
        SIGNING_FIELD,
    ),
    "account key argument": (
        f"client = QueueServiceClient(url, {SIGNING_ARG}=key)\n",
        f"{SIGNING_ARG}=",
    ),
    "credential dict": (
        f'client = BlobServiceClient(url, credential={{"account_name": n, "{SIGNING_ARG}": k}})\n',
        "credential",
    ),
    "blob SAS with key": (
        f"token = generate_blob_sas(account, container, blob, {SIGNING_ARG}=key)\n",
        "SAS signed with an account key",
    ),
    "container SAS with key": (
        f"token = sas.generate_container_sas(a, c, {SIGNING_ARG}=key, permission=p)\n",
        "SAS signed with an account key",
    ),
    "credential from string": (
        'client = SecretClient(url, credential="not-a-credential")\n',
        "credential built from a literal",
    ),
    "credential from f-string": (
        'client = BlobServiceClient(url, credential=f"?sv={version}&sig={sig}")\n',
        "credential built from a literal",
    ),
    "key in a variable": (f'partner_api_key = "{secrets.token_urlsafe(24)}"\n', KEY_LITERAL),
    "dash-led key": (f'PARTNER_API_KEY = "-{secrets.token_urlsafe(24)}"\n', KEY_LITERAL),
    "key in an argument": (f'connect(url, api_key="{secrets.token_urlsafe(24)}")\n', KEY_LITERAL),
    "key in a dict": (f'headers = {{"x-api-key": "-{secrets.token_urlsafe(16)}"}}\n', KEY_LITERAL),
    "secret in an attribute": (
        f'self.clientSecret = "{secrets.token_urlsafe(30)}"\n',
        KEY_LITERAL,
    ),
}


@pytest.mark.parametrize("case", sorted(POSITIVES))
def test_scanner_flags_generated_positive(case: str) -> None:
    source, rule = POSITIVES[case]
    findings = scan_source(source)
    assert any(rule in finding.rule for finding in findings), (case, findings)


def test_scanner_flags_a_positive_planted_in_an_app_tree(tmp_path: Path) -> None:
    """The file walk reaches nested modules, as the scan of the real tree relies on."""
    nested = tmp_path / "shared" / "deep"
    nested.mkdir(parents=True)
    planted = nested / "client.py"
    planted.write_text(POSITIVES["connection string client"][0])
    findings = scan_source(planted.read_text(), str(planted))
    assert [f.line for f in findings if f.rule == FROM_CONN] == [2]


def test_mentions_and_identity_based_code_are_not_findings() -> None:
    source = (
        f'"""Never use {FROM_CONN} or an {SIGNING_FIELD}= connection string."""\n'
        "from azure.identity import DefaultAzureCredential\n"
        "from azure.storage.blob import BlobServiceClient, generate_blob_sas\n"
        f"# {FROM_CONN} is forbidden here\n"
        f'KEYWORD = "{SIGNING_FIELD}"\n'
        f'PREFILTER = "{SIGNING_FIELD.lower()}="\n'
        f'MESSAGE = "a setting holds {SIGNING_FIELD}=..."\n'
        "credential = DefaultAzureCredential()\n"
        "client = BlobServiceClient(url, credential=credential)\n"
        "sas = generate_blob_sas(a, c, b, user_delegation_key=key, permission=p)\n"
        f'KIND_STORAGE_{SIGNING_ARG.upper()} = "storage-account-key"\n'
        'PARTNER_API_KEY_HEADER = "X-Api-Key"\n'
        'partner_api_key = get_secret("partner-api-key")\n'
        'token = "Bearer " + value\n'
    )
    assert scan_source(source) == []


def _token_urlsafe(rng: random.Random, nbytes: int = 24) -> str:
    """What ``secrets.token_urlsafe`` draws, from a seeded generator (a repeatable test)."""
    return base64.urlsafe_b64encode(rng.randbytes(nbytes)).decode().rstrip("=")


def test_a_thousand_generated_keys_are_caught_in_a_row_whatever_their_first_character() -> None:
    rng = random.Random(1000)
    values = [_token_urlsafe(rng) for _ in range(1000)]
    assert sum(v.startswith("-") for v in values) >= 5, "the draw must include dash-led keys"
    source = "".join(f'partner_api_key = "{value}"\n' for value in values)
    caught = {f.line for f in scan_source(source) if f.rule.startswith(KEY_LITERAL)}
    assert caught == set(range(1, 1001))


# -- the bans ruff enforces (TID251) ---------------------------------------------------------


def _banned_api() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    banned: dict[str, object] = config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"]
    return banned


def _use_of(qualified: str) -> str:
    """Source that uses ``qualified`` the way app code would: a class method on an imported
    class, or an imported class or function."""
    module, _, name = qualified.rpartition(".")
    owner_module, _, owner = module.rpartition(".")
    if name[0].islower() and owner[:1].isupper():  # Client.method
        return f"from {owner_module} import {owner}\nclient = {owner}.{name}(setting)\n"
    return f"from {module} import {name}\nvalue = {name}(a, b)\n"


def test_ruff_bans_the_secret_credentials_account_sas_and_connection_strings() -> None:
    banned = _banned_api()
    expected = {
        "Azure" + "Named" + "KeyCredential",
        "Azure" + "Sas" + "Credential",
        "Azure" + "Key" + "Credential",
        "Client" + "Secret" + "Credential",
        "Certificate" + "Credential",
        "Username" + "Password" + "Credential",
        "generate_" + "account_sas",
        FROM_CONN,
    }
    assert expected <= {name.rsplit(".", 1)[-1] for name in banned}


@pytest.mark.parametrize("qualified", sorted(_banned_api()))
def test_each_ruff_ban_fails_on_a_generated_use(qualified: str, tmp_path: Path) -> None:
    planted = tmp_path / "app_module.py"
    planted.write_text(_use_of(qualified))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ruff"),
            "check",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--select",
            "TID251",
            "--output-format",
            "concise",
            "--no-cache",
            str(planted),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"`{qualified}` is banned" in result.stdout
