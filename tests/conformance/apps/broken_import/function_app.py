"""A conformance app whose import fails: the host must say which file and why."""

import azure.functions as func
import module_that_is_not_installed  # type: ignore[import-not-found]  # noqa: F401

app = func.FunctionApp()
