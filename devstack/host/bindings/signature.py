"""A function's Python signature checked against its bindings, as the worker does at
indexing, and the plan for converting each parameter and the return value.

The worker refuses a function whose parameters and bindings do not match one to one
(``context`` aside), whose ``Out`` annotations sit on input bindings or the other way
round, or whose annotations the binding's converter rejects (``-> None`` on an HTTP
function's ``$return`` included). One such function makes the whole indexing fail, so in
Azure the app then serves nothing; the devstack host refuses to start with the same
reason.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from devstack.host.bindings import datum
from devstack.host.bindings.model import INOUT, OUT, BindingSpec


class SignatureError(ValueError):
    """The worker would refuse to index this function."""

    def __init__(self, function_name: str, problem: str) -> None:
        super().__init__(f"the worker cannot load function {function_name!r}: {problem}")


class SdkTypeBindingError(ValueError):
    """A parameter typed with an ``azurefunctions-extensions-bindings-*`` SDK type (a
    ``BlobClient``, ``ContainerClient``...): the worker runs these as deferred bindings with
    that package installed; the devstack host does not."""


SDK_TYPE_MODULES = ("azurefunctions.extensions.",)


def _sdk_type(annotation: Any) -> bool:
    candidates = [annotation, *typing.get_args(annotation)]
    return any(
        str(getattr(candidate, "__module__", "")).startswith(SDK_TYPE_MODULES)
        for candidate in candidates
    )


@dataclass(frozen=True, slots=True)
class ParamPlan:
    """How one parameter is converted: through which converter, to which Python type."""

    binding: BindingSpec
    converter: str  # a binding type, or "generic"
    pytype: Any | None


@dataclass(frozen=True, slots=True)
class ReturnPlan:
    converter: str
    pytype: Any | None
    binding: BindingSpec | None  # None when the return is an implicit output


@dataclass(frozen=True, slots=True)
class Signature:
    inputs: dict[str, ParamPlan]
    outputs: dict[str, ParamPlan]
    returns: ReturnPlan | None
    requires_context: bool

    @property
    def has_return(self) -> bool:
        return self.returns is not None


def _is_out(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    candidate = origin if origin is not None else annotation
    return isinstance(candidate, type) and candidate.__name__ == "Out"


def _is_type_like(annotation: Any) -> bool:
    """A class, or a generic alias of one (``list[str]``); ``X | None`` is neither."""
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        return True
    origin = typing.get_origin(annotation)
    return isinstance(origin, type) and origin is not types.UnionType


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


def read_signature(
    function_name: str, user_function: Callable[..., Any], bindings: Sequence[BindingSpec]
) -> Signature:
    try:
        parameters = dict(inspect.signature(user_function).parameters)
        annotations = typing.get_type_hints(user_function)
    except (NameError, TypeError, ValueError) as exc:
        raise SignatureError(function_name, f"its annotations cannot be read: {exc}") from exc

    bound: dict[str, BindingSpec] = {}
    explicit_return: BindingSpec | None = None
    implicit_return: str | None = None
    for binding in bindings:
        if binding.direction == INOUT:
            raise SignatureError(function_name, '"inout" bindings are not supported')
        if binding.is_return:
            if binding.direction != OUT:
                raise SignatureError(function_name, '"$return" must be an output binding')
            explicit_return = explicit_return or binding
            continue
        bound[binding.name] = binding
        if datum.has_implicit_output(binding.type):
            implicit_return = binding.type  # the worker keeps the last one

    requires_context = False
    if "context" in parameters and "context" not in bound:
        requires_context = True
        parameters.pop("context")
        hint = annotations.get("context")
        if hint is not None and not (isinstance(hint, type) and hint.__name__ == "Context"):
            raise SignatureError(
                function_name, f"'context' must be annotated azure.functions.Context, not {hint!r}"
            )

    extra = sorted(set(parameters) - set(bound))
    if extra:
        raise SignatureError(function_name, f"parameter(s) {extra} have no binding")
    missing = sorted(set(bound) - set(parameters))
    if missing:
        raise SignatureError(function_name, f"binding(s) {missing} have no parameter")

    inputs: dict[str, ParamPlan] = {}
    outputs: dict[str, ParamPlan] = {}
    for name in parameters:
        binding = bound[name]
        plan = _param_plan(function_name, name, binding, annotations)
        (outputs if binding.direction == OUT else inputs)[name] = plan

    return Signature(
        inputs=inputs,
        outputs=outputs,
        returns=_return_plan(function_name, annotations, explicit_return, implicit_return),
        requires_context=requires_context,
    )


def _param_plan(
    function_name: str, name: str, binding: BindingSpec, annotations: dict[str, Any]
) -> ParamPlan:
    annotated = name in annotations
    annotation = annotations.get(name)
    if annotated and _sdk_type(annotation):
        raise SdkTypeBindingError(
            f"parameter {name!r} is an SDK-type binding ({_type_name(annotation)}), "
            "which the devstack host does not support"
        )
    is_out = annotated and _is_out(annotation)
    pytype = annotation
    if is_out:
        args = typing.get_args(annotation)
        if len(args) != 1:
            raise SignatureError(function_name, f"{name!r} has an Out annotation without a type")
        pytype = args[0]
    if annotated and not _is_type_like(pytype):
        raise SignatureError(function_name, f"{name!r} is annotated with a non-type {pytype!r}")
    if binding.direction == OUT and annotated and not is_out:
        raise SignatureError(
            function_name, f"{name!r} is an output binding; annotate it azure.functions.Out[...]"
        )
    if binding.direction != OUT and is_out:
        raise SignatureError(
            function_name, f"{name!r} is an input binding but is annotated azure.functions.Out"
        )
    converter = binding.type
    if annotated and pytype in (str, bytes) and not datum.has_implicit_output(binding.type):
        converter = datum.GENERIC
    if annotated:
        fits = (
            datum.accepts_output(converter, pytype)
            if is_out
            else datum.accepts_input(converter, pytype)
        )
        if not fits:
            raise SignatureError(
                function_name,
                f"{name!r}: a {binding.type!r} binding cannot be a {_type_name(pytype)!r}",
            )
    return ParamPlan(binding=binding, converter=converter, pytype=pytype if annotated else None)


def _return_plan(
    function_name: str,
    annotations: dict[str, Any],
    explicit: BindingSpec | None,
    implicit_type: str | None,
) -> ReturnPlan | None:
    if explicit is not None:
        hint = annotations.get("return")
        if "return" in annotations:
            if _is_out(hint):
                raise SignatureError(function_name, "the return annotation cannot be Out[...]")
            if not isinstance(hint, type):
                raise SignatureError(function_name, f"the return annotation {hint!r} is not a type")
            if not datum.accepts_output(explicit.type, hint):
                raise SignatureError(
                    function_name,
                    f"the return annotation {_type_name(hint)!r} does not fit its "
                    f"{explicit.type!r} $return binding",
                )
        return ReturnPlan(converter=explicit.type, pytype=hint, binding=explicit)
    if implicit_type is not None:
        return ReturnPlan(converter=implicit_type, pytype=annotations.get("return"), binding=None)
    return None
