"""What the code fixer will change in one module, decided on the syntax tree first.

The plan uses the scan's data flow (:mod:`migrate.scan.pyfacts`): a client built with
``from_connection_string(x)`` can be rebuilt from a service URL only when ``x`` comes from
exactly one app setting; that setting's read then reads ``<setting>__<suffix>`` instead
(the identity-based setting the Functions host uses too), and the client gets the app's
credential. Anything else is left, with the reason, for a person.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Final

from migrate.scan import pyfacts
from migrate.scan.pyfacts import APPSETTING_PREFIX

#: class -> (keyword of the URL in its constructor, identity setting suffix, service).
URL_CLIENTS: Final = {
    "BlobServiceClient": ("account_url", "blobServiceUri", "storage-blob"),
    "ContainerClient": ("account_url", "blobServiceUri", "storage-blob"),
    "BlobClient": ("account_url", "blobServiceUri", "storage-blob"),
    "QueueServiceClient": ("account_url", "queueServiceUri", "storage-queue"),
    "QueueClient": ("account_url", "queueServiceUri", "storage-queue"),
    "TableServiceClient": ("endpoint", "tableServiceUri", "storage-table"),
    "TableClient": ("endpoint", "tableServiceUri", "storage-table"),
    "ServiceBusClient": ("fully_qualified_namespace", "fullyQualifiedNamespace", "servicebus"),
    "EventHubProducerClient": ("fully_qualified_namespace", "fullyQualifiedNamespace", "eventhubs"),
    "EventHubConsumerClient": ("fully_qualified_namespace", "fullyQualifiedNamespace", "eventhubs"),
    "CosmosClient": ("url", "accountEndpoint", "cosmosdb"),
}
#: Credentials that carry a secret and that the app's identity replaces one for one.
SECRET_CREDENTIALS: Final = frozenset(
    {
        "ClientSecretCredential",
        "UsernamePasswordCredential",
        "CertificateCredential",
        "ClientCertificateCredential",
    }
)
_CONN_KEYWORDS: Final = ("conn_str", "connection_string")


#: Clients whose connection string carries no secret but an ingestion key: they keep it and
#: get the credential beside it, so telemetry is sent with Entra ID.
EXPORTERS: Final = frozenset(
    {"AzureMonitorTraceExporter", "AzureMonitorLogExporter", "AzureMonitorMetricExporter"}
)


@dataclass(frozen=True, slots=True)
class ClientRewrite:
    line: int
    cls: str
    url_keyword: str
    asynchronous: bool


@dataclass(slots=True)
class Plan:
    clients: dict[int, ClientRewrite] = field(default_factory=dict)  # call line -> rewrite
    #: (line, old setting) -> new setting, for each read that now reads a URL
    reads: dict[tuple[int, str], str] = field(default_factory=dict)
    credentials: set[int] = field(default_factory=set)  # lines of secret credentials
    async_lines: set[int] = field(default_factory=set)
    unused_reads: set[tuple[int, str]] = field(default_factory=set)  # reads that become None
    settings: dict[str, str] = field(default_factory=dict)  # identity setting -> service
    left: dict[int, str] = field(default_factory=dict)  # line -> why it was not changed


def plan(text: str) -> Plan:
    tree = ast.parse(text)
    facts = pyfacts.collect(tree)
    result = Plan()
    loads: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = facts.qualified(node.func) or ""
        if isinstance(node.func, ast.Attribute) and node.func.attr == "from_connection_string":
            _client(node, facts, result)
        elif callee.rsplit(".", 1)[-1] in SECRET_CREDENTIALS:
            _credential(node, callee, facts, loads, result)
    return result


def _is_async(qualified: str) -> bool:
    return ".aio." in f"{qualified}." or qualified.endswith(".aio")


def _client(node: ast.Call, facts: pyfacts.ModuleFacts, result: Plan) -> None:
    func = node.func
    if not isinstance(func, ast.Attribute):  # the caller only passes X.from_connection_string
        return
    qualified = facts.qualified(func.value) or ""
    cls = qualified.rsplit(".", 1)[-1]
    if cls in EXPORTERS:
        result.clients[node.lineno] = ClientRewrite(node.lineno, cls, "connection_string", False)
        return
    if cls not in URL_CLIENTS:
        result.left[node.lineno] = (
            f"{cls or 'this client'} has no URL-and-credential form the fix knows"
        )
        return
    url_keyword, suffix, service = URL_CLIENTS[cls]
    conn = (
        node.args[0]
        if node.args
        else next((kw.value for kw in node.keywords if kw.arg in _CONN_KEYWORDS), None)
    )
    reads = facts.reads_in(conn) if conn is not None else []
    settings = {read.setting for read in reads}
    if len(settings) != 1:
        result.left[node.lineno] = (
            "the connection string does not come from one app setting the fix can follow"
        )
        return
    setting = settings.pop()
    name = setting.removeprefix(APPSETTING_PREFIX)
    new = f"{name}__{suffix}"
    for read in reads:
        result.reads[(read.line, setting)] = new
    result.settings[new] = service
    result.clients[node.lineno] = ClientRewrite(node.lineno, cls, url_keyword, _is_async(qualified))


def _credential(
    node: ast.Call, callee: str, facts: pyfacts.ModuleFacts, loads: dict[str, int], result: Plan
) -> None:
    result.credentials.add(node.lineno)
    if _is_async(callee):
        result.async_lines.add(node.lineno)
    for arg in [*node.args, *(kw.value for kw in node.keywords)]:
        if isinstance(arg, ast.Name) and loads.get(arg.id, 0) == 1:
            for held in facts.holders.get(arg.id, []):
                result.unused_reads.add((held.line, held.setting))
        elif (direct := facts.env_read(arg)) is not None:
            result.unused_reads.add((direct.line, direct.setting))
