"""A conformance app for where the devstack host once differed from the Functions host:
the queue round trip through the host's own output binding, an unhandled exception, the
library's (system) logger, and generic bindings of types the host knows."""

import json
import logging
import uuid

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
CONN = "AzureWebJobsStorage"


@app.route(route="roundtrip", methods=["POST"])
@app.queue_output(arg_name="msg", queue_name="conf-roundtrip", connection=CONN)
def roundtrip_in(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    note = {"id": str(uuid.uuid4()), "text": req.get_body().decode()}
    msg.set(json.dumps(note))
    return func.HttpResponse(json.dumps(note), status_code=202, mimetype="application/json")


@app.queue_trigger(arg_name="msg", queue_name="conf-roundtrip", connection=CONN)
@app.blob_output(arg_name="$return", path="conf-roundtrip/{id}.txt", connection=CONN)
def roundtrip_out(msg: func.QueueMessage) -> str:
    return str(json.loads(msg.get_body())["text"])


@app.route(route="unhandled", methods=["GET"])
def unhandled(req: func.HttpRequest) -> str:
    return str(1 / 0)


@app.route(route="sdk-logging", methods=["GET"])
def sdk_logging(req: func.HttpRequest) -> str:
    logging.getLogger("azure.functions").warning("sdk logger warning")
    logging.getLogger("azure_functions_worker").error("worker logger error")
    logging.warning("user logger warning")
    return "OK"


@app.route(route="generic-out", methods=["POST"])
@app.generic_output_binding(
    arg_name="msg", type="queue", queueName="conf-generic-out", connection=CONN
)
def generic_out(req: func.HttpRequest, msg: func.Out[str]) -> str:
    msg.set(req.get_body().decode())
    return "OK"


@app.generic_trigger(
    arg_name="msg", type="queueTrigger", queueName="conf-generic-trigger", connection=CONN
)
@app.generic_output_binding(
    arg_name="$return", type="blob", path="conf-generic/{rand-guid}.txt", connection=CONN
)
def generic_trigger(msg: func.QueueMessage) -> str:
    return msg.get_body().decode()
