"""Nexor's wire shape: success bodies `{"data": …}` or `{"success": true, …}`; errors
`{"error": "<message>"}`, except the Authentication page's 401 `{"error", "message"}`."""

from __future__ import annotations

from typing import Any

from tagfake import errors as e
from tagfake.vendors.base import ErrorReply

#: The Authentication page's two 401 bodies, verbatim.
MISSING_KEY = {
    "error": "Missing API key",
    "message": "Please provide your API key in the X-API-Key header",
}
INVALID_KEY = {"error": "Invalid API key", "message": "The provided API key is not valid"}


def data(payload: Any) -> dict[str, Any]:
    return {"data": payload}


def success(**fields: Any) -> dict[str, Any]:
    return {"success": True, **fields}


def _err(status: int, message: str, headers: dict[str, str] | None = None) -> ErrorReply:
    return status, {"error": message}, headers or {}


def render_error(error: e.TagfakeError) -> ErrorReply:
    match error:
        case e.Unauthorized():
            return 401, dict(MISSING_KEY if error.missing else INVALID_KEY), {}
        case e.NotFound():
            return _err(404, f"{error.what} not found")
        case e.RouteNotFound():
            return _err(404, "Not found")
        case e.Invalid() | e.BadRequest():
            return _err(400, error.message)
        case e.Conflict():
            return _err(409, error.message)
        case e.PayloadTooLarge():
            return _err(413, "Request body too large")
        case e.UnsupportedMediaType():
            return _err(415, "Content-Type must be application/json")
        case e.MethodNotAllowed():
            return _err(405, "Method not allowed", {"Allow": ", ".join(error.allow)})
        case e.TooManyRequests():
            return _err(429, "Too many requests", {"Retry-After": str(error.retry_after)})
        case e.ServerFault():
            # An injected fault keeps the status it asked for (503, 502, ...).
            return _err(error.status, "Internal server error")
        case _:
            return _err(500, "Internal server error")
