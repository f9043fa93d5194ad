"""The local Storage account refuses key-based requests as Azure does when
``allowSharedKeyAccess`` is false: Shared Key and SAS signed with the account key get 403
``KeyBasedAuthenticationNotPermitted`` from every service, bearer requests pass.

Sources: "Prevent Shared Key authorization for an Azure Storage account" (Microsoft Learn:
Shared Key requests fail with 403; service and account SAS are denied for all services);
the refusal as Azure sends it for Blob (XML, Azure/AI-Landing-Zones#64), for an account-key
SAS (microsoft/azure-maven-plugins#2519) and for Table (Azure/azure-powershell#19208).
The key is Azurite's well-known development key, which Azurite itself accepts: only the
front stands between it and the data.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from azure.core.credentials import AzureNamedKeyCredential  # noqa: TID251 - refusing it is the test
from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient, ContainerClient, generate_container_sas
from azure.storage.queue import QueueServiceClient

from devstack.runner import RunningStack
from devstack.stack import ACCOUNT
from devstack.storagefront.refusal import CODE, MESSAGE
from tests.support.secret_shapes import azurite_account_key


def assert_refused(exc: HttpResponseError) -> None:
    assert exc.status_code == 403
    assert getattr(exc, "error_code", None) == CODE  # the Storage SDKs' parsed code
    assert exc.reason == MESSAGE
    assert exc.response is not None
    assert exc.response.headers["x-ms-error-code"] == CODE  # type: ignore[attr-defined]
    assert MESSAGE in exc.response.text()


def test_shared_key_is_refused_by_blob_queue_and_table(stack: RunningStack) -> None:
    key = AzureNamedKeyCredential(ACCOUNT, azurite_account_key())
    ca = stack.ca_bundle
    calls = {
        "blob": lambda: list(
            BlobServiceClient(stack.endpoints["blob"], key, connection_verify=ca).list_containers()
        ),
        "queue": lambda: list(
            QueueServiceClient(stack.endpoints["queue"], key, connection_verify=ca).list_queues()
        ),
        "table": lambda: list(
            TableServiceClient(
                endpoint=stack.endpoints["table"], credential=key, connection_verify=ca
            ).list_tables()
        ),
    }
    for service, call in calls.items():
        with pytest.raises(HttpResponseError) as refused:
            call()
        assert_refused(refused.value)
        content_type = refused.value.response.headers["content-type"]  # type: ignore[union-attr]
        expected = "application/json" if service == "table" else "application/xml"
        assert content_type.startswith(expected), service


def test_a_sas_signed_with_the_account_key_is_refused(stack: RunningStack) -> None:
    sas = generate_container_sas(
        ACCOUNT,
        "jobs",
        account_key=azurite_account_key(),
        permission="rl",
        expiry=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    url = f"{stack.endpoints['blob']}/jobs?{sas}"
    with pytest.raises(HttpResponseError) as refused:
        list(
            ContainerClient.from_container_url(url, connection_verify=stack.ca_bundle).list_blobs()
        )
    assert_refused(refused.value)


def test_bearer_requests_pass_before_and_after_a_refusal(stack: RunningStack) -> None:
    name = f"front-{uuid.uuid4().hex[:10]}"
    blobs = stack.blob_service()
    container = blobs.create_container(name)
    try:
        container.upload_blob("big", b"\x01" * (5 * 1024 * 1024))
        keyed = BlobServiceClient(
            stack.endpoints["blob"],
            AzureNamedKeyCredential(ACCOUNT, azurite_account_key()),
            connection_verify=stack.ca_bundle,
        )
        with pytest.raises(HttpResponseError) as refused:
            keyed.get_container_client(name).upload_blob("keyed", b"x")
        assert_refused(refused.value)
        assert container.download_blob("big").readall() == b"\x01" * (5 * 1024 * 1024)
        assert [b.name for b in container.list_blobs()] == ["big"]
    finally:
        container.delete_container()
