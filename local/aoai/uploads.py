"""The uploads API for large files: create, add parts, complete (or cancel); an upload expires after an hour.

Completing an upload concatenates its parts in the order the caller lists them and turns
them into a file that goes through the same validation as a direct upload. A pending upload
older than an hour turns `expired`, as OpenAI documents ("Uploads expire after an hour").
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from local.aoai.context import Emulator, emulator
from local.aoai.errors import conflict, invalid, missing, require
from local.aoai.files import add_file, check_expires_after, check_purpose, file_view
from local.aoai.protocol import json_body
from local.aoai.routes import Route
from local.aoai.state import PartRecord, UploadRecord, new_id, now
from local.aoai.surfaces import Surface, surface_of

__all__ = ["ROUTES", "advance"]

UPLOAD_LIFETIME = 3600.0


def advance(emu: Emulator, at: float) -> None:
    for upload in emu.store.uploads.values():
        if upload.status == "pending" and at >= upload.expires_at:
            upload.status = "expired"
            emu.changed()


def upload_view(emu: Emulator, upload: UploadRecord, surface: Surface) -> dict[str, Any]:
    """UploadResource (authoring: no `file` until there is one) or Upload (v1: `file` may be null)."""
    file = emu.store.files.get(upload.file_id) if upload.file_id else None
    view: dict[str, Any] = {
        "id": upload.id,
        "object": "upload",
        "bytes": upload.bytes,
        "created_at": int(upload.created_at),
        "expires_at": int(upload.expires_at),
        "filename": upload.filename,
        "purpose": upload.purpose,
        "status": upload.status,
    }
    if file is not None:
        view["file"] = file_view(file, surface)
    elif surface is Surface.V1:
        view["file"] = None
    return view


def pending_upload(emu: Emulator, upload_id: str) -> UploadRecord:
    upload = require(emu.store.uploads.get(upload_id), missing("upload", upload_id))
    if upload.status != "pending":
        raise conflict(f"Upload {upload_id} is {upload.status}, not pending.")
    return upload


async def create(request: web.Request) -> web.Response:
    emu, surface = emulator(request), surface_of(request)
    body = await json_body(request)
    for name in ("filename", "purpose", "bytes", "mime_type"):
        if name not in body:
            raise invalid(f"Missing required parameter: '{name}'.", param=name)
    if isinstance(body["bytes"], bool) or not isinstance(body["bytes"], int) or body["bytes"] < 0:
        raise invalid("'bytes' must be a non-negative integer.", param="bytes")
    for name in ("filename", "mime_type"):
        if not isinstance(body[name], str) or not body[name]:
            raise invalid(f"'{name}' must be a non-empty string.", param=name)
    expires_after = body.get("expires_after")
    if expires_after is not None and not isinstance(expires_after, dict):
        raise invalid("'expires_after' must be an object.", param="expires_after")
    created = now()
    upload = UploadRecord(
        new_id("upload_"),
        body["filename"],
        check_purpose(surface, body["purpose"], upload_api=True),
        body["bytes"],
        body["mime_type"],
        created,
        created + UPLOAD_LIFETIME,
        file_expires_after=check_expires_after(surface, expires_after),
    )
    emu.store.uploads[upload.id] = upload
    if surface is Surface.V1:
        return web.json_response(upload_view(emu, upload, surface))
    # UploadFile_Start answers with the new upload's Location.
    location = str(request.url.with_path(f"/openai/uploads/{upload.id}"))
    return web.json_response(upload_view(emu, upload, surface), headers={"Location": location})


async def add_part(request: web.Request) -> web.Response:
    emu = emulator(request)
    upload = pending_upload(emu, request.match_info["upload_id"])
    form = await request.post()
    data = form.get("data")
    if not isinstance(data, web.FileField):
        raise invalid("The 'data' field is required and must be a file.", param="data")
    part = PartRecord(new_id("part_"), upload.id, now(), data.file.read())
    emu.store.parts[part.id] = part
    return web.json_response(
        {"id": part.id, "object": "upload.part", "created_at": int(part.created_at), "upload_id": upload.id}
    )


async def complete(request: web.Request) -> web.Response:
    emu, surface = emulator(request), surface_of(request)
    upload = pending_upload(emu, request.match_info["upload_id"])
    body = await json_body(request)
    part_ids = body.get("part_ids")
    if not isinstance(part_ids, list) or not part_ids:
        raise invalid("'part_ids' must be a non-empty list.", param="part_ids")
    parts = [emu.store.parts.get(pid) for pid in part_ids]
    if any(part is None or part.upload_id != upload.id for part in parts):
        raise invalid("'part_ids' names a part that does not belong to this upload.", param="part_ids")
    content = b"".join(part.data for part in parts if part)
    if len(content) != upload.bytes:
        raise invalid(
            f"The parts hold {len(content)} bytes, but the upload declared {upload.bytes}.", param="bytes"
        )
    if body.get("md5") and hashlib.md5(content).hexdigest() != body["md5"]:
        raise invalid("The md5 checksum does not match the uploaded bytes.", param="md5")
    record = add_file(
        emu,
        upload.filename,
        upload.purpose,
        content,
        ready_in=emu.settings.file_seconds,
        expires_in=upload.file_expires_after,
    )
    upload.status, upload.file_id = "completed", record.id
    for part_id in part_ids:
        emu.store.parts.pop(part_id, None)
    return web.json_response(upload_view(emu, upload, surface))


async def cancel(request: web.Request) -> web.Response:
    emu = emulator(request)
    upload = pending_upload(emu, request.match_info["upload_id"])
    upload.status = "cancelled"
    for part_id in [p.id for p in emu.store.parts.values() if p.upload_id == upload.id]:
        del emu.store.parts[part_id]
    return web.json_response(upload_view(emu, upload, surface_of(request)))


ROUTES = [
    Route("POST", "/uploads", create, azure="UploadFile_Start", v1="createUpload"),
    Route("POST", "/uploads/{upload_id}/parts", add_part, azure="UploadFile_Part", v1="addUploadPart"),
    Route(
        "POST", "/uploads/{upload_id}/complete", complete, azure="UploadFile_Complete", v1="completeUpload"
    ),
    Route("POST", "/uploads/{upload_id}/cancel", cancel, azure="UploadFile_Cancel", v1="cancelUpload"),
]
