"""A local stand-in for Azure Resource Manager, Resource Graph and Microsoft Graph.

The posture checker's control-plane and Entra rules use the real SDK clients
(``ResourceGraphClient``, ``ResourceManagementClient``) and plain HTTPS to Graph;
pointed at this stub over TLS, they exercise their whole pipeline: bearer token,
request shape, paging, errors. Answers follow the services' documented shapes:

* Resource Graph ``POST /providers/Microsoft.ResourceGraph/resources``: ``totalRecords``,
  ``count``, ``resultTruncated``, ``data`` (objectArray), ``facets`` and ``$skipToken``
  while more rows remain (the request's ``options.$skipToken`` asks for them);
* ARM GETs of ``sites/<app>/config/web``, ``.../basicPublishingCredentialsPolicies/{ftp,scm}``
  (``properties.allow``) and ``.../config/configreferences/appsettings`` (a ``value`` list
  of references); anything else is 404 ``ResourceNotFound`` in ARM's error shape;
* Graph ``/v1.0/applications`` and ``/v1.0/servicePrincipals`` (``value`` and an absolute
  ``@odata.nextLink`` with ``$skiptoken``), ``/v1.0/policies/defaultAppManagementPolicy`` and
  ``/v1.0/policies/appManagementPolicies`` (the custom policies, ``value``);
* recorded answers (tests/support/recordings/): any other ARM or Graph GET, and the Logs
  query API's ``POST /v1/workspaces/<id>/query``, answered with the recorded body of
  ``"<METHOD> <path>"``; a list of bodies is pages, the one asked for chosen by
  ``$skiptoken`` (the recorded ``nextLink`` names it, with ``{origin}`` for this server).

Every request is recorded with the audience of its token (read, not verified).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class CloudModel:
    """What the stub answers; tests fill it and read ``requests`` back."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    web_config: dict[str, dict[str, Any]] = field(default_factory=dict)  # site id -> properties
    publishing: dict[tuple[str, str], bool] = field(default_factory=dict)  # (site id, ftp|scm)
    kv_references: dict[str, list[str]] = field(default_factory=dict)  # site id -> settings
    applications: list[dict[str, Any]] = field(default_factory=list)
    service_principals: list[dict[str, Any]] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)
    custom_policies: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 3
    recorded: dict[str, Any] = field(default_factory=dict)  # "GET /path" -> body or pages
    arm_failure: tuple[int, str] | None = None  # (status, code) for every ARM request
    graph_failure: tuple[int, str] | None = None
    logs_failure: tuple[int, str] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


#: What each plane says when the model makes it refuse every request.
_REFUSALS = {
    "arm": "The client does not have authorization.",
    "graph": "Insufficient privileges to complete the operation.",
    "logs": "The provided credentials have insufficient access to perform the requested operation",
}


def create_cloud_stub(model: CloudModel, origin: str) -> Starlette:
    async def admit(request: Request, plane: str) -> Response | None:
        """Record the request; return its refusal (no token, or the plane's set failure)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        body = await request.body()
        audience = None
        if scheme.lower() == "bearer" and token:
            audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
        model.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "body": json.loads(body) if body else None,
                "audience": audience,
            }
        )
        if audience is None:
            return _error(401, "AuthenticationFailed", "Authentication failed.")
        failure = {"arm": model.arm_failure, "graph": model.graph_failure}.get(
            plane, model.logs_failure
        )
        if failure:
            status, code = failure
            return _error(status, code, _REFUSALS[plane])
        return None

    async def resource_graph(request: Request) -> Response:
        refused = await admit(request, "arm")
        if refused is not None:
            return refused
        options = (model.requests[-1]["body"] or {}).get("options") or {}
        start = int(options.get("$skipToken") or 0)
        rows = model.resources[start : start + model.page_size]
        answer: dict[str, Any] = {
            "totalRecords": len(model.resources),
            "count": len(rows),
            "resultTruncated": "false",
            "data": rows,
            "facets": [],
        }
        if start + model.page_size < len(model.resources):
            answer["$skipToken"] = str(start + model.page_size)
        return JSONResponse(answer)

    async def arm_get(request: Request) -> Response:
        refused = await admit(request, "arm")
        if refused is not None:
            return refused
        path = request.url.path
        for suffix in ("ftp", "scm"):
            site = path.removesuffix(f"/basicPublishingCredentialsPolicies/{suffix}")
            if site != path and (site, suffix) in model.publishing:
                return JSONResponse(
                    {
                        "id": path,
                        "name": suffix,
                        "type": "Microsoft.Web/sites/basicPublishingCredentialsPolicies",
                        "properties": {"allow": model.publishing[(site, suffix)]},
                    }
                )
        site = path.removesuffix("/config/web")
        if site != path and site in model.web_config:
            return JSONResponse(
                {
                    "id": path,
                    "name": "web",
                    "type": "Microsoft.Web/sites/config",
                    "properties": model.web_config[site],
                }
            )
        site = path.removesuffix("/config/configreferences/appsettings")
        if site != path and site in model.kv_references:
            return JSONResponse({"value": [_reference(site, n) for n in model.kv_references[site]]})
        return replay(request, "ResourceNotFound")

    def replay(request: Request, missing: str) -> Response:
        """The recorded answer to this request (a page of it), or the service's 404."""
        answer = model.recorded.get(f"{request.method} {request.url.path}")
        if answer is None:
            return _error(404, missing, "The resource was not found.")
        if isinstance(answer, list):
            answer = answer[int(request.query_params.get("$skiptoken") or 0)]
        answer = _filtered(answer, request.query_params.get("$filter") or "")
        text = json.dumps(answer).replace("{origin}", origin)
        return Response(text, media_type="application/json")

    async def recorded_graph(request: Request) -> Response:
        refused = await admit(request, "graph")
        return refused if refused is not None else replay(request, "Request_ResourceNotFound")

    async def recorded_logs(request: Request) -> Response:
        refused = await admit(request, "logs")
        return refused if refused is not None else replay(request, "PathNotFoundError")

    def graph_collection(attribute: str, name: str) -> Any:
        async def endpoint(request: Request) -> Response:
            refused = await admit(request, "graph")
            if refused is not None:
                return refused
            items: list[dict[str, Any]] = getattr(model, attribute)
            start = int(request.query_params.get("$skiptoken") or 0)
            page: dict[str, Any] = {
                "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#{name}",
                "value": items[start : start + 2],
            }
            if start + 2 < len(items):
                page["@odata.nextLink"] = f"{origin}/v1.0/{name}?$skiptoken={start + 2}"
            return JSONResponse(page)

        return endpoint

    async def graph_policy(request: Request) -> Response:
        refused = await admit(request, "graph")
        if refused is not None:
            return refused
        return JSONResponse(model.policy)

    async def graph_custom_policies(request: Request) -> Response:
        refused = await admit(request, "graph")
        if refused is not None:
            return refused
        return JSONResponse({"value": model.custom_policies})

    return Starlette(
        routes=[
            Route("/providers/Microsoft.ResourceGraph/resources", resource_graph, methods=["POST"]),
            Route("/subscriptions/{rest:path}", arm_get, methods=["GET"]),
            Route(
                "/v1.0/applications",
                graph_collection("applications", "applications"),
                methods=["GET"],
            ),
            Route(
                "/v1.0/servicePrincipals",
                graph_collection("service_principals", "servicePrincipals"),
                methods=["GET"],
            ),
            Route("/v1.0/policies/defaultAppManagementPolicy", graph_policy, methods=["GET"]),
            Route("/v1.0/policies/appManagementPolicies", graph_custom_policies, methods=["GET"]),
            Route("/v1.0/{rest:path}", recorded_graph, methods=["GET"]),
            Route("/v1/workspaces/{rest:path}", recorded_logs, methods=["POST"]),
        ]
    )


def _filtered(answer: Any, odata_filter: str) -> Any:
    """A collection narrowed as ARM narrows it for ``principalId eq '<id>'`` (the role
    assignments of one principal); any other filter is answered as recorded."""
    wanted = odata_filter.removeprefix("principalId eq ").strip("'")
    if wanted == odata_filter or not isinstance(answer, dict) or "value" not in answer:
        return answer
    items = [i for i in answer["value"] if (i.get("properties") or {}).get("principalId") in
             (wanted, None)]  # fmt: skip
    return {**answer, "value": items}


def _reference(site: str, setting: str) -> dict[str, Any]:
    return {
        "id": f"{site}/config/configreferences/appsettings/{setting}",
        "name": setting,
        "type": "Microsoft.Web/sites/config/configreferences",
        "properties": {
            "reference": f"@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/{setting})",
            "status": "Resolved",
            "vaultName": "kv",
            "secretName": setting,
            "identityType": "UserAssigned",
            "source": "KeyVault",
        },
    }
