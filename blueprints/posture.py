"""The posture checker: on a schedule, on demand, and its reports over HTTP.

* Timer ``%POSTURE_SCHEDULE%`` (every 6 hours by default; not on start-up, so a
  restart loop cannot hammer the vault and the control plane): runs every rule,
  stores ``posture/<yyyy>/<mm>/<dd>/<HHMMSS>.json`` and ``posture/latest.json``, logs
  one summary line and one warning per failed rule (names and counts, no value).
* ``GET /api/posture`` (role ``Posture.Read``): the latest report as JSON, or as an
  HTML page when the client prefers ``text/html`` (a browser does); ``?format=sarif`` or
  ``?format=junit`` renders it for code scanning or a CI test report.
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

from blueprints.contracts.posture import (
    ADMIN_ROLE,
    DEFAULT_HISTORY_DAYS,
    READ_ROLE,
    REPORT_FORMATS,
    SARIF_MEDIA_TYPE,
)
from blueprints.http.caller import require_caller
from blueprints.http.errors import BadRequest, NotFound, api_errors
from blueprints.http.negotiation import prefers_html
from blueprints.http.responses import json_response
from posture.report.store import MAX_HISTORY_DAYS, ReportStore
from shared import storage

logger = logging.getLogger("app.posture")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


def report_store() -> ReportStore:
    return ReportStore(storage.container(storage.POSTURE_CONTAINER))


def run_and_publish() -> dict[str, Any]:
    """Run every rule against this process's environment, store the report, log it."""
    # The rules and the report builder load when a run is due, not when the app indexes:
    # every cold start would pay for them (P1 in docs/performance.md).
    from posture.context import CheckContext
    from posture.report.document import build_report, headline
    from posture.runner import run_rules

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


def _report_format(req: func.HttpRequest) -> str:
    """The rendering asked for: ``?format=`` when given (checked first, before any work),
    else HTML for a client that prefers it, else JSON."""
    asked: str | None = req.params.get("format")
    if asked is None:
        return "html" if prefers_html(req.headers.get("accept")) else "json"
    if asked not in REPORT_FORMATS:
        raise BadRequest(
            f"format must be one of {', '.join(REPORT_FORMATS)}",
            code="invalid_parameter",
            target="format",
        )
    return asked


def _report_response(req: func.HttpRequest, report: dict[str, Any]) -> func.HttpResponse:
    wanted = _report_format(req)
    if wanted == "sarif":
        import json

        from posture.report.sarif import to_sarif

        return func.HttpResponse(
            json.dumps(to_sarif(report)),
            status_code=200,
            mimetype=SARIF_MEDIA_TYPE,
            charset="utf-8",
            headers={"Cache-Control": "no-store", "Vary": "Accept"},
        )
    if wanted == "junit":
        from posture.report.junit import to_junit

        return func.HttpResponse(
            to_junit(report),
            status_code=200,
            mimetype="application/xml",
            charset="utf-8",
            headers={"Cache-Control": "no-store", "Vary": "Accept"},
        )
    if wanted == "html":
        from posture.report.page import CONTENT_SECURITY_POLICY, to_html

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
@api_errors(storage="the report could not be read; retry later")
def get_posture(req: func.HttpRequest) -> func.HttpResponse:
    require_caller(req, READ_ROLE, ADMIN_ROLE)
    _report_format(req)
    report = report_store().latest()
    if report is None:
        raise NotFound("no posture report yet: wait for the schedule or POST /api/posture/run")
    return _report_response(req, report)


@bp.route(route="posture/history", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_errors(storage="the history could not be read; retry later")
def posture_history(req: func.HttpRequest) -> func.HttpResponse:
    require_caller(req, READ_ROLE, ADMIN_ROLE)
    raw = req.params.get("days", str(DEFAULT_HISTORY_DAYS)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HISTORY_DAYS:
        raise BadRequest(
            f"days must be a whole number from 1 to {MAX_HISTORY_DAYS}",
            code="invalid_parameter",
            target="days",
        )
    days = int(raw)
    return json_response({"days": days, "reports": report_store().history(days=days)})


@bp.route(route="posture/run", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@api_errors(storage="the report could not be stored; retry later")
def run_posture(req: func.HttpRequest) -> func.HttpResponse:
    require_caller(req, ADMIN_ROLE)
    _report_format(req)
    return _report_response(req, run_and_publish())
