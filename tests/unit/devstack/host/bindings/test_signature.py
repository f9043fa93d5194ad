"""The worker's indexing checks, function by function.

Source: azure-functions-python-worker azure_functions_worker/functions.py
(Registry.validate_function_params, get_function_return_type, is_context_required) and
its broken-function test apps (tests/unittests/broken_functions: missing_py_param,
missing_json_param, invalid_out_anno, invalid_in_anno, invalid_return_anno,
invalid_context_param).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest

from devstack.host.bindings.model import BindingSpec
from devstack.host.bindings.signature import SdkTypeBindingError, SignatureError, read_signature

HTTP_IN = BindingSpec("req", "httpTrigger", "in")
HTTP_RETURN = BindingSpec("$return", "http", "out")
QUEUE_IN = BindingSpec("msg", "queueTrigger", "in")


def check(function: Callable[..., Any], *bindings: BindingSpec) -> Any:
    return read_signature(function.__name__, function, bindings)


def test_a_matching_http_function() -> None:
    def ok(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        raise NotImplementedError

    signature = check(ok, HTTP_IN, HTTP_RETURN)
    assert signature.requires_context
    assert signature.inputs["req"].converter == "httpTrigger"
    assert signature.returns is not None
    assert signature.returns.converter == "http"


def test_parameter_without_binding_and_binding_without_parameter() -> None:
    def extra(req: func.HttpRequest, other: str) -> str:
        raise NotImplementedError

    def missing(req: func.HttpRequest) -> str:
        raise NotImplementedError

    with pytest.raises(SignatureError, match=r"\['other'\] have no binding"):
        check(extra, HTTP_IN, HTTP_RETURN)
    with pytest.raises(SignatureError, match=r"\['file'\] have no parameter"):
        check(missing, HTTP_IN, HTTP_RETURN, BindingSpec("file", "blob", "in"))


def test_out_annotations_must_match_directions() -> None:
    def plain_output(req: func.HttpRequest, msg: str) -> str:
        raise NotImplementedError

    def out_input(req: func.HttpRequest, file: func.Out[str]) -> str:
        raise NotImplementedError

    with pytest.raises(SignatureError, match=r"annotate it azure\.functions\.Out"):
        check(plain_output, HTTP_IN, HTTP_RETURN, BindingSpec("msg", "queue", "out"))
    with pytest.raises(SignatureError, match="input binding but is annotated"):
        check(out_input, HTTP_IN, HTTP_RETURN, BindingSpec("file", "blob", "in"))


def test_types_the_converters_reject() -> None:
    def wrong_trigger(req: func.QueueMessage) -> str:
        raise NotImplementedError

    def pep585_list(req: func.HttpRequest, msgs: func.Out[list[str]]) -> str:
        raise NotImplementedError

    def typing_list(
        req: func.HttpRequest,
        msgs: func.Out[typing.List[str]],  # noqa: UP006 - what the library accepts
    ) -> str:
        raise NotImplementedError

    def optional_input(req: func.HttpRequest, file: func.InputStream | None) -> str:
        raise NotImplementedError

    queue_out = BindingSpec("msgs", "queue", "out")
    with pytest.raises(SignatureError, match="'httpTrigger' binding cannot be a 'QueueMessage'"):
        check(wrong_trigger, HTTP_IN, HTTP_RETURN)
    with pytest.raises(SignatureError, match="'queue' binding cannot be"):
        check(pep585_list, HTTP_IN, HTTP_RETURN, queue_out)
    assert check(typing_list, HTTP_IN, HTTP_RETURN, queue_out).outputs["msgs"].converter == "queue"
    with pytest.raises(SignatureError, match="non-type"):
        check(optional_input, HTTP_IN, HTTP_RETURN, BindingSpec("file", "blob", "in"))


def test_return_annotation_must_fit_the_return_binding() -> None:
    def returns_none(req: func.HttpRequest) -> None:
        raise NotImplementedError

    def returns_out(req: func.HttpRequest) -> func.Out[str]:
        raise NotImplementedError

    with pytest.raises(SignatureError, match="'NoneType' does not fit its 'http'"):
        check(returns_none, HTTP_IN, HTTP_RETURN)
    with pytest.raises(SignatureError, match="cannot be Out"):
        check(returns_out, HTTP_IN, HTTP_RETURN)


def test_context_must_be_annotated_context() -> None:
    def bad_context(msg: func.QueueMessage, context: str) -> None:
        raise NotImplementedError

    with pytest.raises(SignatureError, match="'context' must be annotated"):
        check(bad_context, QUEUE_IN)


def test_str_and_bytes_go_through_the_generic_converter() -> None:
    def untyped_queue(msg: str, file: bytes, out: func.Out[str]) -> None:
        raise NotImplementedError

    signature = check(
        untyped_queue,
        QUEUE_IN,
        BindingSpec("file", "blob", "in"),
        BindingSpec("out", "blob", "out"),
    )
    assert signature.inputs["msg"].converter == "generic"
    assert signature.inputs["file"].converter == "generic"
    assert signature.outputs["out"].converter == "generic"
    assert signature.returns is None


def test_a_table_input_is_an_implicit_output() -> None:
    def with_table(msg: func.QueueMessage, rows: str) -> None:
        raise NotImplementedError

    signature = check(with_table, QUEUE_IN, BindingSpec("rows", "table", "in"))
    assert signature.inputs["rows"].converter == "table"  # no converter: generic, kept
    assert signature.returns is not None
    assert signature.returns.binding is None


def test_inout_and_input_return_bindings_are_refused() -> None:
    def anything(req: func.HttpRequest) -> str:
        raise NotImplementedError

    with pytest.raises(SignatureError, match="inout"):
        check(anything, HTTP_IN, BindingSpec("$return", "blob", "inout"))
    with pytest.raises(SignatureError, match="output binding"):
        check(anything, HTTP_IN, BindingSpec("$return", "blob", "in"))


class BlobClient:
    """Stands in for azurefunctions.extensions.bindings.blob.BlobClient (an SDK type)."""


BlobClient.__module__ = "azurefunctions.extensions.bindings.blob"


def test_sdk_type_bindings_are_singled_out() -> None:
    """With azurefunctions-extensions-bindings-blob installed the worker runs these as
    deferred bindings (functions-reference-python, "SDK type bindings"); the devstack
    refuses that function alone instead of failing the app."""

    def sdk_typed(client: BlobClient) -> None:
        raise NotImplementedError

    with pytest.raises(SdkTypeBindingError, match="SDK-type binding"):
        check(sdk_typed, BindingSpec("client", "blobTrigger", "in"))
