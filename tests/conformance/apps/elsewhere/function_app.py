"""An app kept outside the project, as a user would run one on the devstack.

Its local.settings.json (written by the test) says ``AzureWebJobsStorage`` is
``UseDevelopmentStorage=true``, as emulator-based samples do.
"""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> str:
    return "hello from elsewhere"


@app.route(route="enqueue", methods=["POST"])
@app.queue_output(arg_name="msg", queue_name="elsewhere-out", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> str:
    msg.set(req.get_body().decode())
    return "queued"
