"""The app code never uses a key: no connection string, no account key, no secret credential.

A syntax-tree scan of everything that is deployed (``shared/``, ``posture/``,
``blueprints/``, ``function_app.py``). It looks for *use*, not mention: a docstring or a comment may
explain what an account key is, and the secret-shape detectors may name the
``AccountKey`` keyword they look for, but no code may

* call or name ``from_connection_string`` (a connection string carries a key);
* write a connection string with an ``AccountKey=`` value, or pass ``account_key``
  (keyword or credential-dict key) anywhere;
* generate a SAS with an account key (``generate_*_sas(..., account_key=...)``,
  ``generate_account_sas``); user-delegation SAS is the identity-based way;
* name a credential type that holds a secret (``AzureNamedKeyCredential``,
  ``AzureSasCredential``, ``AzureKeyCredential``, ``ClientSecretCredential``,
  ``UsernamePasswordCredential``, ``CertificateCredential``), or pass a string, an
  f-string or a dict literal as ``credential=``.

Every rule is proven able to fail on a positive generated at run time (the forbidden
names are assembled from pieces so this file holds none of them whole).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = (ROOT / "shared", ROOT / "posture", ROOT / "blueprints", ROOT / "function_app.py")

FROM_CONN = "from_" + "connection_string"
SIGNING_FIELD = "Account" + "Key"
SIGNING_ARG = "account" + "_key"
SECRET_CREDENTIALS = frozenset(
    {
        "AzureNamed" + "KeyCredential",
        "AzureSas" + "Credential",
        "AzureKey" + "Credential",
        "ClientSecret" + "Credential",
        "UsernamePassword" + "Credential",
        "Certificate" + "Credential",
    }
)
SAS_GENERATOR = re.compile(r"^generate_\w*_sas$")
ACCOUNT_SAS = "generate_" + "account_sas"
#: ``AccountKey=`` followed by a value or a placeholder: a connection string being built.
KEYED_CONNECTION = re.compile(SIGNING_FIELD + r"\s*=\s*(?:[A-Za-z0-9+/]|\{)", re.IGNORECASE)


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
    if name in SECRET_CREDENTIALS:
        yield f"secret credential {name}"
    if isinstance(node, ast.alias):
        imported = node.name.rsplit(".", 1)[-1]
        if imported == FROM_CONN:
            yield FROM_CONN
        if imported in SECRET_CREDENTIALS:
            yield f"secret credential {imported}"
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


def _call_rules(call: ast.Call) -> Iterator[str]:
    callee = _name(call.func) or ""
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    if SIGNING_ARG in keywords:
        if SAS_GENERATOR.match(callee):
            yield f"SAS signed with an account key ({callee})"
        else:
            yield f"{SIGNING_ARG}= argument"
    if callee == ACCOUNT_SAS:
        yield f"SAS signed with an account key ({callee})"
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
    "account SAS": (
        f"token = {ACCOUNT_SAS}(account, key, types, permission)\n",
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
    **{
        f"{name} constructed": (
            f"from azure.core.credentials import {name}\ncredential = {name}(a, b)\n",
            f"secret credential {name}",
        )
        for name in sorted(SECRET_CREDENTIALS)
    },
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
    )
    assert scan_source(source) == []
