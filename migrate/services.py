"""Which Azure service a class, a setting name or a connection string belongs to.

Scanners see names (an SDK class, a setting, a header); the finding names a service so the
replacement and the roles can be looked up. Names are split into lower-case words
(``AzureWebJobsEventHubConnectionString`` -> azure web jobs event hub connection string)
and matched on words, never on substrings of words, so ``KEY_VAULT_URI`` is not a key.
"""

from __future__ import annotations

import re
from typing import Final

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")

#: SDK class name -> service. Current SDKs, their async twins share the names.
CLASS_SERVICES: Final = {
    "BlobServiceClient": "storage-blob",
    "ContainerClient": "storage-blob",
    "BlobClient": "storage-blob",
    "DataLakeServiceClient": "storage-blob",
    "QueueServiceClient": "storage-queue",
    "QueueClient": "storage-queue",
    "TableServiceClient": "storage-table",
    "TableClient": "storage-table",
    "ShareServiceClient": "storage-files",
    "ShareClient": "storage-files",
    "ShareFileClient": "storage-files",
    "ShareDirectoryClient": "storage-files",
    "ServiceBusClient": "servicebus",
    "ServiceBusAdministrationClient": "servicebus",
    "EventHubProducerClient": "eventhubs",
    "EventHubConsumerClient": "eventhubs",
    "CosmosClient": "cosmosdb",
    "MongoClient": "cosmosdb",
    "AsyncIOMotorClient": "cosmosdb",
    "SecretClient": "keyvault",
    "KeyClient": "keyvault",
    "CertificateClient": "keyvault",
    "EventGridPublisherClient": "eventgrid",
    "AzureMonitorTraceExporter": "appinsights",
    "AzureMonitorLogExporter": "appinsights",
    "AzureMonitorMetricExporter": "appinsights",
    "TextAnalyticsClient": "cognitiveservices",
    "DocumentAnalysisClient": "cognitiveservices",
    "DocumentIntelligenceClient": "cognitiveservices",
    "FormRecognizerClient": "cognitiveservices",
    "ComputerVisionClient": "cognitiveservices",
    "ImageAnalysisClient": "cognitiveservices",
    "TextTranslationClient": "cognitiveservices",
    "AzureOpenAI": "cognitiveservices",
    "AsyncAzureOpenAI": "cognitiveservices",
    "SearchClient": "search",
    "SearchIndexClient": "search",
    # legacy Storage SDKs (azure-storage 0.x-2.x, azure-cosmosdb-table)
    "BlockBlobService": "storage-blob",
    "BaseBlobService": "storage-blob",
    "PageBlobService": "storage-blob",
    "AppendBlobService": "storage-blob",
    "QueueService": "storage-queue",
    "TableService": "storage-table",
    "FileService": "storage-files",
    "CloudStorageAccount": "storage",
}
#: Classes of the legacy Storage SDKs: they take ``account_key`` as their second argument.
LEGACY_STORAGE: Final = frozenset(
    {
        "BlockBlobService",
        "BaseBlobService",
        "PageBlobService",
        "AppendBlobService",
        "QueueService",
        "TableService",
        "FileService",
        "CloudStorageAccount",
    }
)

#: (words that must all appear, service), first match wins.
_NAME_HINTS: Final = (
    (("service", "bus"), "servicebus"),
    (("servicebus",), "servicebus"),
    (("event", "hub"), "eventhubs"),
    (("eventhub",), "eventhubs"),
    (("event", "grid"), "eventgrid"),
    (("eventgrid",), "eventgrid"),
    (("cosmos",), "cosmosdb"),
    (("mongo",), "cosmosdb"),
    (("documentdb",), "cosmosdb"),
    (("blob",), "storage-blob"),
    (("queue",), "storage-queue"),
    (("table",), "storage-table"),
    (("storage",), "storage"),
    (("instrumentation",), "appinsights"),
    (("insights",), "appinsights"),
    (("vision",), "cognitiveservices"),
    (("cognitive",), "cognitiveservices"),
    (("openai",), "cognitiveservices"),
    (("translator",), "cognitiveservices"),
    (("speech",), "cognitiveservices"),
    (("vault",), "keyvault"),
    (("client", "secret"), "entra"),
    (("tenant",), "entra"),
    (("graph",), "entra"),
    (("signalr",), "signalr"),
    (("redis",), "redis"),
    (("sql",), "sql"),
)


def words(name: str) -> list[str]:
    """``AzureWebJobsStorage`` -> ["azure", "web", "jobs", "storage"]; ``CLIENT_SECRET`` too."""
    return [w.lower() for w in _WORD.findall(name)]


def service_of_class(name: str) -> str | None:
    return CLASS_SERVICES.get(name)


def service_of_name(name: str, default: str = "third-party") -> str:
    found = set(words(name))
    joined = "".join(words(name))
    if joined.startswith("azurewebjobsstorage") or name.startswith("WEBSITE_CONTENTAZUREFILE"):
        return "storage"
    for needed, service in _NAME_HINTS:
        if all(w in found for w in needed) or (len(needed) == 1 and needed[0] in joined):
            return service
    return default


_SECRET_LAST = frozenset(
    {
        "key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "token",
        "sas",
        "apikey",
        "credentials",
        "credential",
        "connstr",
        "connectionstring",
        "conn",
        "signature",
    }
)
_NOT_SECRET_LAST = frozenset(
    {
        "name",
        "names",
        "id",
        "ids",
        "uri",
        "url",
        "endpoint",
        "version",
        "type",
        "path",
        "file",
        "count",
        "length",
        "header",
        "prefix",
        "suffix",
        "setting",
        "env",
        "var",
    }
)


def is_secret_name(name: str) -> bool:
    """Whether a setting or variable named ``name`` is meant to hold a secret.

    Its last word says what it holds (``BlobAccountKey``, ``CLIENT_SECRET``), or it is a
    connection string (``MyStorageConnectionString``, ``conn_str``) or a webhook URL (which
    carries its token). ``KEY_VAULT_URI``, ``SECRET_NAME`` and ``API_KEY_HEADER`` are not.
    """
    parts = [w for w in words(name) if w not in {"appsetting", "app", "setting"} or len(name) < 4]
    if not parts:
        return False
    joined = "".join(parts)
    if "connectionstring" in joined or "connstr" in joined:
        return True
    if "webhook" in joined and parts[-1] in {"url", "uri"}:
        return True
    if parts[-1] in _NOT_SECRET_LAST:
        return False
    return parts[-1] in _SECRET_LAST or joined.endswith(("accountkey", "accesskey", "apikey"))
