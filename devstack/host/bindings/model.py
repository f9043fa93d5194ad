"""A function's bindings, read from the library's indexed function as the host reads
``function.json``: name, type, direction, ``dataType`` and the remaining settings.

Which of them the devstack host runs is decided here too; a function with any other
binding is refused at start-up by name (the rest of the app still loads).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.functions.decorators.constants import (
    BLOB as BLOB,
)
from azure.functions.decorators.constants import (
    BLOB_TRIGGER as BLOB_TRIGGER,
)
from azure.functions.decorators.constants import (
    HTTP_OUTPUT,
)
from azure.functions.decorators.constants import (
    HTTP_TRIGGER as HTTP_TRIGGER,
)
from azure.functions.decorators.constants import (
    QUEUE as QUEUE,
)
from azure.functions.decorators.constants import (
    QUEUE_TRIGGER as QUEUE_TRIGGER,
)
from azure.functions.decorators.constants import (
    TABLE as TABLE,
)
from azure.functions.decorators.constants import (
    TIMER_TRIGGER as TIMER_TRIGGER,
)

IN = "in"
OUT = "out"
INOUT = "inout"
RETURN = "$return"

# The binding type names are the library's own (what the worker sends the host).
HTTP = HTTP_OUTPUT

#: (type, direction) pairs the devstack host runs.
SUPPORTED: frozenset[tuple[str, str]] = frozenset(
    {
        (HTTP_TRIGGER, IN),
        (QUEUE_TRIGGER, IN),
        (TIMER_TRIGGER, IN),
        (BLOB_TRIGGER, IN),
        (HTTP, OUT),
        (QUEUE, OUT),
        (BLOB, IN),
        (BLOB, OUT),
        (TABLE, IN),
        (TABLE, OUT),
    }
)
TRIGGERS = frozenset({HTTP_TRIGGER, QUEUE_TRIGGER, TIMER_TRIGGER, BLOB_TRIGGER})
#: Bindings that reach Storage through a ``connection`` (and so need its service URIs).
STORAGE_SERVICE: dict[str, str] = {
    QUEUE_TRIGGER: "queue",
    QUEUE: "queue",
    BLOB_TRIGGER: "blob",
    BLOB: "blob",
    TABLE: "table",
}


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """One entry of a function's bindings, as the host sees it."""

    name: str
    type: str
    direction: str
    data_type: str | None = None  # "string", "binary", "stream" or None
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_return(self) -> bool:
        return self.name == RETURN

    @property
    def is_trigger(self) -> bool:
        return self.type.endswith("Trigger")

    def setting(self, key: str, default: Any = None) -> Any:
        """A setting by name, case-insensitively (``function.json`` keys are)."""
        lowered = key.lower()
        for name, value in self.settings.items():
            if name.lower() == lowered:
                return value
        return default

    def describe(self) -> str:
        return f"'{self.name}' ({self.type}, {self.direction})"


def read_bindings(function: Any) -> tuple[BindingSpec, ...]:
    """The bindings of a ``azure.functions`` ``Function``, from the raw JSON the worker
    sends the host (``get_raw_bindings()``, one ``function.json`` entry each)."""
    specs: list[BindingSpec] = []
    for text in function.get_raw_bindings():
        raw: dict[str, Any] = json.loads(text)
        data_type = raw.pop("dataType", None)
        specs.append(
            BindingSpec(
                name=str(raw.pop("name", "")),
                type=str(raw.pop("type", "")),
                direction=str(raw.pop("direction", IN)).lower(),
                data_type=str(data_type).lower() if data_type is not None else None,
                settings=raw,
            )
        )
    return tuple(specs)


def unsupported(spec: BindingSpec) -> bool:
    return (spec.type, spec.direction) not in SUPPORTED
