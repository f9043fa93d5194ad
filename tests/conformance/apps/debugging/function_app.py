"""A conformance app whose one function lives in a blueprint, as the product's do: the
debugger test sets a breakpoint in the blueprint's module."""

import azure.functions as func
from greeting_blueprint import bp  # type: ignore[import-not-found]  # the app dir is on sys.path

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
