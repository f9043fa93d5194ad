"""The posture checker: on a schedule, on demand, and its reports over HTTP.

* Timer ``%POSTURE_SCHEDULE%`` (every 6 hours by default; not on start-up, so a
  restart loop cannot hammer the vault and the control plane): runs every rule,
  stores ``posture/<yyyy>/<mm>/<dd>/<HHMMSS>.json`` and ``posture/latest.json``, logs
  one summary line and one warning per failed rule (names and counts, no value).
* ``GET /api/posture`` (role ``Posture.Read``): the latest report as JSON, or as an
  HTML page when the client prefers ``text/html`` (a browser does).
* ``GET /api/posture/history?days=N`` (``Posture.Read``): the counts of every report
  of the last N days (1-90, default 7), oldest first.
* ``POST /api/posture/run`` (role ``Posture.Admin``): runs now, stores and returns it.

``Posture.Admin`` may read too. Errors use the one JSON error shape. The roles and limits,
and the OpenAPI description of these routes, are in :mod:`blueprints.contracts.posture`.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func

from blueprints.contracts.posture import ADMIN_ROLE, DEFAULT_HISTORY_DAYS, READ_ROLE
from blueprints.http.negotiation import prefers_html
from blueprints.http.responses import error_response, json_response, unavailable_response
from posture.context import CheckContext
from posture.report.document import build_report, headline
from posture.report.page import CONTENT_SECURITY_POLICY, to_html
from posture.report.store import MAX_HISTORY_DAYS, ReportStore
from posture.runner import run_rules
from shared import storage
from shared.principal import PrincipalError, principal_from_headers

logger = logging.getLogger("app.posture")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


def report_store() -> ReportStore:
    return ReportStore(storage.container(storage.POSTURE_CONTAINER))


def run_and_publish() -> dict[str, Any]:
    """Run every rule against this process's environment, store the report, log it."""
    context = CheckContext()
    report = build_report(run_rules(context), context)
    name = report_store().save(report)
    logger.info("%s (report %s)", headline(report), name)
    for result in report["results"]:
        if result["status"] == "fail":
            logger.warning(
                "posture rule %s failed (%s): %s",
                result["id"],
                result["severity"],
                result["message"],
            )
    return report


@bp.timer_trigger(
    schedule="%POSTURE_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def posture_timer(timer: func.TimerRequest) -> None:
    if timer.past_due:
        logger.info("posture run is past due; running now")
    run_and_publish()


def _refusal(req: func.HttpRequest, *roles: str) -> func.HttpResponse | None:
    try:
        principal = principal_from_headers(req.headers)
    except PrincipalError:
        return error_response(401, "unauthenticated", "an authenticated caller is required")
    if not any(principal.has_role(role) for role in roles):
        return error_response(403, "forbidden", f"the caller lacks the app role {roles[0]}")
    return None


def _report_response(req: func.HttpRequest, report: dict[str, Any]) -> func.HttpResponse:
    if prefers_html(req.headers.get("accept")):
        return func.HttpResponse(
            to_html(report),
            status_code=200,
            mimetype="text/html",
            charset="utf-8",
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff",
                "Vary": "Accept",
            },
        )
    return json_response(report, headers={"Vary": "Accept"})


@bp.route(route="posture", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def get_posture(req: func.HttpRequest) -> func.HttpResponse:
    refused = _refusal(req, READ_ROLE, ADMIN_ROLE)
    if refused is not None:
        return refused
    from azure.core.exceptions import AzureError

    try:
        report = report_store().latest()
    except AzureError as exc:
        logger.error("posture report not read (%s)", type(exc).__name__)
        return unavailable_response("the report could not be read; retry later")
    if report is None:
        return error_response(
            404,
            "not_found",
            "no posture report yet: wait for the schedule or POST /api/posture/run",
        )
    return _report_response(req, report)


@bp.route(route="posture/history", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def posture_history(req: func.HttpRequest) -> func.HttpResponse:
    refused = _refusal(req, READ_ROLE, ADMIN_ROLE)
    if refused is not None:
        return refused
    raw = req.params.get("days", str(DEFAULT_HISTORY_DAYS)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HISTORY_DAYS:
        return error_response(
            400,
            "invalid_parameter",
            f"days must be a whole number from 1 to {MAX_HISTORY_DAYS}",
            target="days",
        )
    days = int(raw)
    from azure.core.exceptions import AzureError

    try:
        reports = report_store().history(days=days)
    except AzureError as exc:
        logger.error("posture history not read (%s)", type(exc).__name__)
        return unavailable_response("the history could not be read; retry later")
    return json_response({"days": days, "reports": reports})


@bp.route(route="posture/run", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def run_posture(req: func.HttpRequest) -> func.HttpResponse:
    from azure.core.exceptions import AzureError  # not at indexing: cold start

    refused = _refusal(req, ADMIN_ROLE)
    if refused is not None:
        return refused
    try:
        report = run_and_publish()
    except AzureError as exc:
        logger.error("posture report not stored (%s)", type(exc).__name__)
        return unavailable_response("the report could not be stored; retry later")
    return _report_response(req, report)
