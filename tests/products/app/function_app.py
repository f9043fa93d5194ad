"""A small app of another team, run on an installed devstack (tests/products).

An HTTP API that takes orders onto a queue, a queue trigger that writes each order's
receipt to a blob, and an HTTP function that reads a receipt back: every Storage connection
identity-based (``ORDERS__queueServiceUri``, ``ORDERS__blobServiceUri``), no key anywhere.
It has a package of its own named ``shared``, as many apps do: the devstack host must load
the app's, not the one installed with the devstack.
"""

import json

import azure.functions as func
from shared.words import receipt_for, welcome

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
CONN = "ORDERS"


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> str:
    return welcome()


@app.route(route="orders/{name}", methods=["POST"])
@app.queue_output(arg_name="order", queue_name="orders", connection=CONN)
def take_order(req: func.HttpRequest, order: func.Out[str]) -> func.HttpResponse:
    name = req.route_params["name"]
    order.set(json.dumps({"name": name, "item": req.get_body().decode()}))
    return func.HttpResponse(f"order {name} taken", status_code=202)


@app.queue_trigger(arg_name="order", queue_name="orders", connection=CONN)
@app.blob_output(arg_name="$return", path="receipts/{name}.txt", connection=CONN)
def write_receipt(order: func.QueueMessage) -> str:
    body = json.loads(order.get_body())
    return receipt_for(body["name"], body["item"])


@app.route(route="receipts/{name}", methods=["GET"])
@app.blob_input(
    arg_name="receipt", path="receipts/{name}.txt", data_type=func.DataType.STRING, connection=CONN
)
def read_receipt(req: func.HttpRequest, receipt: str) -> func.HttpResponse:
    if not receipt:  # the worker passes None for a blob that does not exist yet
        return func.HttpResponse("no receipt yet", status_code=404)
    return func.HttpResponse(receipt)
