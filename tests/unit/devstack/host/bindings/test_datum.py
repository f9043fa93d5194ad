"""Values through the library's converters, where the worker uses them.

Sources: azure-functions (azure/functions/meta.py, queue.py, blob.py, http.py) and the
worker's GenericBinding (azure_functions_worker/bindings/generic.py) and
datumdef.datum_as_proto; the host's TypedData.ToObject for what arrives.
"""

from __future__ import annotations

import json

import azure.functions as func
import pytest
from azure.functions.meta import Datum

from devstack.host.bindings import datum


def test_decode_through_the_library_and_the_generic_binding() -> None:
    metadata = {"Id": Datum("m1", "string"), "DequeueCount": Datum(3, "int")}
    message = datum.decode("queueTrigger", Datum("body", "string"), metadata)
    assert isinstance(message, func.QueueMessage)
    assert (message.id, message.dequeue_count, message.get_body()) == ("m1", 3, b"body")
    assert datum.decode("generic", Datum(b"raw", "bytes"), {}) == b"raw"
    assert datum.decode("blob", None, {}) is None
    with pytest.raises(datum.ConversionError):
        datum.decode("queueTrigger", Datum("{}", "json"), metadata)


def test_encode_and_what_the_host_receives() -> None:
    http = datum.host_value(datum.encode("http", func.HttpResponse("x", status_code=201), None))
    assert isinstance(http, datum.HttpOutput)
    assert (http.status_code, http.body, http.headers["content-type"]) == (
        201,
        b"x",
        "text/plain; charset=utf-8",
    )
    assert datum.host_value(datum.encode("generic", {"a": [1]}, None)) == {"a": [1]}
    assert datum.host_value(datum.encode("generic", True, None)) == 1
    queue = datum.encode("queue", ["a", func.QueueMessage(body="b")], None)
    assert json.loads(queue.value) == ["a", {"id": None, "body": "b"}]
    with pytest.raises(datum.ConversionError):
        datum.encode("http", None, None)
    with pytest.raises(datum.ConversionError):
        datum.encode("blob", 3, None)


def test_implicit_outputs() -> None:
    assert datum.has_implicit_output("table")
    assert not datum.has_implicit_output("durableClient")
    assert not datum.has_implicit_output("queue")
