"""Blob input and output bindings (Azure Functions docs) on HTTP functions and a blob trigger."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="copy/{name}", methods=["POST"])
@app.blob_input(arg_name="inputblob", path="%BLOB_CONTAINER%/inbox/{name}", connection="AzureWebJobsStorage")
@app.blob_output(
    arg_name="outputblob", path="%BLOB_CONTAINER%/outbox/{name}", connection="AzureWebJobsStorage"
)
def copy_text(req: func.HttpRequest, inputblob: str, outputblob: func.Out[str]) -> func.HttpResponse:
    if inputblob is None:
        return func.HttpResponse(f"no blob inbox/{req.route_params['name']}", status_code=404)
    outputblob.set(inputblob.upper())
    return func.HttpResponse(f"copied {len(inputblob)} characters")


@app.route(route="checksum/{name}", methods=["GET"])
@app.blob_input(
    arg_name="data",
    path="%BLOB_CONTAINER%/inbox/{name}",
    connection="AzureWebJobsStorage",
    data_type=func.DataType.BINARY,
)
def checksum(req: func.HttpRequest, data: bytes) -> func.HttpResponse:
    return func.HttpResponse(f"{type(data).__name__} {len(data)} {sum(data) % 256}")


@app.route(route="head/{name}", methods=["GET"])
@app.blob_input(arg_name="stream", path="%BLOB_CONTAINER%/inbox/{name}", connection="AzureWebJobsStorage")
def head(req: func.HttpRequest, stream: func.InputStream) -> func.HttpResponse:
    first = stream.read(int(req.params.get("bytes", "4")))
    return func.HttpResponse(f"{stream.name} {stream.length} {first.decode()}")


@app.route(route="notes", methods=["POST"])
@app.blob_output(arg_name="note", path="%BLOB_CONTAINER%/notes/{id}.txt", connection="AzureWebJobsStorage")
def save_note(req: func.HttpRequest, note: func.Out[bytes]) -> func.HttpResponse:
    note.set(req.get_json()["text"].encode())
    return func.HttpResponse("saved", status_code=201)


@app.blob_trigger(arg_name="upload", path="%BLOB_CONTAINER%/uploads/{name}", connection="AzureWebJobsStorage")
@app.blob_output(
    arg_name="summary", path="%BLOB_CONTAINER%/summaries/{name}.txt", connection="AzureWebJobsStorage"
)
def summarize(upload: func.InputStream, summary: func.Out[str]) -> None:
    summary.set(f"{upload.name}: {len(upload.read())} bytes")
