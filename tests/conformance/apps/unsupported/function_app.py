"""A conformance app mixing bindings the devstack host runs with ones it does not.

Each function with an unsupported binding must be refused at start-up, by name and
binding, while the others load and answer.
"""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="still-works", methods=["GET"])
def still_works(req: func.HttpRequest) -> str:
    return "loaded"


@app.service_bus_queue_trigger(arg_name="msg", queue_name="orders", connection="ServiceBus")
def service_bus_consumer(msg: func.ServiceBusMessage) -> None:
    raise AssertionError("never runs on the devstack host")


@app.route(route="publish", methods=["POST"])
@app.event_hub_output(arg_name="event", event_hub_name="telemetry", connection="EventHub")
def event_hub_producer(req: func.HttpRequest, event: func.Out[str]) -> str:
    event.set("never sent")
    return "never answers"


@app.route(route="generic", methods=["GET"])
@app.generic_input_binding(arg_name="doc", type="cosmosDB", databaseName="db", id="1")
def cosmos_reader(req: func.HttpRequest, doc: str) -> str:
    return doc


@app.queue_trigger(
    arg_name="msg", queue_name="%QUEUE_NAME_NOBODY_SET%", connection="AzureWebJobsStorage"
)
def missing_setting(msg: func.QueueMessage) -> None:
    raise AssertionError("never runs: its queue name is an unset app setting")
