"""A small evaluator of the template's Bicep, over pycep-parser's trees: what a deployment holds.

The posture tests derive the deployment ``azd up`` would make from ``infra/`` itself, so the
template and the checker cannot drift apart. This module evaluates the expressions the
template uses (parameters, variables, module parameters and outputs, ``${}`` interpolation,
property and index accessors, conditionals and the handful of functions it calls) with
fixed deployment facts (subscription, tenant, a resource token). Values that only exist
after a deployment (an account's endpoints, a vault's URI, a site's host name, an
identity's ids) come from :class:`Platform`, which the caller points at its local stand-in.

pycep drops the quotes of string literals, so a bare string is a parameter or variable when
the file declares one of that name and a literal otherwise; resources and modules are only
reached through accessors (``rotation.outputs.name``), ``scope`` and ``parent``, never as a
bare value (``var stateContainer = 'rotation'`` beside ``module rotation`` is a literal).
An expression it cannot evaluate raises :class:`DerivationError` naming it: a template
change that outgrows this evaluator fails loudly instead of deriving nonsense.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Tree = dict[str, Any]
_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
_NS = uuid.UUID("6f3c1a52-0d4e-4b8a-9c7e-2a1b3c4d5e6f")


class DerivationError(ValueError):
    """The template holds an expression the evaluator does not know."""


def stable_guid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "|".join(str(p) for p in parts)))


@dataclass
class Platform:
    """What Azure decides at deployment: ids, endpoints, and the names of the deployment."""

    subscription: str
    resource_group: str
    tenant: str
    token: str
    endpoint: Callable[[str, str], str]  # (service: blob|queue|table|vault, name) -> URL
    login: str = "https://login.microsoftonline.com/"
    client_ids: dict[str, str] = field(default_factory=dict)  # identity name -> client id

    def rg_id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"


@dataclass
class Resource:
    """A declared or existing resource of one evaluated file."""

    symbol: str
    type: str
    name: str
    id: str
    body: Tree
    module: Module

    def runtime(self) -> dict[str, Any]:
        """The read-only properties Azure fills in after creating it."""
        platform, name = self.module.platform, self.name
        if self.type == "Microsoft.Storage/storageAccounts":
            ends = {s: platform.endpoint(s, name) for s in ("blob", "queue", "table")}
            return {"primaryEndpoints": ends}
        if self.type == "Microsoft.KeyVault/vaults":
            return {"vaultUri": platform.endpoint("vault", name)}
        if self.type == "Microsoft.Insights/components":
            ikey = stable_guid("ikey", name)
            return {"ConnectionString": f"InstrumentationKey={ikey};IngestionEndpoint="
                    "https://westeurope-5.in.applicationinsights.azure.com/"}  # fmt: skip
        if self.type == "Microsoft.Web/sites":
            return {"defaultHostName": f"{name}.azurewebsites.net"}
        if self.type == "Microsoft.OperationalInsights/workspaces":
            return {"customerId": stable_guid("workspace", name)}
        return {}

    def attribute(self, name: str) -> Any:
        if self.type.startswith("Microsoft.Graph/"):  # Graph's: its own ids, its alternate key
            return {"id": stable_guid("graph-object", self.name), "uniqueName": self.name,
                    "appId": stable_guid("graph-app", self.name)}[name]  # fmt: skip
        if name == "id":
            return self.id
        if name == "name":
            return self.name
        if name == "properties":
            return {**self.module.value(self.body.get("properties") or {}), **self.runtime()}
        if name == "identity":
            return {"principalId": stable_guid("principal", self.id)}
        raise DerivationError(f"{self.symbol}.{name}")


class Module:
    """One Bicep file evaluated with its parameters."""

    def __init__(self, path: str, trees: dict[str, Tree], params: dict[str, Any],
                 platform: Platform) -> None:  # fmt: skip
        self.path, self.trees, self.platform = path, trees, platform
        self.tree = trees[path]
        self.params = params
        self._cache: dict[str, Any] = {}
        self._evaluating: set[str] = set()

    # -- names ---------------------------------------------------------------------------

    def lookup(self, name: str) -> Any:
        if name in self._cache:
            return self._cache[name]
        if name in self._evaluating:
            return name  # a literal that spells the name under evaluation
        self._evaluating.add(name)
        try:
            found = self._find(name)
        finally:
            self._evaluating.discard(name)
        self._cache[name] = found
        return found

    def _find(self, name: str) -> Any:
        tree = self.tree
        if name in self.params:
            found = self.params[name]
        elif name in (tree.get("parameters") or {}):
            default = tree["parameters"][name].get("default")
            found = self.value(default)
        elif name in (tree.get("variables") or {}):
            found = self.value(tree["variables"][name]["value"])
        elif name in (tree.get("resources") or {}):
            found = self.resource(name)
        elif name in (tree.get("modules") or {}):
            found = self.module(name)
        else:
            raise KeyError(name)
        return found

    def known(self, name: str, *, symbols: bool = False) -> bool:
        """A parameter or variable of this file (or, with ``symbols``, a resource or module)."""
        tree = self.tree
        kinds = ("parameters", "variables", "resources", "modules") if symbols else (
            "parameters", "variables")  # fmt: skip
        return name in self.params or any(name in (tree.get(k) or {}) for k in kinds)

    def symbol(self, node: Any) -> Any:
        """An accessor's left side: a name of any kind, else an expression."""
        if isinstance(node, str) and self.known(node, symbols=True):
            return self.lookup(node)
        return self.value(node)

    def resource(self, symbol: str) -> Resource:
        resource = self.tree["resources"][symbol]
        body = resource["config"]
        if "loop_type" in body or ("condition" in body and "config" in body):
            body = body["config"]
        rtype = resource["type"]
        if rtype.startswith("Microsoft.Graph/"):  # keyed by uniqueName; a child by its own name
            key = body.get("uniqueName") or str(body["name"]).rsplit("/", 1)[-1]
            name = str(self.value(key))
            return Resource(symbol, rtype, name, f"graph:{name}", body, self)
        name = str(self.value(body["name"]))
        parent = body.get("parent")
        if parent:
            owner = self.resource(parent)
            rid = f"{owner.id}/{rtype.rsplit('/', 1)[-1]}/{name}"
        else:
            provider, _, kind = rtype.partition("/")
            rid = f"{self.platform.rg_id()}/providers/{provider}/{kind}/{name}"
        return Resource(symbol, rtype, name, rid, body, self)

    def module(self, symbol: str) -> Module | dict[str, Any]:
        declared = self.tree["modules"][symbol]
        config = declared["config"]
        if "condition" in config and "config" in config:  # `= if (...) {`: its body inside
            config = config["config"]
        params = {k: self.value(v) for k, v in (config.get("params") or {}).items()}
        if declared["type"] == "bicep_registry_alias":
            if "managed-identity/user-assigned-identity" not in declared["detail"]["path"]:
                raise DerivationError(f"registry module {declared['detail']['path']}")
            rid = f"{self.platform.rg_id()}/providers/Microsoft.ManagedIdentity/" \
                f"userAssignedIdentities/{params['name']}"  # fmt: skip
            client = self.platform.client_ids.get(params["name"], stable_guid("client", rid))
            return {"outputs": {"resourceId": rid, "clientId": client, "name": params["name"],
                                "principalId": stable_guid("principal", rid)}}  # fmt: skip
        folder = self.path.rsplit("/", 1)[0]
        return Module(f"{folder}/{declared['detail']['path']}", self.trees, params, self.platform)

    def output(self, name: str) -> Any:
        return self.value(self.tree["outputs"][name]["value"])

    # -- expressions -----------------------------------------------------------------------

    def text(self, expression: str) -> Any:
        """An expression written as text (inside ``${}``): names, accessors, a few calls."""
        expression = expression.strip()
        calls = {
            "environment().authentication.loginEndpoint": self.platform.login,
            "tenant().tenantId": self.platform.tenant,
            "subscription().subscriptionId": self.platform.subscription,
            "resourceGroup().name": self.platform.resource_group,
        }
        if expression in calls:
            return calls[expression]
        head, *rest = expression.split(".")
        value = self.lookup(head)
        for step in rest:
            value = self._attribute(value, step)
        return value

    def _attribute(self, value: Any, name: str) -> Any:
        if isinstance(value, Resource):
            return value.attribute(name)
        if isinstance(value, Module):
            return _Outputs(value) if name == "outputs" else None
        if isinstance(value, _Outputs):
            return value.module.output(name)
        if isinstance(value, dict):
            return value.get(name)
        raise DerivationError(f"{value!r}.{name}")

    def value(self, node: Any) -> Any:
        if node is None or isinstance(node, bool | int | float):
            return node
        if isinstance(node, str):
            if "${" in node:
                return _INTERPOLATION.sub(lambda m: str(self.text(m.group(1))), node)
            return self.lookup(node) if self.known(node) else node
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if "loop_type" in node:
            return self._loop(node)
        if "operator" in node:
            return self._operator(node["operator"])
        if "function" in node:
            return self._function(node["function"])
        return {self._key(key): self.value(item) for key, item in node.items()}

    def _key(self, key: str) -> str:
        """An object key: quoted ones may interpolate (``'${identityId}': {}``)."""
        text = key.strip("'")
        return _INTERPOLATION.sub(lambda m: str(self.text(m.group(1))), text)

    def _loop(self, node: Tree) -> list[Any]:
        """``[for x in array: ...]`` or ``[for x in items(object): ...]``: one value per item."""
        detail = node["loop_type"]["detail"]
        if node["loop_type"]["type"] == "object":
            source = self.lookup(detail["object_name"])
            elements: list[Any] = [{"key": k, "value": v} for k, v in source.items()]
        else:
            elements = list(self.lookup(detail["array_name"]))
        found = []
        for element in elements:
            inner = Module(self.path, self.trees, {**self.params, detail["item_name"]: element},
                           self.platform)  # fmt: skip
            inner._cache = {k: v for k, v in self._cache.items() if k != detail["item_name"]}
            found.append(inner.value(node["config"]))
        return found

    def _operator(self, op: Tree) -> Any:
        kind, operands = op["type"], op.get("operands") or {}
        if kind == "conditional":
            chosen = "true_value" if self.value(operands["condition"]) else "false_value"
            return self.value(operands[chosen])
        if kind == "property_accessor":
            left = self.symbol(operands["operand_1"])
            right = operands["operand_2"]
            while isinstance(right, dict) and "operator" in right:  # a.b.c nests to the right
                inner = right["operator"]["operands"]
                left = self._attribute(left, str(inner["operand_1"]))
                right = inner["operand_2"]
            return self._attribute(left, str(right))
        if kind == "index_accessor":
            return self.symbol(operands["operand_1"])[self.value(operands["operand_2"])]
        if kind == "not":
            return not self.value(operands.get("bool_value") or operands.get("operand_1"))
        if kind in ("and", "or"):
            values = [self.value(v) for v in operands.values()]
            return all(values) if kind == "and" else any(values)
        if kind in ("equals", "not_equals"):
            a, b = (self.value(v) for v in operands.values())
            return (a == b) if kind == "equals" else (a != b)
        raise DerivationError(f"operator {kind}")

    def _function(self, fn: Tree) -> Any:
        kind = fn["type"]
        args = [self.value(v) for v in (fn.get("parameters") or {}).values()]
        prop = fn.get("property_name")
        if kind == "subscription":
            sub = {"subscriptionId": self.platform.subscription,
                   "id": f"/subscriptions/{self.platform.subscription}"}  # fmt: skip
            return sub[prop] if prop else sub
        if kind == "resource_group":
            rg = {"name": self.platform.resource_group, "id": self.platform.rg_id()}
            return rg[prop] if prop else rg
        if kind == "tenant":
            return (
                self.platform.tenant if prop == "tenantId" else {"tenantId": self.platform.tenant}
            )
        if kind == "environment":  # the public cloud's, as Platform.login says
            found: Any = {
                "name": "AzureCloud",
                "authentication": {"loginEndpoint": self.platform.login},
            }
            for step in str(prop or "").split("."):
                found = found[step] if step else found
            return found
        if kind == "unique_string":
            return self.platform.token
        if kind == "to_lower":
            return str(args[0]).lower()
        if kind == "take":
            return args[0][: int(args[1])]
        if kind == "empty":
            return not args[0]
        if kind == "guid":
            return stable_guid(*args)
        if kind == "union":
            merged: dict[str, Any] = {}
            for item in args:
                merged.update(item or {})
            return merged
        if kind == "items":
            return [{"key": k, "value": v} for k, v in (args[0] or {}).items()]
        if kind == "subscription_resource_id":
            return f"/subscriptions/{self.platform.subscription}/providers/{args[0]}/" + "/".join(
                str(a) for a in args[1:] if a is not None
            )
        raise DerivationError(f"function {kind}")


@dataclass
class _Outputs:
    module: Module


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
