"""The local Storage front lets through a genuine user delegation SAS and no other SAS, however
the query spells it.

Each forged request is sent twice: to Azurite itself on its internal port, where it must
succeed (the positive control: Azurite reads ``%73ig``, ``s%69g`` and ``sig[]`` as ``sig``
and takes a fake ``skoid`` on an account SAS, as devstack/storagefront/azuritequery.py and
delegation.py say from its source), and to the front, which must answer Azure's 403
``KeyBasedAuthenticationNotPermitted``. The account SAS is signed with the emulator's
well-known key, read from the installed Azurite (tests/support/secret_shapes.py). A user
delegation SAS passes only when its key was issued to a bearer caller ("Create a user
delegation SAS", Microsoft Learn: the key is requested with an Entra token; "Prevent Shared
Key authorization": such a SAS is permitted when shared keys are not).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hmac
import uuid
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlencode

import pytest
import requests
from azure.core.credentials import AzureNamedKeyCredential  # noqa: TID251 - refusing it is the test
from azure.core.exceptions import ResourceNotFoundError
from azure.data import tables
from azure.storage.blob import (
    AccountSasPermissions,
    ResourceTypes,
    UserDelegationKey,
    generate_account_sas,  # noqa: TID251 - refusing it is the test
)

from devstack.runner import RunningStack
from devstack.stack import ACCOUNT
from devstack.storagefront.delegation import DelegationKey
from devstack.storagefront.refusal import CODE
from tests.support.azurite_secrets import derived_delegation_value
from tests.support.secret_shapes import azurite_account_key

SPELLINGS = {
    "%73ig": lambda q: q.replace("&sig=", "&%73ig="),
    "s%69g": lambda q: q.replace("&sig=", "&s%69g="),
    "sig[]": lambda q: q.replace("&sig=", "&sig[]="),
    "fake skoid": lambda q: f"{q}&skoid={uuid.uuid4()}&sktid={uuid.uuid4()}",
}
TABLE_JSON = {"Accept": "application/json;odata=nometadata"}
SAS_VERSION = "2020-12-06"


def soon(hours: float = 1) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)


def account_sas(service: str) -> str:
    """An account SAS signed with the well-known key, ``sig`` last (as the SDKs write it)."""
    if service == "table":
        sas = tables.generate_account_sas(
            AzureNamedKeyCredential(ACCOUNT, azurite_account_key()),
            resource_types=tables.ResourceTypes(service=True, container=True, object=True),
            permission=tables.AccountSasPermissions(read=True, write=True, list=True),
            expiry=soon(),
        )
    else:
        everything = ResourceTypes(service=True, container=True, object=True)
        allowed = AccountSasPermissions(read=True, write=True, list=True, create=True)
        sas = generate_account_sas(ACCOUNT, azurite_account_key(), everything, allowed, soon())
    assert "&sig=" in sas, "the SDK's account SAS carries sig after another parameter"
    return sas


def base(stack: RunningStack, service: str, *, azurite: bool) -> str:
    if not azurite:
        return str(stack.endpoints[service])
    return f"https://127.0.0.1:{stack.endpoints['azurite_ports'][service]}/{ACCOUNT}"


@pytest.fixture
def written(stack: RunningStack) -> Iterator[list[str]]:
    """Blobs the positive controls wrote into ``jobs``, deleted afterwards."""
    names: list[str] = []
    yield names
    jobs = stack.blob_service().get_container_client("jobs")
    for name in names:
        with contextlib.suppress(ResourceNotFoundError):  # a control that failed wrote none
            jobs.delete_blob(name)


def forged_calls(
    stack: RunningStack, spell: str, *, azurite: bool, written: list[str]
) -> dict[str, requests.Response]:
    """List containers, write a blob into ``jobs``, list tables: with a respelled SAS."""
    respell = SPELLINGS[spell]
    blob = base(stack, "blob", azurite=azurite)
    name = f"forged-{uuid.uuid4().hex[:10]}.json"
    if azurite:
        written.append(name)
    ca = stack.ca_bundle  # per call: requests prefers REQUESTS_CA_BUNDLE to a session's own
    return {
        "list containers": requests.get(
            f"{blob}/?comp=list&{respell(account_sas('blob'))}", verify=ca, timeout=30
        ),
        "write a job blob": requests.put(
            f"{blob}/jobs/{name}?{respell(account_sas('blob'))}",
            data=b"{}",
            headers={"x-ms-blob-type": "BlockBlob"},
            verify=ca,
            timeout=30,
        ),
        "list tables": requests.get(
            f"{base(stack, 'table', azurite=azurite)}/Tables?{respell(account_sas('table'))}",
            headers=TABLE_JSON,
            verify=ca,
            timeout=30,
        ),
    }


@pytest.mark.parametrize("spell", sorted(SPELLINGS))
def test_an_account_key_sas_spelled_any_way_azurite_reads_it_is_refused(
    stack: RunningStack, written: list[str], spell: str
) -> None:
    control = forged_calls(stack, spell, azurite=True, written=written)
    for call, answer in control.items():
        assert answer.status_code in (200, 201), f"Azurite refused {call} ({spell}): the control"
    refused = forged_calls(stack, spell, azurite=False, written=written)
    for call, answer in refused.items():
        assert answer.status_code == 403, f"{call} ({spell}): {answer.status_code}"
        assert answer.headers["x-ms-error-code"] == CODE


@pytest.fixture
def a_blob(stack: RunningStack) -> Iterator[tuple[str, str]]:
    jobs = stack.blob_service().get_container_client("jobs")
    name = f"delegated-{uuid.uuid4().hex[:10]}.json"
    jobs.upload_blob(name, b'{"read": "with a delegation SAS"}')
    yield "jobs", name
    jobs.delete_blob(name)


def named(key: UserDelegationKey) -> DelegationKey:
    """The six values of ``key`` (the SDK types each as optional; an issued key has all)."""
    values = (
        key.signed_oid, key.signed_tid, key.signed_start, key.signed_expiry,
        key.signed_service, key.signed_version,
    )  # fmt: skip
    assert all(isinstance(value, str) for value in values), "a key with a value missing"
    return DelegationKey(*(str(value) for value in values))


def delegation_sas(key: UserDelegationKey, container: str, name: str) -> str:
    """A read SAS for one blob, signed with ``key`` to the service version 2020-12-06 layout
    ("Create a user delegation SAS", Microsoft Learn, "Version 2020-12-06 and later": 24
    fields). azure-storage-blob 12.31 signs with a later layout (two more fields) that Azurite
    3.35 does not know yet, so its own SAS fails there whatever the front does."""
    expiry = soon(0.5).strftime("%Y-%m-%dT%H:%M:%SZ")
    k = named(key)
    fields = [
        "r", "", expiry, f"/blob/{ACCOUNT}/{container}/{name}",
        k.oid, k.tid, k.start, k.expiry, k.service, k.version,
        "", "", "", "", "", SAS_VERSION, "b", "", "", "", "", "", "", "",
    ]  # fmt: skip
    assert len(fields) == 24
    digest = hmac.new(base64.b64decode(key.value or ""), "\n".join(fields).encode(), "sha256")
    query = {
        "sv": SAS_VERSION, "sr": "b", "sp": "r", "se": expiry,
        "skoid": k.oid, "sktid": k.tid, "skt": k.start, "ske": k.expiry, "sks": k.service,
        "skv": k.version,
        "sig": base64.b64encode(digest.digest()).decode(),
    }  # fmt: skip
    return urlencode(query)


def test_a_genuine_user_delegation_sas_passes(stack: RunningStack, a_blob: tuple[str, str]) -> None:
    """The key is asked for with the app's bearer token, through the front."""
    key = stack.blob_service().get_user_delegation_key(
        dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), soon()
    )
    container, name = a_blob
    url = f"{stack.endpoints['blob']}/{container}/{name}?{delegation_sas(key, container, name)}"
    answer = requests.get(url, verify=stack.ca_bundle, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"read": "with a delegation SAS"}


def test_a_delegation_sas_for_a_key_never_issued_is_refused(
    stack: RunningStack, a_blob: tuple[str, str]
) -> None:
    """Azurite derives delegation keys from a constant in its source, so a key for an object
    id nobody holds a token for signs a SAS Azurite accepts (the control); the front has not
    seen that key issued, and refuses it. The same derivation gives the genuine key's value:
    it is Azurite's."""
    genuine = stack.blob_service().get_user_delegation_key(
        dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), soon()
    )
    forged = UserDelegationKey()
    for field in ("signed_tid", "signed_start", "signed_expiry", "signed_service"):
        setattr(forged, field, getattr(genuine, field))
    forged.signed_version = genuine.signed_version
    forged.signed_oid = str(uuid.uuid4())
    forged.value = derived_delegation_value(named(forged))
    derivation = replace(named(forged), oid=named(genuine).oid)
    assert derived_delegation_value(derivation) == genuine.value, "the derivation is Azurite's"
    container, name = a_blob
    sas = delegation_sas(forged, container, name)
    control = requests.get(
        f"{base(stack, 'blob', azurite=True)}/{container}/{name}?{sas}",
        verify=stack.ca_bundle,
        timeout=30,
    )
    assert control.status_code == 200, "Azurite refused the derived key: the control"
    refused = requests.get(
        f"{stack.endpoints['blob']}/{container}/{name}?{sas}", verify=stack.ca_bundle, timeout=30
    )
    assert refused.status_code == 403
    assert refused.headers["x-ms-error-code"] == CODE
