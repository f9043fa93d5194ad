"""Secret-based authentication in Python code, found on the syntax tree.

What is reported, each on the line where it happens (one finding per line: the most severe):

* clients built with ``from_connection_string`` (any SDK class), or constructed with an
  argument named like a connection string (``MongoClient(settings.COSMOS_CONNECTION_STRING)``);
* credentials that carry a secret: ``ClientSecretCredential``, ``UsernamePasswordCredential``,
  ``CertificateCredential``, ``ServicePrincipalCredentials`` (azure.common), ADAL's and MSAL's
  client-credential calls;
* clients given a key: ``AzureNamedKeyCredential``/``AzureKeyCredential``/``AzureSasCredential``,
  ``account_key=``, a ``credential=`` that holds a setting's value, the legacy Storage SDKs'
  ``BlockBlobService(account, key)``, ``generate_*_sas(account_key=...)``, ``api_key=``;
* keys in requests: ``Ocp-Apim-Subscription-Key``, ``x-functions-key``, ``api-key`` headers;
  ``code=``/``subscription-key=`` query parameters;
* an account key taken out of a connection string (``"AccountKey"``) or written into one;
* secret-shaped literals (shared/redaction/shapes.py) and key-like literals assigned to names
  that say they hold a secret;
* reads of settings that hold a secret: by name (``CLIENT_SECRET``, ``...ConnectionString``)
  or because the value flows into one of the above.
"""

from __future__ import annotations

import ast
from typing import Final

from migrate.model import Finding, Severity
from migrate.scan import pyliterals
from migrate.scan.codefindings import LineFindings, arg_name, last, mark
from migrate.scan.pyfacts import EnvRead, ModuleFacts
from migrate.scan.settings import identity_prefix
from migrate.services import LEGACY_STORAGE, is_secret_name, service_of_class, service_of_name

SECRET_CREDENTIALS: Final = frozenset(
    {
        "ClientSecretCredential",
        "UsernamePasswordCredential",
        "CertificateCredential",
        "ClientCertificateCredential",
        "ServicePrincipalCredentials",
        "UserPassCredentials",
        "ConfidentialClientApplication",
    }
)
SECRET_FLOWS: Final = frozenset(
    {
        "acquire_token_with_client_credentials",
        "acquire_token_with_username_password",
        "acquire_token_with_client_certificate",
    }
)
KEY_CREDENTIALS: Final = frozenset(
    {"AzureNamedKeyCredential", "AzureKeyCredential", "AzureSasCredential"}
)
_HOST_STORAGE = frozenset(
    {"AzureWebJobsStorage", "AzureWebJobsDashboard", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"}
)


def _is_conn_name(name: str | None) -> bool:
    lowered = (name or "").lower().replace("_", "")
    return "connectionstring" in lowered or lowered.startswith("connstr") or lowered == "connstr"


def scan_module(tree: ast.Module, facts: ModuleFacts, file: str) -> list[Finding]:
    out = LineFindings(file)
    for node in facts.nodes:
        if isinstance(node, ast.Call):
            _call(node, facts, out)
        elif isinstance(node, ast.Dict):
            pyliterals.headers(node, facts, out)
        elif isinstance(node, ast.Assign):
            pyliterals.assignment(node, facts, out)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            pyliterals.literal(node, facts, out)
        elif isinstance(node, ast.JoinedStr):
            pyliterals.fstring(node, out)
    for read in facts.reads.values():
        _env_read(read, out)
    return sorted(out.by_line.values(), key=lambda f: f.line)


#: Which argument carries the secret: (position, keywords) per callee.
_SECRET_ARGS: Final = {
    "from_connection_string": (0, ("conn_str", "connection_string", "connstr")),
    "ClientSecretCredential": (2, ("client_secret",)),
    "UsernamePasswordCredential": (3, ("password",)),
    "CertificateCredential": (2, ("certificate_path", "password", "certificate_data")),
    "ClientCertificateCredential": (2, ("certificate_path", "password")),
    "ServicePrincipalCredentials": (1, ("secret",)),
    "UserPassCredentials": (1, ("password",)),
    "ConfidentialClientApplication": (99, ("client_credential",)),
    "acquire_token_with_client_credentials": (2, ("client_secret",)),
    "acquire_token_with_username_password": (2, ("password",)),
    "acquire_token_with_client_certificate": (2, ("certificate",)),
    "legacy": (1, ("account_key", "sas_token")),
}


def _secret_reads(node: ast.Call, name: str, facts: ModuleFacts) -> list[EnvRead]:
    """Reads that flow into the argument that carries the secret (not the account name or
    the client id passed beside it)."""
    position, keywords = _SECRET_ARGS.get(name, (-1, ()))
    carried: list[ast.expr] = [kw.value for kw in node.keywords if kw.arg in keywords]
    if 0 <= position < len(node.args):
        carried.append(node.args[position])
    return [read for arg in carried for read in facts.reads_in(arg)]


def _call(node: ast.Call, facts: ModuleFacts, out: LineFindings) -> None:
    callee = facts.qualified(node.func)
    name = last(callee) or (node.func.attr if isinstance(node.func, ast.Attribute) else "")
    passed = _secret_reads(node, name, facts)
    if name == "from_connection_string" and isinstance(node.func, ast.Attribute):
        cls = last(facts.qualified(node.func.value))
        service = service_of_class(cls) or service_of_name(cls, "unknown")
        mark(passed, service)
        severity = Severity.LOW if service == "appinsights" else None
        out.add(
            "MIG-CODE-CONNSTR",
            node.lineno,
            service,
            f"{cls or 'client'}.from_connection_string: the connection string carries a key",
            severity=severity,
        )
        return
    if name in SECRET_CREDENTIALS:
        if name == "ConfidentialClientApplication" and not _has_kw(node, "client_credential"):
            return
        mark(passed, "entra")
        out.add("MIG-CODE-SECRETCRED", node.lineno, "entra", f"{name} authenticates with a secret")
        return
    if name in SECRET_FLOWS:
        mark(passed, "entra")
        out.add(
            "MIG-CODE-SECRETCRED",
            node.lineno,
            "entra",
            f"{name}: the client-credentials flow with a secret",
        )
        return
    if name in KEY_CREDENTIALS:
        service = _enclosing_service(facts.reads_in(node)) or "unknown"
        out.add("MIG-CODE-KEYCRED", node.lineno, service, f"{name}: a key or SAS as the credential")
        return
    if name.startswith("generate_") and name.endswith("_sas") and _has_kw(node, "account_key"):
        service = "storage-" + name.split("_")[1] if name.count("_") >= 2 else "storage"
        mark(
            [
                r
                for kw in node.keywords
                if kw.arg == "account_key"
                for r in facts.reads_in(kw.value)
            ],
            service,
        )
        out.add("MIG-CODE-KEYCRED", node.lineno, service, f"{name} signed with the account key")
        return
    client_service = service_of_class(name)
    if client_service is not None:
        legacy = _secret_reads(node, "legacy", facts) if name in LEGACY_STORAGE else []
        _client(node, name, client_service, facts, legacy, out)
    elif name in {"post", "get", "put", "patch", "delete", "request", "head"}:
        _query_params(node, facts, out)


def _has_kw(node: ast.Call, name: str) -> bool:
    return any(kw.arg == name for kw in node.keywords)


def _enclosing_service(reads: list[EnvRead]) -> str | None:
    for read in reads:
        return service_of_name(read.name, "unknown")
    return None


def _client(
    node: ast.Call,
    name: str,
    service: str,
    facts: ModuleFacts,
    passed: list[EnvRead],
    out: LineFindings,
) -> None:
    keyed = name in LEGACY_STORAGE and (
        len(node.args) >= 2 or _has_kw(node, "account_key") or _has_kw(node, "sas_token")
    )
    for kw in node.keywords:
        if kw.arg in {"account_key", "api_key", "sas_token"} or (
            kw.arg == "credential" and _holds_secret(kw.value, facts)
        ):
            keyed = True
            passed = passed + facts.reads_in(kw.value)
    if keyed:
        mark(passed, service)
        legacy = " (legacy Storage SDK)" if name in LEGACY_STORAGE else ""
        out.add("MIG-CODE-KEYCRED", node.lineno, service, f"{name} built with a key{legacy}")
        return
    if any(kw.arg == "credential" for kw in node.keywords):
        return  # a credential that holds no secret: the client is identity-based
    conn_args = [
        a for a in [*node.args, *(kw.value for kw in node.keywords)] if _is_conn_name(arg_name(a))
    ]
    if conn_args:
        mark([read for arg in conn_args for read in facts.reads_in(arg)], service)
        out.add("MIG-CODE-CONNSTR", node.lineno, service, f"{name} built from a connection string")


def _holds_secret(node: ast.expr, facts: ModuleFacts) -> bool:
    if isinstance(node, ast.Constant | ast.JoinedStr | ast.Dict):
        return True
    if facts.reads_in(node):
        return True
    return is_secret_name(arg_name(node) or "")


def _query_params(node: ast.Call, facts: ModuleFacts, out: LineFindings) -> None:
    for kw in node.keywords:
        if kw.arg == "params" and isinstance(kw.value, ast.Dict):
            for key in kw.value.keys:
                text = facts.string(key) if key is not None else None
                if key is not None and text and text.lower() in pyliterals.KEY_QUERY:
                    what = f"a key in the '{text}' query parameter"
                    out.add("MIG-CODE-KEYHEADER", key.lineno, "third-party", what)


def _env_read(read: EnvRead, out: LineFindings) -> None:
    if identity_prefix(read.name) is not None:
        return  # <connection>__serviceUri and the like: a URL, not a secret
    secret = bool(read.services) or is_secret_name(read.name) or read.name in _HOST_STORAGE
    if not secret:
        return
    service = _pick(read)
    severity = Severity.MEDIUM if service == "third-party" else None
    out.add(
        "MIG-CODE-ENVSECRET",
        read.line,
        service,
        f"reads the setting {read.name}, which holds a secret",
        severity=severity,
        setting=read.name,
    )


def _pick(read: EnvRead) -> str:
    known = sorted(s for s in read.services if s not in {"unknown", "third-party"})
    if known:
        return known[0]
    if read.name in _HOST_STORAGE:
        return "storage"
    return service_of_name(read.name)
