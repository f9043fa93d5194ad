"""Resource schemas for exact API versions, read from the Azure SDK management packages.

ARM validates a resource body against the schema of the API version in its type string
(`Microsoft.Web/sites@2024-04-01`): an unknown property or enum literal is rejected (or, for
some providers, silently dropped) at `azd provision`, never earlier. The Azure SDK for Python
management packages are generated from the same REST API specifications, one model class per
schema, so their models are an offline copy of what ARM checks:

- msrest-style models (versioned sub-packages such as ``azure.mgmt.web.v2024_04_01``) list
  their wire names in ``_attribute_map`` (``properties.serverFarmId`` is a flattened path),
  read-only ones in ``_validation`` and enum types in ``__init__``'s annotations;
- TypeSpec-style models (single-version packages such as ``azure-mgmt-resource`` 26) declare
  each wire name as a ``rest_field`` with a visibility list, and their types as annotations.

This module turns either kind into one small description (:class:`Shape`) that the Bicep
checker walks. Which model describes which `type@apiVersion` is the table ``SCHEMAS``; the
checker also proves that the installed package really models that API version (from the
sub-package name, or from the default ``api-version`` of the package's operations), so a
package upgrade that changes the modelled version fails loudly instead of checking the
template against the wrong schema.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
import typing
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class SchemaRef:
    """Where the model of one `type@apiVersion` lives: a models module and a class in it."""

    models: str
    model: str


# (resource type, API version) -> model. Child resources whose body depends on their name
# (Microsoft.Web/sites/config) are keyed by (type, API version, name) in NAMED_SCHEMAS.
SCHEMAS: dict[tuple[str, str], SchemaRef] = {
    ("Microsoft.Resources/resourceGroups", "2025-04-01"): SchemaRef(
        "azure.mgmt.resource.resources.models", "ResourceGroup"
    ),
    ("Microsoft.Insights/components", "2020-02-02"): SchemaRef(
        "azure.mgmt.applicationinsights.v2020_02_02.models", "ApplicationInsightsComponent"
    ),
    ("Microsoft.Insights/diagnosticSettings", "2021-05-01-preview"): SchemaRef(
        "azure.mgmt.monitor.v2021_05_01_preview.models", "DiagnosticSettingsResource"
    ),
    ("Microsoft.OperationalInsights/workspaces", "2025-07-01"): SchemaRef(
        "azure.mgmt.loganalytics.models", "Workspace"
    ),
    ("Microsoft.Web/serverfarms", "2024-04-01"): SchemaRef(
        "azure.mgmt.web.v2024_04_01.models", "AppServicePlan"
    ),
    ("Microsoft.Web/sites", "2024-04-01"): SchemaRef("azure.mgmt.web.v2024_04_01.models", "Site"),
    ("Microsoft.Web/sites/basicPublishingCredentialsPolicies", "2024-04-01"): SchemaRef(
        "azure.mgmt.web.v2024_04_01.models", "CsmPublishingCredentialsPoliciesEntity"
    ),
    ("Microsoft.KeyVault/vaults", "2023-07-01"): SchemaRef(
        "azure.mgmt.keyvault.v2023_07_01.models", "VaultCreateOrUpdateParameters"
    ),
    ("Microsoft.KeyVault/vaults/secrets", "2023-07-01"): SchemaRef(
        "azure.mgmt.keyvault.v2023_07_01.models", "SecretCreateOrUpdateParameters"
    ),
    ("Microsoft.Storage/storageAccounts", "2023-05-01"): SchemaRef(
        "azure.mgmt.storage.v2023_05_01.models", "StorageAccountCreateParameters"
    ),
    ("Microsoft.Storage/storageAccounts/blobServices", "2023-05-01"): SchemaRef(
        "azure.mgmt.storage.v2023_05_01.models", "BlobServiceProperties"
    ),
    ("Microsoft.Storage/storageAccounts/blobServices/containers", "2023-05-01"): SchemaRef(
        "azure.mgmt.storage.v2023_05_01.models", "BlobContainer"
    ),
    ("Microsoft.Storage/storageAccounts/queueServices", "2023-05-01"): SchemaRef(
        "azure.mgmt.storage.v2023_05_01.models", "QueueServiceProperties"
    ),
    ("Microsoft.Storage/storageAccounts/queueServices/queues", "2023-05-01"): SchemaRef(
        "azure.mgmt.storage.v2023_05_01.models", "StorageQueue"
    ),
    ("Microsoft.Storage/storageAccounts/tableServices", "2023-05-01"): SchemaRef(
        "azure.mgmt.storage.v2023_05_01.models", "TableServiceProperties"
    ),
    ("Microsoft.Network/networkSecurityGroups", "2024-05-01"): SchemaRef(
        "azure.mgmt.network.models", "NetworkSecurityGroup"
    ),
    ("Microsoft.Network/virtualNetworks", "2024-05-01"): SchemaRef(
        "azure.mgmt.network.models", "VirtualNetwork"
    ),
    ("Microsoft.Network/privateEndpoints", "2024-05-01"): SchemaRef(
        "azure.mgmt.network.models", "PrivateEndpoint"
    ),
    ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "2024-05-01"): SchemaRef(
        "azure.mgmt.network.models", "PrivateDnsZoneGroup"
    ),
    ("Microsoft.Network/privateDnsZones", "2024-06-01"): SchemaRef(
        "azure.mgmt.privatedns.models", "PrivateZone"
    ),
    ("Microsoft.Network/privateDnsZones/virtualNetworkLinks", "2024-06-01"): SchemaRef(
        "azure.mgmt.privatedns.models", "VirtualNetworkLink"
    ),
    ("Microsoft.Authorization/roleAssignments", "2022-04-01"): SchemaRef(
        "azure.mgmt.authorization.v2022_04_01.models", "RoleAssignmentCreateParameters"
    ),
    ("Microsoft.EventGrid/systemTopics", "2025-02-15"): SchemaRef(
        "azure.mgmt.eventgrid.models", "SystemTopic"
    ),
    ("Microsoft.EventGrid/systemTopics/eventSubscriptions", "2025-02-15"): SchemaRef(
        "azure.mgmt.eventgrid.models", "EventSubscription"
    ),
}

NAMED_SCHEMAS: dict[tuple[str, str, str], SchemaRef] = {
    ("Microsoft.Web/sites/config", "2024-04-01", "authsettingsV2"): SchemaRef(
        "azure.mgmt.web.v2024_04_01.models", "SiteAuthSettingsV2"
    ),
    ("Microsoft.Web/sites/config", "2024-04-01", "web"): SchemaRef(
        "azure.mgmt.web.v2024_04_01.models", "SiteConfigResource"
    ),
    ("Microsoft.Web/sites/config", "2024-04-01", "appsettings"): SchemaRef(
        "azure.mgmt.web.v2024_04_01.models", "StringDictionary"
    ),
}

# A resource whose body azd/ARM reads with `existing` needs its type@version known too (the
# GET uses that version), but has no body to check.
_VERSION_IN_MODULE = re.compile(r"\.v(\d{4})_(\d{2})_(\d{2})(_preview)?\.")
_OPERATION_VERSION = re.compile(r'"api-version", "(\d{4}-\d{2}-\d{2}(?:-preview)?)"')


def lookup(type_: str, api_version: str, name: str | None = None) -> SchemaRef | None:
    """The model for a resource type at an API version (and, for config, a name)."""
    if name is not None and (type_, api_version, name) in NAMED_SCHEMAS:
        return NAMED_SCHEMAS[(type_, api_version, name)]
    return SCHEMAS.get((type_, api_version))


def known_versions(type_: str) -> list[str]:
    """API versions of a type this table knows (for the error message)."""
    keys = list(SCHEMAS) + [(t, v) for t, v, _ in NAMED_SCHEMAS]
    return sorted({v for t, v in keys if t == type_})


def is_named_type(type_: str) -> bool:
    return any(t == type_ for t, _, _ in NAMED_SCHEMAS)


@cache
def modelled_api_version(models_module: str) -> str:
    """The API version the installed package models, read from the package itself.

    A versioned sub-package names it (``...v2021_05_01_preview.models``); a single-version
    package sends it as the default ``api-version`` of its operations, so the version most of
    them send is the one its models describe.
    """
    found = _VERSION_IN_MODULE.search(models_module + ".")
    if found:
        year, month, day, preview = found.groups()
        return f"{year}-{month}-{day}" + ("-preview" if preview else "")
    package = importlib.import_module(models_module.rsplit(".", 1)[0])
    folder = Path(str(package.__file__)).parent / "operations"
    versions: Counter[str] = Counter()
    for source in folder.glob("*.py"):
        versions.update(_OPERATION_VERSION.findall(source.read_text(encoding="utf-8")))
    if not versions:
        raise LookupError(f"{models_module}: no default api-version in its operations")
    version, count = versions.most_common(1)[0]
    if count < 0.9 * sum(versions.values()):
        raise LookupError(f"{models_module}: operations send several versions: {dict(versions)}")
    return version


# --- the description the checker walks -------------------------------------------------------


@dataclass
class Field:
    """One property: its wire name's type, the enum it takes (if any), whether ARM owns it.

    A model's shape is resolved on first use: the network models refer to each other in
    cycles (a subnet names its security group, which lists its subnets).
    """

    kind: str  # "model", "list", "dict", "str", "bool", "int", "float", "object", "any"
    target: tuple[ModuleType, type] | None = None  # the model, for "model" and lists/dicts of one
    item_kind: str = ""  # for "list"/"dict": the element kind
    enum: frozenset[str] = frozenset()
    read_only: bool = False
    inline: Shape | None = None  # a flattened intermediate object ('properties')

    @property
    def shape(self) -> Shape | None:
        if self.inline is not None:
            return self.inline
        if self.target is None:
            return None
        return _shape(*self.target)


@dataclass
class Shape:
    """The properties a JSON object of one model may carry."""

    name: str
    fields: dict[str, Field] = field(default_factory=dict)
    open: bool = False  # additionalProperties: any key is allowed

    def get(self, key: str) -> Field | None:
        # ARM property names are case-insensitive on input; Bicep warns but ARM accepts.
        if key in self.fields:
            return self.fields[key]
        lowered = {k.lower(): v for k, v in self.fields.items()}
        return lowered.get(key.lower())


_PRIMITIVES = {
    "str": "str",
    "bool": "bool",
    "int": "int",
    "long": "int",
    "float": "float",
    "iso-8601": "str",
    "rfc-1123": "str",
    "duration": "str",
    "date": "str",
    "bytearray": "str",
    "base64": "str",
    "object": "object",
}


def shape_of(ref: SchemaRef) -> Shape:
    """The shape of a model class named by a SchemaRef."""
    module = importlib.import_module(ref.models)
    return _shape(module, getattr(module, ref.model))


@cache
def _shape(module: ModuleType, cls: type) -> Shape:
    if hasattr(cls, "_attribute_map"):
        return _msrest_shape(module, cls)
    return _typespec_shape(module, cls)


def _enum_values(module: ModuleType, annotation: Any) -> frozenset[str]:
    """Values of the enum named in a type annotation (string or evaluated)."""
    text = str(annotation)
    for name in re.findall(r"_models\.(\w+)|\b([A-Z]\w+)\b", text):
        candidate = getattr(module, name[0] or name[1], None)
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return frozenset(str(member.value) for member in candidate)
    return frozenset()


def _msrest_field(module: ModuleType, type_text: str, annotation: Any) -> Field:
    if type_text.startswith("[") and type_text.endswith("]"):
        inner = _msrest_field(module, type_text[1:-1], annotation)
        return Field("list", target=inner.target, item_kind=inner.kind, enum=inner.enum)
    if type_text.startswith("{") and type_text.endswith("}"):
        inner = _msrest_field(module, type_text[1:-1], annotation)
        return Field("dict", target=inner.target, item_kind=inner.kind, enum=inner.enum)
    if type_text in _PRIMITIVES:
        kind = _PRIMITIVES[type_text]
        return Field(kind, enum=_enum_values(module, annotation) if kind == "str" else frozenset())
    target = getattr(module, type_text, None)
    if isinstance(target, type) and issubclass(target, enum.Enum):
        return Field("str", enum=frozenset(str(m.value) for m in target))
    if target is None:
        return Field("any")
    return Field("model", target=(module, target))


def _msrest_shape(module: ModuleType, cls: type) -> Shape:
    shape = Shape(cls.__name__)
    validation: dict[str, dict[str, Any]] = getattr(cls, "_validation", {})
    try:
        annotations = {n: p.annotation for n, p in inspect.signature(cls).parameters.items()}
    except (TypeError, ValueError):
        annotations = {}
    for attr, spec in cls._attribute_map.items():  # type: ignore[attr-defined]
        key, type_text = spec["key"], spec["type"]
        if key == "":
            shape.open = True  # additional_properties
            continue
        leaf = _msrest_field(module, type_text, annotations.get(attr, ""))
        leaf.read_only = bool(validation.get(attr, {}).get("readonly"))
        # 'properties.serverFarmId' is flattened: build the intermediate objects. A dot that
        # belongs to the wire name is escaped ('odata\\.type').
        parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", key)]
        target = shape
        for part in parts[:-1]:
            holder = target.fields.get(part)
            if holder is None or holder.inline is None:
                holder = Field("model", inline=Shape(f"{target.name}.{part}"))
                target.fields[part] = holder
            assert holder.inline is not None
            target = holder.inline
        target.fields[parts[-1]] = leaf
    # A discriminated base (EventSubscriptionDestination: endpointType) is written with the
    # properties of one of its subtypes: the check accepts those of any of them.
    for names in vars(cls).get("_subtype_map", {}).values():  # declared here, not inherited
        for sub_name in names.values():
            sub = getattr(module, sub_name, None)
            if isinstance(sub, type) and sub is not cls and hasattr(sub, "_attribute_map"):
                _merge(shape, _msrest_shape(module, sub))
    # An intermediate object is read-only only if everything in it is.
    for holder in shape.fields.values():
        if holder.inline is not None:
            holder.read_only = all(f.read_only for f in holder.inline.fields.values())
    return shape


def _merge(into: Shape, other: Shape) -> None:
    """Add ``other``'s fields to ``into``, merging flattened intermediate objects."""
    for key, value in other.fields.items():
        mine = into.fields.get(key)
        if mine is None:
            into.fields[key] = value
        elif mine.inline is not None and value.inline is not None:
            _merge(mine.inline, value.inline)


def _typespec_field(module: ModuleType, annotation: Any) -> Field:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Union:
        models = [a for a in args if isinstance(a, type) and not issubclass(a, enum.Enum)]
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums:
            return Field("str", enum=frozenset(str(m.value) for m in enums[0]))
        non_str = [a for a in args if a is not str]
        if len(args) == 1 or not non_str:
            return _typespec_field(module, args[0])
        if models and len(models) == len(args):
            return _typespec_field(module, models[0])
        return Field("any")
    if origin in (list, typing.List):  # noqa: UP006 - the SDK may annotate either way
        inner = _typespec_field(module, args[0])
        return Field("list", target=inner.target, item_kind=inner.kind, enum=inner.enum)
    if origin in (dict, typing.Dict):  # noqa: UP006
        inner = _typespec_field(module, args[1])
        return Field("dict", target=inner.target, item_kind=inner.kind, enum=inner.enum)
    if annotation in (str, bool, int, float):
        return Field(annotation.__name__)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return Field("str", enum=frozenset(str(m.value) for m in annotation))
    if isinstance(annotation, type) and hasattr(annotation, "__mro__"):
        return Field("model", target=(module, annotation))
    return Field("any")


def _typespec_shape(module: ModuleType, cls: type) -> Shape:
    shape = Shape(cls.__name__)
    package = importlib.import_module(cls.__module__)
    hints = typing.get_type_hints(cls, globalns={**vars(package), "_models": module})
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            rest_name = getattr(value, "_rest_name_input", None)
            if not hasattr(value, "_visibility") or attr.startswith("__"):
                continue
            wire = rest_name or attr
            leaf = _typespec_field(module, hints.get(attr, Any))
            visibility = getattr(value, "_visibility", None) or []
            leaf.read_only = bool(visibility) and set(visibility) <= {"read"}
            shape.fields[wire] = leaf
    return shape
