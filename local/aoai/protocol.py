"""Request and response conventions shared by the data-plane routes.

OpenAI-style lists are cursor pages (`after` = the last id seen, `limit`, `has_more`), and
bodies are JSON objects; both are parsed here once so every route refuses bad input the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web

from local.aoai.errors import invalid

__all__ = ["cursor_page", "json_body", "query_int"]

Item = TypeVar("Item")


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"'{name}' must be an integer.", param=name) from None
    if not low <= value <= high:
        raise invalid(f"'{name}' must be between {low} and {high}.", param=name)
    return value


def cursor_page(
    request: web.Request,
    items: Sequence[Item],
    to_api: Callable[[Item], dict[str, Any]],
    key: Callable[[Item], str],
    default_limit: int = 20,
) -> web.Response:
    """One page of `items` (already in list order) after the `after` cursor."""
    limit = query_int(request, "limit", default_limit, 1, 10000)
    after = request.query.get("after")
    start = 0
    if after:
        ids = [key(item) for item in items]
        start = ids.index(after) + 1 if after in ids else len(ids)
    page = items[start : start + limit]
    data = [to_api(item) for item in page]
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "has_more": start + limit < len(items),
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    )
