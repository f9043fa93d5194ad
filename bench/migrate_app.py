"""A generated Functions app of any size, for timing ``migrate scan`` (P12).

Seeded, so every run scans the same tree: a v2 ``function_app.py`` registering blueprint
modules (triggers and bindings, identity-based clients, docstrings that mention keys, and
here and there a client built from a connection string), v1 function folders, settings
files, Bicep and ARM templates and workflows. It returns the findings it planted, so the
benchmark can say the scan still finds them at that size.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

Planted = tuple[str, str, int]  # kind, file, line

_MODULE = '''"""Orders, part {n}: the queue worker and its HTTP routes.

Connection strings with an AccountKey are not used here: the identity is.
"""

import json
import logging
import os

import azure.functions as func
from azure.identity import DefaultAzureCredential
from azure.storage.blob import BlobServiceClient

bp = func.Blueprint()
CONTAINER = os.environ.get("ORDERS_CONTAINER_{n}", "orders")


def _client() -> BlobServiceClient:
    url = os.environ["Orders__blobServiceUri"]
    return BlobServiceClient(url, credential=DefaultAzureCredential())


@bp.queue_trigger(arg_name="msg", queue_name="orders-{n}", connection="Orders")
@bp.blob_output(arg_name="out", path="orders/{{id}}.json", connection="Orders")
def handle_{n}(msg: func.QueueMessage, out: func.Out[str]) -> None:
    body = json.loads(msg.get_body())
    total = sum(item["price"] * item["count"] for item in body.get("items", []))
    logging.info("order %s: %s items, total %s", body.get("id"), len(body.get("items", [])), total)
    out.set(json.dumps({{"id": body.get("id"), "total": total}}))


@bp.route(route="orders/{n}/{{id}}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def read_{n}(req: func.HttpRequest) -> func.HttpResponse:
    blob = _client().get_blob_client(CONTAINER, req.route_params["id"] + ".json")
    return func.HttpResponse(blob.download_blob().readall(), mimetype="application/json")
'''
_KEYED = """

def legacy_{n}():
    from azure.storage.queue import QueueClient

    return QueueClient.from_connection_string(os.environ["LEGACY_{n}_CONNECTION_STRING"], "old")
"""
_FUNCTION_JSON = {
    "scriptFile": "__init__.py",
    "bindings": [
        {
            "name": "msg",
            "type": "queueTrigger",
            "direction": "in",
            "queueName": "q",
            "connection": "Orders",
        },
        {
            "name": "doc",
            "type": "blob",
            "direction": "out",
            "path": "out/{id}",
            "connection": "Orders",
        },
    ],
}
_BICEP = """param location string = resourceGroup().location

resource st{n} 'Microsoft.Storage/storageAccounts@2023-05-01' = {{
  name: 'st{n}'
  location: location
  kind: 'StorageV2'
  sku: {{
    name: 'Standard_LRS'
  }}
  properties: {{
    allowSharedKeyAccess: {shared}
    minimumTlsVersion: 'TLS1_2'
  }}
}}
"""


def generate(root: Path, *, files: int = 500, seed: int = 0) -> list[Planted]:
    """Write an app of ``files`` files under ``root``; the findings planted in it."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    planted: list[Planted] = []
    settings = {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "Orders__blobServiceUri": "https://127.0.0.1:10000/devstoreaccount1",
        "Orders__queueServiceUri": "https://127.0.0.1:10001/devstoreaccount1",
    }
    (root / "local.settings.json").write_text(json.dumps({"Values": settings}, indent=2))
    (root / "host.json").write_text('{"version": "2.0"}\n')
    written = 2
    modules = int(files * 0.6)
    imports = []
    for n in range(modules):
        text = _MODULE.format(n=n)
        if rng.random() < 0.1:
            text += _KEYED.format(n=n)
            line = text[: text.index("from_connection_string")].count("\n") + 1
            planted.append(("code", f"blueprints/orders_{n}.py", line))
        path = root / "blueprints" / f"orders_{n}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        imports.append(f"from blueprints.orders_{n} import bp as bp_{n}")
    written += modules
    registrations = "\n".join(f"app.register_functions(bp_{n})" for n in range(modules))
    (root / "function_app.py").write_text(
        "import azure.functions as func\n" + "\n".join(imports) + "\n\n"
        "app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\n" + registrations + "\n"
    )
    written += 1
    folders = 0
    while written + 2 <= files - max(1, files // 20):
        folder = root / "functions" / f"worker_{folders}"
        folder.mkdir(parents=True)
        (folder / "function.json").write_text(json.dumps(_FUNCTION_JSON, indent=2))
        (folder / "__init__.py").write_text("def main(msg, doc):\n    doc.set(msg.get_body())\n")
        written += 2
        folders += 1
    infra = root / "infra"
    infra.mkdir()
    n = 0
    while written < files:
        shared = "true" if rng.random() < 0.3 else "false"
        (infra / f"storage_{n}.bicep").write_text(_BICEP.format(n=n, shared=shared))
        if shared == "true":
            planted.append(("infra", f"infra/storage_{n}.bicep", 11))
        written += 1
        n += 1
    return planted
