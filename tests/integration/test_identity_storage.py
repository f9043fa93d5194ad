"""The app's identity path on the devstack: DefaultAzureCredential -> local MI -> Azurite."""

from __future__ import annotations

import uuid

import jwt
import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from devstack.runner import RunningStack
from devstack.tokens import APP_IDENTITY_OBJECT_ID, issuer_url
from tests.support.credentials import StaticToken

STORAGE = "https://storage.azure.com"


def test_default_credential_takes_the_managed_identity_path(stack: RunningStack) -> None:
    before = stack.stats("identity")
    with stack.as_app():
        credential = DefaultAzureCredential()
        token = credential.get_token(f"{STORAGE}/.default")
        again = credential.get_token(f"{STORAGE}/.default")
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert claims["aud"] == STORAGE
    assert claims["iss"] == issuer_url(stack.endpoints["tenant_id"])
    assert claims["oid"] == APP_IDENTITY_OBJECT_ID
    assert again.token == token.token, "the credential must cache its token"
    after = stack.stats("identity")
    issued = after["tokens_issued"].get(STORAGE, 0) - before["tokens_issued"].get(STORAGE, 0)
    assert issued == 1


def test_queue_and_blob_work_over_https_with_bearer_tokens(stack: RunningStack) -> None:
    name = f"it-{uuid.uuid4().hex[:12]}"
    with stack.as_app():
        credential = DefaultAzureCredential()
        with QueueServiceClient(stack.endpoints["queue"], credential) as queues:
            queue = queues.get_queue_client(name)
            queue.create_queue()
            queue.send_message("hello")
            received = list(queue.receive_messages())
            assert [m.content for m in received] == ["hello"]
            queue.delete_queue()
        with BlobServiceClient(stack.endpoints["blob"], credential) as blobs:
            container = blobs.get_container_client(name)
            container.create_container()
            container.upload_blob("a.txt", b"data")
            assert container.download_blob("a.txt").readall() == b"data"
            container.delete_container()


def _storage_token(stack: RunningStack, **overrides: object) -> str:
    issuer = stack.issuer()
    audience = str(overrides.pop("audience", STORAGE))
    lifetime = int(str(overrides.pop("lifetime", 600)))
    return issuer.mint(
        audience,
        object_id=APP_IDENTITY_OBJECT_ID,
        app_id="x",
        lifetime=lifetime,
        extra=overrides or None,
    ).token


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("expired", lambda s: _storage_token(s, lifetime=-120)),
        ("wrong audience", lambda s: _storage_token(s, audience="https://vault.azure.net")),
        ("tampered issuer", lambda s: _storage_token(s, iss="https://evil.example/")),
    ],
)
def test_azurite_refuses_bad_tokens(stack: RunningStack, case: str, make) -> None:
    client = BlobServiceClient(
        stack.endpoints["blob"], StaticToken(make(stack)), connection_verify=stack.ca_bundle
    )
    with pytest.raises(HttpResponseError) as refused:
        client.get_container_client("jobs").get_container_properties()
    assert refused.value.status_code == 403, case


def test_a_good_static_token_is_accepted(stack: RunningStack) -> None:
    """Control for the refusals above: the same client with a valid token works."""
    client = BlobServiceClient(
        stack.endpoints["blob"],
        StaticToken(_storage_token(stack)),
        connection_verify=stack.ca_bundle,
    )
    assert client.get_container_client("jobs").get_container_properties().name == "jobs"
