"""The blueprint the debugger test stops in (the line marked ``breakpoint here``)."""

import azure.functions as func

bp = func.Blueprint()


@bp.route(route="greet", methods=["GET"])
def greet(req: func.HttpRequest) -> str:
    name = req.params.get("name", "world")
    greeting = f"hello {name}"  # breakpoint here
    return greeting
