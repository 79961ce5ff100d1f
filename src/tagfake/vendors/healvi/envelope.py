"""healvi's wire shape, Laravel's: success `{"data": …}`, errors `{"message": …}` plus
`"errors": {"tags.0.id": [...]}` on 422."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from tagfake import errors as e
from tagfake.vendors.base import ErrorReply

UNAUTHENTICATED = "Unauthenticated."
NOT_FOUND = "Not found."
TOO_LARGE = "The request body is too large."
WRONG_MEDIA = "Unsupported Media Type. Send application/json."
THROTTLED = "Too Many Attempts."
SERVER_ERROR = "Server Error"
_PHRASES = {s.value: s.phrase for s in HTTPStatus if s.value >= 400}


def ok(data: Any) -> dict[str, Any]:
    return {"data": data}


def _err(status: int, message: str, headers: dict[str, str] | None = None) -> ErrorReply:
    return status, {"message": message}, headers or {}


def render_error(error: e.TagfakeError) -> ErrorReply:
    match error:
        case e.Unauthorized():
            return _err(401, UNAUTHENTICATED)
        case e.NotFound() | e.RouteNotFound():
            return _err(404, NOT_FOUND)
        case e.Invalid():
            fields = error.fields or {"body": [error.message]}
            return 422, {"message": error.message, "errors": fields}, {}
        case e.Conflict():
            return 422, {"message": error.message, "errors": {"body": [error.message]}}, {}
        case e.BadRequest():
            return _err(400, error.message)
        case e.PayloadTooLarge():
            return _err(413, TOO_LARGE)
        case e.UnsupportedMediaType():
            return _err(415, WRONG_MEDIA)
        case e.MethodNotAllowed():
            allow = ", ".join(error.allow)
            text = f"The {error.method} method is not supported for this route. "
            return _err(405, f"{text}Supported methods: {allow}.", {"Allow": allow})
        case e.TooManyRequests():
            return _err(429, THROTTLED, {"Retry-After": str(error.retry_after)})
        case e.ServerFault() if error.status != 500 and error.status in _PHRASES:
            # An injected fault's own status (503, 502, ...) with Symfony's status text.
            return _err(error.status, _PHRASES[error.status])
        case _:
            return _err(500, SERVER_ERROR)
