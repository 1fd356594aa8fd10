"""The uploads API for large files: create, add parts, complete (or cancel).

Completing an upload concatenates its parts in the order the caller lists them and turns
them into a file that goes through the same validation as a direct upload.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from local.aoai.context import Emulator, emulator
from local.aoai.errors import invalid, not_found, require
from local.aoai.files import add_file, check_purpose
from local.aoai.protocol import json_body
from local.aoai.state import PartRecord, UploadRecord, new_id, now

UPLOAD_LIFETIME = 3600.0


def to_api(emu: Emulator, upload: UploadRecord) -> dict[str, Any]:
    file = emu.store.files.get(upload.file_id) if upload.file_id else None
    return {
        "id": upload.id,
        "object": "upload",
        "bytes": upload.bytes,
        "created_at": int(upload.created_at),
        "expires_at": int(upload.expires_at),
        "filename": upload.filename,
        "purpose": upload.purpose,
        "status": upload.status,
        "file": file.to_api() if file else None,
    }


def pending_upload(emu: Emulator, upload_id: str) -> UploadRecord:
    upload = require(emu.store.uploads.get(upload_id), not_found("Upload", upload_id))
    if upload.status != "pending":
        raise invalid(f"Upload {upload_id} is {upload.status}, not pending.")
    return upload


async def create(request: web.Request) -> web.Response:
    emu = emulator(request)
    body = await json_body(request)
    for name in ("filename", "purpose", "bytes", "mime_type"):
        if name not in body:
            raise invalid(f"Missing required parameter: '{name}'.", param=name)
    if not isinstance(body["bytes"], int) or body["bytes"] < 0:
        raise invalid("'bytes' must be a non-negative integer.", param="bytes")
    created = now()
    upload = UploadRecord(
        new_id("upload_"),
        str(body["filename"]),
        check_purpose(body["purpose"]),
        body["bytes"],
        str(body["mime_type"]),
        created,
        created + UPLOAD_LIFETIME,
    )
    emu.store.uploads[upload.id] = upload
    return web.json_response(to_api(emu, upload))


async def add_part(request: web.Request) -> web.Response:
    emu = emulator(request)
    upload = pending_upload(emu, request.match_info["upload_id"])
    form = await request.post()
    data = form.get("data")
    if not isinstance(data, web.FileField):
        raise invalid("The 'data' field is required and must be a file.", param="data")
    part = PartRecord(new_id("part_"), upload.id, now(), data.file.read())
    emu.store.parts[part.id] = part
    return web.json_response(part.to_api())


async def complete(request: web.Request) -> web.Response:
    emu = emulator(request)
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
    record = add_file(emu, upload.filename, upload.purpose, content, emu.settings.file_seconds)
    upload.status, upload.file_id = "completed", record.id
    for part_id in part_ids:
        emu.store.parts.pop(part_id, None)
    return web.json_response(to_api(emu, upload))


async def cancel(request: web.Request) -> web.Response:
    emu = emulator(request)
    upload = pending_upload(emu, request.match_info["upload_id"])
    upload.status = "cancelled"
    for part_id in [p.id for p in emu.store.parts.values() if p.upload_id == upload.id]:
        del emu.store.parts[part_id]
    return web.json_response(to_api(emu, upload))


ROUTES = [
    web.post("/uploads", create),
    web.post("/uploads/{upload_id}/parts", add_part),
    web.post("/uploads/{upload_id}/complete", complete),
    web.post("/uploads/{upload_id}/cancel", cancel),
]
