"""Zapini's wire shape: `{"success":true,"message":…,"data":…}` and
`{"success":false,"error":{"code","message","details"}}`, one code per status."""

from __future__ import annotations

from typing import Any

from tagfake import errors as e
from tagfake.vendors.base import ErrorReply


def ok(data: dict[str, Any] | None = None, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return body


def _err(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> ErrorReply:
    body = {"success": False, "error": {"code": code, "message": message, "details": details or {}}}
    return status, body, {}


def render_error(error: e.TagfakeError) -> ErrorReply:
    match error:
        case e.Unauthorized():
            return _err(401, "UNAUTHENTICATED", "Unauthenticated.")
        case e.NotFound() | e.RouteNotFound():
            what = error.what if isinstance(error, e.NotFound) else "Resource"
            return _err(404, "NOT_FOUND", f"{what} not found.")
        case e.Invalid():
            return _err(422, "VALIDATION_ERROR", error.message, error.fields)
        case e.Conflict():
            return _err(422, "VALIDATION_ERROR", error.message)
        case e.BadRequest():
            return _err(400, "BAD_REQUEST", error.message)
        case e.PayloadTooLarge():
            return _err(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
        case e.UnsupportedMediaType():
            return _err(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json.")
        case e.MethodNotAllowed():
            status, body, _ = _err(405, "METHOD_NOT_ALLOWED", error.message)
            return status, body, {"Allow": ", ".join(error.allow)}
        case e.TooManyRequests():
            status, body, _ = _err(429, "RATE_LIMITED", error.message)
            return status, body, {"Retry-After": str(error.retry_after)}
        case e.ServerFault():
            return _err(error.status, "SERVER_ERROR", "Internal server error.")
        case _:
            return _err(500, "SERVER_ERROR", "Internal server error.")
