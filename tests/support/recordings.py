"""Recorded ARM, Resource Graph, Graph and Logs answers, and the one-field changes tests derive.

Each file in ``recordings/`` holds the bodies a set of rules reads, in the shape the
service returns them (its ``source`` names the REST operation and SDK model), with
synthetic ids: ``resource_graph`` (rows of the Resource Graph query),
``graph_collections`` (the Graph collections the stub pages itself) and ``responses``
(``"<METHOD> <path>"`` -> body, or a list of pages linked by ``nextLink``). A test
starts from the passing recording and changes exactly one field to make a rule fail.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.support.arm_stub import CloudModel

FOLDER = Path(__file__).with_name("recordings")


def load(name: str) -> dict[str, Any]:
    recording: dict[str, Any] = json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))
    return recording


def model(recording: dict[str, Any]) -> CloudModel:
    """A stub model answering with the recording (a deep copy: tests may change it)."""
    data = copy.deepcopy(recording)
    collections = data.get("graph_collections") or {}
    return CloudModel(
        resources=data.get("resource_graph") or [],
        applications=collections.get("applications") or [],
        service_principals=collections.get("servicePrincipals") or [],
        recorded=data.get("responses") or {},
    )


def derive(recording: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A copy of ``recording`` with the one field at ``path`` set to ``value``."""
    changed = copy.deepcopy(recording)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    last = path[-1]
    if isinstance(target, dict) and not isinstance(last, int):
        assert last in target or value is not None, f"no field {path}"
    target[last] = value
    return changed
