"""The files API: upload, list, retrieve, content, delete.

A `fine-tune` file is checked at upload (datasets.inspect) but stays `pending` for
Settings.file_seconds, then shows `processed`, or `error` with `status_details`, the way
Azure reports its asynchronous file validation.
"""

from __future__ import annotations

from aiohttp import web

from local.aoai.context import Emulator, emulator
from local.aoai.datasets import DatasetError, inspect
from local.aoai.errors import invalid, not_found, require
from local.aoai.protocol import cursor_page
from local.aoai.state import FileRecord, new_id, now

UPLOAD_PURPOSES = {"fine-tune", "assistants", "batch", "user_data", "vision", "evals"}


def check_purpose(purpose: str | None) -> str:
    if purpose not in UPLOAD_PURPOSES:
        raise invalid(
            f"Invalid value for purpose: {purpose!r}. Supported values: "
            f"{', '.join(sorted(UPLOAD_PURPOSES))}.",
            param="purpose",
        )
    return purpose


def add_file(emu: Emulator, filename: str, purpose: str, content: bytes, ready_in: float) -> FileRecord:
    """Store a file; a fine-tune file's verdict is decided now and revealed after `ready_in`."""
    problem = None
    if purpose == "fine-tune":
        try:
            inspect(content)
        except DatasetError as error:
            problem = str(error)
    created = now()
    record = FileRecord(new_id("file-"), filename, purpose, content, created, created + ready_in, problem)
    emu.store.files[record.id] = record
    emu.changed()
    return record


def advance(emu: Emulator, at: float) -> None:
    for record in emu.store.files.values():
        if record.status == "pending" and at >= record.ready_at:
            record.status = "error" if record.problem else "processed"
            emu.changed()


def get_file(emu: Emulator, file_id: str) -> FileRecord:
    return require(emu.store.files.get(file_id), not_found("File", file_id))


async def create(request: web.Request) -> web.Response:
    emu = emulator(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise invalid("The 'file' field is required and must be a file.", param="file")
    purpose = check_purpose(form.get("purpose"))  # type: ignore[arg-type]
    record = add_file(emu, upload.filename or "file", purpose, upload.file.read(), emu.settings.file_seconds)
    return web.json_response(record.to_api(), status=201)


async def list_files(request: web.Request) -> web.Response:
    emu = emulator(request)
    purpose = request.query.get("purpose")
    records = [r for r in emu.store.files.values() if purpose is None or r.purpose == purpose]
    records.sort(key=lambda r: r.created_at, reverse=request.query.get("order", "desc") != "asc")
    return cursor_page(request, records, FileRecord.to_api, lambda r: r.id, default_limit=10000)


async def retrieve(request: web.Request) -> web.Response:
    return web.json_response(get_file(emulator(request), request.match_info["file_id"]).to_api())


async def content(request: web.Request) -> web.Response:
    record = get_file(emulator(request), request.match_info["file_id"])
    return web.Response(body=record.content, content_type="application/octet-stream")


async def delete(request: web.Request) -> web.Response:
    emu = emulator(request)
    record = get_file(emu, request.match_info["file_id"])
    del emu.store.files[record.id]
    return web.json_response({"id": record.id, "object": "file", "deleted": True})


ROUTES = [
    web.post("/files", create),
    web.get("/files", list_files),
    web.get("/files/{file_id}", retrieve),
    web.get("/files/{file_id}/content", content),
    web.delete("/files/{file_id}", delete),
]
