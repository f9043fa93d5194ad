"""Binding expressions.

Sources: Azure Functions binding expression patterns (learn.microsoft.com/azure/
azure-functions/functions-bindings-expressions-patterns) and the WebJobs SDK's
BindingParameterResolver / BindingDataPathHelper (DateTime default format
``yyyy-MM-ddTHH-mm-ssK``, rand-guid formats, sys.* values).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from devstack.host.bindings.expressions import (
    BindingData,
    ExpressionError,
    dotnet_datetime,
    resolve,
    resolve_settings,
)

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)


def test_app_settings_anywhere_in_the_string() -> None:
    env = {"ENV": "dev", "SUFFIX": "items"}
    assert resolve_settings("%ENV%-%SUFFIX%/{name}", env) == "dev-items/{name}"
    with pytest.raises(ExpressionError, match="'MISSING' is not set"):
        resolve_settings("%MISSING%", env)


def test_trigger_values_case_insensitive_and_dotted() -> None:
    data = BindingData({"Id": "42", "Query": {"Who": "ann"}, "order": {"customer": {"id": 7}}})
    assert resolve("c/{id}/{query.who}/{ORDER.Customer.Id}", data, now=NOW) == "c/42/ann/7"


def test_system_values() -> None:
    data = BindingData(method_name="fn")
    text = resolve(
        "{DateTime}|{sys.utcnow}|{sys.MethodName}|{rand-guid}|{rand-guid:N}", data, now=NOW
    )
    stamp, utc, method, guid, digits = text.split("|")
    assert stamp == utc == "2026-03-04T05-06-07Z"
    assert method == "fn"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", guid)
    assert re.fullmatch(r"[0-9a-f]{32}", digits)


def test_datetime_formats_and_user_data_winning() -> None:
    assert resolve("{DateTime:yyyy/MM/dd}", BindingData(), now=NOW) == "2026/03/04"
    assert dotnet_datetime(NOW, "HH:mm:ss.fff 'at' K") == "05:06:07.890 at Z"
    assert resolve("{DateTime}", BindingData({"DateTime": "mine"}), now=NOW) == "mine"


def test_unresolvable_and_non_scalar_values_fail() -> None:
    data = BindingData({"obj": {"a": 1}, "flag": True})
    assert resolve("{flag}", data) == "True"  # .NET spelling
    for template in ("{nothing}", "{obj}", "{obj.b}"):
        with pytest.raises(ExpressionError, match="Unable to resolve binding parameter"):
            resolve(template, data)
