"""One Python file: parse it once, collect its facts, report code findings and bindings."""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field

from migrate.model import Finding, Problem
from migrate.scan import pybindings, pycode, pyfacts
from migrate.scan.bindings import Binding, SecretSetting
from migrate.scan.pyfacts import EnvRead
from migrate.tree import SourceFile


@dataclass(slots=True)
class PythonResult:
    findings: list[Finding] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    secret_settings: list[SecretSetting] = field(default_factory=list)
    reads: list[EnvRead] = field(default_factory=list)
    v2: bool = False


def scan(source: SourceFile, http: pybindings.HttpFacts) -> PythonResult | Problem:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like: still Python
            tree = ast.parse(source.text, filename=source.relative)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return Problem(source.relative, f"not valid Python{where}: {exc.msg}; not scanned")
    except (ValueError, RecursionError, MemoryError) as exc:
        return Problem(source.relative, f"cannot be parsed ({type(exc).__name__}); not scanned")
    facts = pyfacts.collect(tree)
    result = PythonResult()
    result.bindings, result.secret_settings, result.v2 = pybindings.scan_module(
        tree, facts, source.relative, http
    )
    result.findings = pycode.scan_module(tree, facts, source.relative)
    result.reads = list(facts.reads.values())
    return result
