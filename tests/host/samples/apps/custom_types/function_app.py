"""Custom classes as payloads (Durable Functions docs, serialization): `to_json`/`from_json` on both sides.

With AZURE_FUNCTIONS_DURABLE_STRICT_TYPING=1 an orchestration decodes custom results with
`expected_type` and passes plain JSON to activities.
"""

import json

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


class Invoice:
    def __init__(self, number: str, total: float) -> None:
        self.number = number
        self.total = total

    @staticmethod
    def to_json(obj: "Invoice") -> str:
        return json.dumps({"number": obj.number, "total": obj.total})

    @staticmethod
    def from_json(text: str) -> "Invoice":
        return Invoice(**json.loads(text))


@app.route(route="orchestrators/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def bill_customer(context: df.DurableOrchestrationContext):
    """Strict-typing friendly: plain JSON in, a custom class out of the activity, decoded by type."""
    invoice = yield context.call_activity("create_invoice", context.get_input(), expected_type=Invoice)
    return {"type": type(invoice).__name__, "number": invoice.number, "total": invoice.total}


@app.orchestration_trigger(context_name="context")
def round_trip(context: df.DurableOrchestrationContext):
    """Loose mode: a custom object goes to the activity and comes back, as in the official sample."""
    echoed = yield context.call_activity("double_invoice", Invoice("A-1", 21.0))
    return {"type": type(echoed).__name__, "total": echoed.total}


@app.activity_trigger(input_name="order")
def create_invoice(order: dict) -> Invoice:
    return Invoice(f"INV-{order['id']}", order["quantity"] * order["price"])


@app.activity_trigger(input_name="invoice")
def double_invoice(invoice: Invoice) -> Invoice:
    return Invoice(invoice.number, invoice.total * 2)
