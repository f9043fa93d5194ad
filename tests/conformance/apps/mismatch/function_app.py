"""A conformance app the worker cannot index: a parameter with no binding."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="fine", methods=["GET"])
def fine(req: func.HttpRequest) -> str:
    return "fine"


@app.route(route="mismatched", methods=["GET"])
def mismatched(req: func.HttpRequest, extra: str) -> str:
    return extra
