"""The leak canary: the partner key appears nowhere but in the vault.

Runs after the other integration tests (file order) on the same stack, whose
partner key was generated at random for this session; every version the
vault ever held is searched for, raw, base64 and URL-encoded, in the stack's
and the host's logs, every file under the state directory except the vault's
own store, every HTTP response the tests received, every queue message and
every blob.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote, quote_plus

from azure.keyvault.secrets import SecretClient

from devstack.tokens import IssuerCredential
from tests.integration.test_jobs_pipeline import Api
from tests.support.devstack import RunningStack


def _encodings(value: str) -> set[str]:
    raw = value.encode()
    return {
        value,
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(value, safe=""),
        quote_plus(value),
    }


def _partner_keys(stack: RunningStack) -> set[str]:
    name = stack.endpoints["partner_secret_name"]
    with stack.as_app():
        vault = SecretClient(stack.endpoints["vault"], IssuerCredential(stack.issuer()))
        versions = [p.version for p in vault.list_properties_of_secret_versions(name)]
        values = {vault.get_secret(name, version).value or "" for version in versions}
    assert values, "the vault holds no partner key"
    return values


def _outputs(stack: RunningStack) -> dict[str, str]:
    outputs = {"stack log": stack.log_text()}
    for path in Path(stack.state_dir).rglob("*"):
        if path.is_file() and "vault" not in path.relative_to(stack.state_dir).parts:
            outputs[str(path)] = path.read_text(errors="replace")
    for index, response in enumerate(Api.recorded):
        outputs[f"HTTP response {index}"] = response
    queues = stack.queue_service()
    for queue in queues.list_queues():
        client = queues.get_queue_client(queue.name)
        for message in client.peek_messages(max_messages=32):
            outputs[f"queue {queue.name}/{message.id}"] = str(message.content)
    blobs = stack.blob_service()
    for container in blobs.list_containers():
        container_client = blobs.get_container_client(container.name)
        for blob in container_client.list_blobs():
            data = container_client.download_blob(blob.name).readall()
            outputs[f"blob {container.name}/{blob.name}"] = data.decode(errors="replace")
    return outputs


def test_partner_key_never_leaves_the_vault(stack: RunningStack) -> None:
    assert Api.recorded, "the pipeline tests recorded no HTTP response to search"
    needles = set().union(*(_encodings(key) for key in _partner_keys(stack)))
    outputs = _outputs(stack)
    assert any(name.startswith("blob results/") for name in outputs), "no result blob searched"
    leaks = sorted(name for name, text in outputs.items() if any(n in text for n in needles))
    assert leaks == [], f"the partner key leaked into: {leaks}"
