"""blueprints.posture: ``?format=`` renders the stored report as SARIF or JUnit; a bad one is a
400 naming ``format``, answered before the report is read."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from blueprints.contracts.posture import SARIF_MEDIA_TYPE
from blueprints.http.errors import ApiError
from blueprints.posture import _report_format, _report_response
from tests.support.posture_reports import sample_report


def request(query: dict[str, str], accept: str = "application/json") -> func.HttpRequest:
    return func.HttpRequest(
        method="GET", url="/api/posture", headers={"Accept": accept}, params=query, body=b""
    )


@pytest.mark.parametrize(
    ("query", "accept", "media"),
    [
        ({}, "application/json", "application/json"),
        ({}, "text/html", "text/html"),
        ({"format": "sarif"}, "text/html", SARIF_MEDIA_TYPE),
        ({"format": "junit"}, "application/json", "application/xml"),
        ({"format": "json"}, "text/html", "application/json"),
    ],
)
def test_each_format_answers_with_its_media_type(
    query: dict[str, str], accept: str, media: str
) -> None:
    response = _report_response(request(query, accept), sample_report())
    assert response.status_code == 200
    assert response.mimetype == media
    body = response.get_body().decode()
    if media == SARIF_MEDIA_TYPE:
        assert json.loads(body)["version"] == "2.1.0"


def test_an_unknown_format_is_a_400_naming_it() -> None:
    with pytest.raises(ApiError) as raised:
        _report_format(request({"format": "pdf"}))
    answer: dict[str, Any] = json.loads(raised.value.response().get_body())["error"]
    assert raised.value.status == 400
    assert (answer["code"], answer["target"]) == ("invalid_parameter", "format")
    assert "json, html, sarif, junit" in answer["message"]
