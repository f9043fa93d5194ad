"""With ``vnetEnabled``, both function apps have the same network shape: the template compiled
for that one parameter, by following the parsed Bicep from each app's settings to the storage
accounts and the vault behind them.

For each app module of infra/main.bicep (a module whose file declares a ``Microsoft.Web/sites``):

- **integration**: its site's ``virtualNetworkSubnetId`` is followed through main.bicep's module
  parameters to a subnet of infra/modules/network.bicep, which must be delegated to
  ``Microsoft.App/environments`` (Flex Consumption's integration) and be the app's own: an App
  Service plan integrates only with a subnet no other plan uses ("is not in use by another App
  Service Plan",
  https://learn.microsoft.com/rest/api/appservice/web-apps/create-or-update-swift-virtual-network-connection-with-check);
- **what it reaches**: every endpoint URL among its app settings and its deployment package
  location is followed back to a storage module output (blob, queue, table) or the vault's
  URI; the module's account is then evaluated with ``vnetEnabled=true``: private means
  ``publicNetworkAccess: 'Disabled'`` and ``defaultAction: 'Deny'``, and network.bicep must
  give that account a private endpoint for that service.

A finding: one app integrated and the other not, two apps on one subnet, or anything an app
reaches left public (or without its private endpoint) while another app's is private.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from tests.infra import bicep_model as bm

MAIN = "infra/main.bicep"
NETWORK_MODULE = "network"
SITES = "Microsoft.Web/sites"
# Storage module outputs and the vault's URI, by the private endpoint group they need.
SERVICES = {
    "blobEndpoint": "blob",
    "queueEndpoint": "queue",
    "tableEndpoint": "table",
    "uri": "vault",
}
INTERPOLATION = re.compile(r"\$\{([^}]*)\}")

Trees = dict[str, dict[str, Any]]


class Unknown(Exception):
    """An expression the offline evaluation cannot reduce."""


@dataclass(frozen=True)
class Ref:
    """A reference only the deployment resolves (``network.outputs.appSubnetId``), as text."""

    text: str


def evaluate(tree: dict[str, Any], node: Any, bindings: dict[str, Any]) -> Any:
    """The value of a simple expression in one file: literals, parameters, variables,
    ``cond ? a : b``, ``!x``, ``empty(x)``; ``a.b`` and ``a[b]`` stay references. Parameters
    come from ``bindings`` (or their default); anything else raises :class:`Unknown`."""
    if node is None or isinstance(node, bool | int | list):
        return node
    if isinstance(node, str):
        if node in bindings:
            return bindings[node]
        if node in tree.get("parameters", {}):
            return evaluate(tree, tree["parameters"][node].get("default"), bindings)
        if node in tree.get("variables", {}):
            return evaluate(tree, tree["variables"][node]["value"], bindings)
        return node
    operator = node.get("operator") if isinstance(node, dict) else None
    if operator and operator["type"] in ("property_accessor", "index_accessor"):
        return Ref(bm.render(node))
    if operator and operator["type"] == "conditional":
        operands = operator["operands"]
        chosen = "true_value" if evaluate(tree, operands["condition"], bindings) else "false_value"
        return evaluate(tree, operands[chosen], bindings)
    if operator and operator["type"] in ("logical_not", "not"):
        operands = operator["operands"]
        negated = operands.get("bool_expression", operands.get("bool_value"))
        return not evaluate(tree, negated, bindings)
    function = node.get("function") if isinstance(node, dict) else None
    if function and function["type"] == "empty":
        return not evaluate(tree, function["parameters"]["item_to_test"], bindings)
    if isinstance(node, dict) and not operator and not function:
        return node  # an object literal
    raise Unknown(bm.render(node))


@dataclass
class App:
    """One function app: where it is integrated and what it reaches."""

    module: str
    subnet: str | None = None
    reaches: set[tuple[str, str]] = field(default_factory=set)  # (main module, service)


def _target(module: dict[str, Any]) -> str | None:
    if module["type"] != "local":
        return None
    return str(PurePosixPath(MAIN).parent / module["detail"]["path"])


def _module_params(trees: Trees, symbol: str) -> dict[str, Any]:
    params: dict[str, Any] = bm.body(trees[MAIN]["modules"][symbol]).get("params") or {}
    return params


def _main_bindings(vnet: bool) -> dict[str, Any]:
    # PARTNER_AUTH=key: the shape with both apps (with entra there is no rotation app).
    return {"vnetEnabled": vnet, "entraPartner": False}


def _param_value(trees: Trees, symbol: str, param: str, vnet: bool) -> Any:
    """A module parameter's value as main.bicep passes it, evaluated where it can be."""
    passed = _module_params(trees, symbol).get(param)
    if passed is None:
        target = _target(trees[MAIN]["modules"][symbol])
        default = trees[target]["parameters"].get(param, {}).get("default") if target else None
        return evaluate(trees[target], default, {}) if target else None
    try:
        return evaluate(trees[MAIN], passed, _main_bindings(vnet))
    except Unknown:
        return passed


def _outputs_of(trees: Trees, value: Any) -> list[tuple[str, str]]:
    """(main module, output) pairs an expression of main.bicep reads."""
    if isinstance(value, Ref):
        text = value.text
    elif isinstance(value, str):
        text = value
    else:
        text = " ".join(sorted(bm.identifiers(value))) + " " + bm.render(value)
    return re.findall(r"\b(\w+)\.outputs\.(\w+)\b", text)


def _referenced_params(tree: dict[str, Any], value: Any) -> set[str]:
    """Parameters of the app's file an app setting is built from."""
    params = tree.get("parameters", {})
    if isinstance(value, str):
        names = set(INTERPOLATION.findall(value)) or {value}
        return {n for n in names if n in params}
    return {n for n in bm.identifiers(value) if n in params}


def _reached(trees: Trees, symbol: str, param: str, seen: set[str]) -> set[tuple[str, str]]:
    """Storage and vault services behind one parameter of an app module, through outputs."""
    found: set[tuple[str, str]] = set()
    # Evaluated first, so a `cond ? a : b` parameter follows the branch the shape takes.
    for module, output in _outputs_of(trees, _param_value(trees, symbol, param, vnet=True) or ""):
        if module not in trees[MAIN]["modules"] or f"{module}.{output}" in seen:
            continue
        seen.add(f"{module}.{output}")
        target = _target(trees[MAIN]["modules"][module])
        if target is None:
            continue
        if output in SERVICES and target.endswith(("storage.bicep", "keyvault.bicep")):
            found.add((module, SERVICES[output]))
            continue
        out = trees[target].get("outputs", {}).get(output)
        for inner in _referenced_params(trees[target], out["value"] if out else None):
            found |= _reached(trees, module, inner, seen)
    return found


def _subnet(trees: Trees, symbol: str, site: dict[str, Any], tree: dict[str, Any]) -> str | None:
    """The subnet the app's site integrates with when vnetEnabled, or None."""
    node = bm.get(bm.body(site), "properties", "virtualNetworkSubnetId")
    params = _referenced_params(tree, node)
    if not params:
        return None
    (param,) = params
    value = _param_value(trees, symbol, param, vnet=True)
    if value in ("", None):
        return None
    for module, output in _outputs_of(trees, value):
        if module != NETWORK_MODULE:
            continue
        network = trees[str(_target(trees[MAIN]["modules"][module]))]
        declared = network.get("outputs", {}).get(output, {}).get("value", "")
        match = re.search(r"/subnets/([\w-]+)$", str(declared))
        return match.group(1) if match else None
    return None


def apps(trees: Trees) -> list[App]:
    """Every app module of main.bicep, compiled for vnetEnabled=true."""
    found = []
    for symbol, module in trees[MAIN].get("modules", {}).items():
        target = _target(module)
        if target is None:
            continue
        tree = trees[target]
        for _, site in bm.resources_of_type(tree, SITES):
            app = App(symbol, subnet=_subnet(trees, symbol, site, tree))
            settings = tree.get("variables", {}).get("appSettings", {}).get("value", {})
            package = bm.get(
                bm.body(site), "properties", "functionAppConfig", "deployment", "storage", "value"
            )
            for value in [*settings.values(), package]:
                for param in _referenced_params(tree, value):
                    app.reaches |= _reached(trees, symbol, param, set())
            found.append(app)
    return found


def _private(trees: Trees, module: str) -> bool:
    """Whether a storage or vault module's resource is closed when vnetEnabled."""
    target = str(_target(trees[MAIN]["modules"][module]))
    tree = trees[target]
    bindings = {p: _param_value(trees, module, p, vnet=True) for p in tree.get("parameters", {})}
    for _, resource in tree.get("resources", {}).items():
        if resource["type"] in ("Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults"):
            props = bm.body(resource)["properties"]
            access = evaluate(tree, props.get("publicNetworkAccess"), bindings)
            action = evaluate(tree, bm.get(props, "networkAcls", "defaultAction"), bindings)
            return bool(access == "Disabled" and action == "Deny")
    return False


def _endpoints(trees: Trees) -> set[tuple[str, str]]:
    """(main module, service) pairs network.bicep gives a private endpoint."""
    target = str(_target(trees[MAIN]["modules"][NETWORK_MODULE]))
    params = _module_params(trees, NETWORK_MODULE)
    found = set()
    for entry in trees[target]["variables"]["endpoints"]["value"]:
        for module, output in _outputs_of(trees, params.get(entry["target"], "")):
            if output == "id":
                found.add((module, str(entry["groupId"])))
    return found


def _delegated(trees: Trees, subnet: str) -> bool:
    target = str(_target(trees[MAIN]["modules"][NETWORK_MODULE]))
    for _, vnet in bm.resources_of_type(trees[target], "Microsoft.Network/virtualNetworks"):
        for entry in bm.body(vnet)["properties"]["subnets"]:
            if entry["name"] == subnet:
                services = [
                    d["properties"]["serviceName"]
                    for d in entry["properties"].get("delegations", [])
                ]
                return services == ["Microsoft.App/environments"]
    return False


def findings(trees: Trees) -> list[str]:
    """What breaks the parity of the apps' network shape under vnetEnabled=true."""
    compiled = apps(trees)
    result = []
    network = trees[MAIN]["modules"].get(NETWORK_MODULE)
    if network is None or not evaluate(
        trees[MAIN], bm.condition(network), _main_bindings(vnet=True)
    ):
        result.append("the network module is not deployed when vnetEnabled")
    integrated = [a for a in compiled if a.subnet]
    for app in compiled:
        if not app.subnet and integrated:
            others = ", ".join(f"{a.module} ({a.subnet})" for a in integrated)
            result.append(f"{app.module}: not integrated with the virtual network, but {others} is")
        elif app.subnet and not _delegated(trees, app.subnet):
            result.append(
                f"{app.module}: subnet {app.subnet} is not delegated to Microsoft.App/environments"
            )
    subnets = [a.subnet for a in integrated]
    for subnet in {s for s in subnets if subnets.count(s) > 1}:
        result.append(f"apps share subnet {subnet}: each plan needs its own")
    privacy = {m: _private(trees, m) for a in compiled for m, _ in a.reaches}
    if not any(privacy.values()):
        return result
    endpoints = _endpoints(trees) if NETWORK_MODULE in trees[MAIN]["modules"] else set()
    for app in compiled:
        for module, service in sorted(app.reaches):
            if not privacy[module]:
                result.append(
                    f"{app.module}: reaches {module} ({service}) over its public "
                    "endpoint while other resources are private"
                )
            elif (module, service) not in endpoints:
                result.append(
                    f"{app.module}: {module} is closed but has no private endpoint for {service}"
                )
    return result
