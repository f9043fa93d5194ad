"""A naive baseline for the cold-start benchmark (P8): never deployed, never imported by the app.

It does what the public Azure Functions + Key Vault samples do, which this product improves
on: the partner key is read at import (a module-level ``DefaultAzureCredential``,
``SecretClient`` and ``get_secret``, so indexing waits for the identity endpoint and the
vault), and each request builds a new credential and secret client and reads the key
again, then new Storage clients for the state write and the enqueue. Its worker does the
same per message. The work is the product's, in the product's layout (the job's state blob
in ``jobs``, its message on ``jobs``), so ``bench/cold_start.py`` times both apps the same
way. Configuration is the product's app settings, read from the environment.
"""

from __future__ import annotations

import json
import os
import uuid

import azure.functions as func
import requests
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

VAULT_URI = os.environ["KEY_VAULT_URI"]
SECRET_NAME = os.environ.get("PARTNER_API_KEY_SECRET_NAME", "partner-api-key")
KEY_HEADER = os.environ.get("PARTNER_API_KEY_HEADER", "X-Api-Key")
PARTNER_URL = os.environ["PARTNER_API_URL"].rstrip("/") + "/analyze"
BLOB_URI = os.environ["JobsStorage__blobServiceUri"]  # noqa: SIM112 - the app setting's name
QUEUE_URI = os.environ["JobsStorage__queueServiceUri"]  # noqa: SIM112 - as above

# Read once at import, as the samples' module-level configuration does.
PARTNER_KEY = SecretClient(VAULT_URI, DefaultAzureCredential()).get_secret(SECRET_NAME).value

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="jobs", methods=["POST"])
def naive_submit(req: func.HttpRequest) -> func.HttpResponse:
    credential = DefaultAzureCredential()
    key = SecretClient(VAULT_URI, credential).get_secret(SECRET_NAME).value or ""
    job_id = str(uuid.uuid4())
    analysis = requests.post(
        PARTNER_URL,
        json=req.get_json(),
        headers={KEY_HEADER: key, "Idempotency-Key": job_id},
        timeout=30,
    ).json()
    state = {"id": job_id, "status": "queued", "input": req.get_json(), "analysis": analysis}
    BlobServiceClient(BLOB_URI, credential).get_blob_client("jobs", f"{job_id}.json").upload_blob(
        json.dumps(state)
    )
    QueueClient(
        QUEUE_URI, "jobs", credential, message_encode_policy=TextBase64EncodePolicy()
    ).send_message(json.dumps({"job_id": job_id}))
    return func.HttpResponse(
        json.dumps({"id": job_id, "status": "queued"}), status_code=202, mimetype="application/json"
    )


@app.queue_trigger(arg_name="msg", queue_name="jobs", connection="JobsStorage")
def naive_worker(msg: func.QueueMessage) -> None:
    credential = DefaultAzureCredential()
    job_id = json.loads(msg.get_body())["job_id"]
    blob = BlobServiceClient(BLOB_URI, credential).get_blob_client("jobs", f"{job_id}.json")
    state = json.loads(blob.download_blob().readall())
    state["status"] = "completed"
    blob.upload_blob(json.dumps(state), overwrite=True)
