"""The files API: upload, list, retrieve, content, delete; and file expiry.

A `fine-tune` file is checked at upload (datasets.inspect) but is processed for
Settings.file_seconds before it shows `processed`, or `error` with `status_details`, the way
the service reports its asynchronous validation. Each surface names the processing state its
own way: the authoring spec's FileState says `pending`, then `running`; OpenAI's `uploaded`.
A file uploaded with `expires_after` is deleted at `created_at + seconds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from local.aoai.context import Emulator, emulator
from local.aoai.datasets import DatasetError, inspect
from local.aoai.errors import invalid, missing, require
from local.aoai.protocol import cursor_page
from local.aoai.routes import Route
from local.aoai.state import FileRecord, new_id, now
from local.aoai.surfaces import Surface, surface_of

__all__ = [
    "ROUTES",
    "add_file",
    "advance",
    "check_expires_after",
    "check_purpose",
    "file_view",
    "get_file",
]

# The authoring spec's Purpose enum (Files_Upload and UploadFile_Start take all of it).
AZURE_PURPOSES = (
    "fine-tune",
    "fine-tune-results",
    "assistants",
    "assistants_output",
    "batch",
    "batch_output",
    "evals",
    "evals_output",
)
# OpenAI's CreateFileRequest and CreateUploadRequest purposes.
V1_FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
V1_UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision")
# FileExpiresAfter.seconds (authoring) and FileExpirationAfter.seconds (OpenAI).
EXPIRY_RANGE = {Surface.AUTHORING: (1_209_600, 2_592_000), Surface.V1: (3600, 2_592_000)}
ORDERS = ("asc", "desc")


def check_purpose(surface: Surface, purpose: object, *, upload_api: bool = False) -> str:
    allowed = (
        AZURE_PURPOSES if surface.azure_style else V1_UPLOAD_PURPOSES if upload_api else V1_FILE_PURPOSES
    )
    if purpose not in allowed:
        raise invalid(
            f"Invalid value for purpose: {purpose!r}. Supported values: {', '.join(allowed)}.",
            param="purpose",
        )
    return str(purpose)


def _expiry_field(fields: Mapping[str, Any], name: str) -> Any:
    """`expires_after[name]` as the openai SDK encodes it, or `expires_after.name` as the spec writes it."""
    return fields.get(f"expires_after[{name}]", fields.get(f"expires_after.{name}"))


def check_expires_after(surface: Surface, given: Mapping[str, Any] | None) -> int | None:
    """Seconds until expiry from `{"anchor": "created_at", "seconds": n}`, in the surface's range."""
    if not given or all(value is None for value in given.values()):
        return None
    anchor, seconds = given.get("anchor"), given.get("seconds")
    if surface is Surface.V1 and (anchor is None or seconds is None):
        raise invalid("'expires_after' needs both 'anchor' and 'seconds'.", param="expires_after")
    if anchor not in (None, "created_at"):
        raise invalid("'expires_after.anchor' must be 'created_at'.", param="expires_after.anchor")
    low, high = EXPIRY_RANGE[Surface.V1 if surface is Surface.V1 else Surface.AUTHORING]
    try:
        value = int(str(seconds))
    except ValueError:
        raise invalid("'expires_after.seconds' must be an integer.", param="expires_after.seconds") from None
    if not low <= value <= high:
        raise invalid(
            f"'expires_after.seconds' must be between {low} and {high}, not {value}.",
            param="expires_after.seconds",
        )
    return value


def add_file(
    emu: Emulator,
    filename: str,
    purpose: str,
    content: bytes,
    *,
    ready_in: float,
    expires_in: int | None = None,
) -> FileRecord:
    """Store a file; a fine-tune file's verdict is decided now and revealed after `ready_in`."""
    problem = None
    if purpose == "fine-tune":
        try:
            inspect(content)
        except DatasetError as error:
            problem = str(error)
    created = now()
    record = FileRecord(
        new_id("file-"),
        filename,
        purpose,
        content,
        created,
        created + ready_in,
        problem,
        expires_at=created + expires_in if expires_in else None,
    )
    emu.store.files[record.id] = record
    emu.changed()
    return record


def advance(emu: Emulator, at: float) -> None:
    for record in list(emu.store.files.values()):
        if record.expires_at is not None and at >= record.expires_at:
            del emu.store.files[record.id]
            emu.changed()
        elif record.status == "pending" and at >= record.ready_at:
            record.status = "error" if record.problem else "processed"
            emu.changed()


def _shown_status(record: FileRecord, surface: Surface, at: float) -> str:
    if record.status != "pending":
        return record.status
    if surface is Surface.V1:
        return "uploaded"
    halfway = record.created_at + (record.ready_at - record.created_at) / 2
    return "pending" if at < halfway else "running"


def file_view(record: FileRecord, surface: Surface) -> dict[str, Any]:
    """The File (authoring) or OpenAIFile (v1) object; absent optional fields are left out."""
    view: dict[str, Any] = {
        "id": record.id,
        "object": "file",
        "bytes": record.bytes,
        "created_at": int(record.created_at),
        "filename": record.filename,
        "purpose": record.purpose,
        "status": _shown_status(record, surface, now()),
    }
    if record.expires_at is not None:
        view["expires_at"] = int(record.expires_at)
    if record.status == "error":
        view["status_details"] = record.problem
    return view


def get_file(emu: Emulator, file_id: str) -> FileRecord:
    return require(emu.store.files.get(file_id), missing("file", file_id))


async def create(request: web.Request) -> web.Response:
    emu, surface = emulator(request), surface_of(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise invalid("The 'file' field is required and must be a file.", param="file")
    purpose = check_purpose(surface, form.get("purpose"))
    expiry = {name: _expiry_field(form, name) for name in ("anchor", "seconds")}
    expires_in = check_expires_after(surface, expiry)
    record = add_file(
        emu,
        upload.filename or "file",
        purpose,
        upload.file.read(),
        ready_in=emu.settings.file_seconds,
        expires_in=expires_in,
    )
    if surface is Surface.V1:
        return web.json_response(file_view(record, surface))
    # Files_Upload answers 201 with the new file's Location.
    location = request.url.with_path(f"/openai/files/{record.id}")
    return web.json_response(file_view(record, surface), status=201, headers={"Location": str(location)})


async def list_files(request: web.Request) -> web.Response:
    emu, surface = emulator(request), surface_of(request)
    purpose = request.query.get("purpose")
    if purpose is not None and surface.azure_style:
        check_purpose(surface, purpose)
    order = request.query.get("order", "desc")
    if order not in ORDERS:
        raise invalid(f"'order' must be 'asc' or 'desc', not {order!r}.", param="order")
    records = [r for r in emu.store.files.values() if purpose is None or r.purpose == purpose]
    records.sort(key=lambda r: r.created_at, reverse=order == "desc")
    return cursor_page(request, records, lambda r: file_view(r, surface), lambda r: r.id, default_limit=10000)


async def retrieve(request: web.Request) -> web.Response:
    record = get_file(emulator(request), request.match_info["file_id"])
    return web.json_response(file_view(record, surface_of(request)))


async def content(request: web.Request) -> web.Response:
    record = get_file(emulator(request), request.match_info["file_id"])
    return web.Response(body=record.content, content_type="application/octet-stream")


async def delete(request: web.Request) -> web.Response:
    emu = emulator(request)
    record = get_file(emu, request.match_info["file_id"])
    del emu.store.files[record.id]
    return web.json_response({"id": record.id, "object": "file", "deleted": True})


ROUTES = [
    Route("POST", "/files", create, azure="Files_Upload", v1="createFile"),
    Route("GET", "/files", list_files, azure="Files_List", v1="listFiles"),
    Route("GET", "/files/{file_id}", retrieve, azure="Files_Get", v1="retrieveFile"),
    Route("GET", "/files/{file_id}/content", content, azure="Files_GetContent", v1="downloadFile"),
    Route("DELETE", "/files/{file_id}", delete, azure="Files_Delete", v1="deleteFile"),
]
