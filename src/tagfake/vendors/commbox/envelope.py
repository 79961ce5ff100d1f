"""CommBox's wire shape. Success: `{"status":"200","description":"Operation successful",
"response_time":"…7 fractional digits…Z","data":…}` (status a string). Error: `{"status":400,
"description":"Bad Request","response_time":"…3 fractional digits…Z"}` (status an integer), with
400/401/404/429/500/501 only: every unreadable or invalid request is 400, an unsupported
method 501."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from tagfake import errors as e
from tagfake.vendors.base import ErrorReply

DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
}


def success_time(moment: datetime) -> str:
    """`2025-08-06T07:51:52.2581942Z`: .NET's seven fractional digits (the last one always 0)."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}0Z"


def error_time(moment: datetime) -> str:
    """`2025-02-06T07:51:52.258Z`: milliseconds, as the error examples write it."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def ok(data: Any, moment: datetime) -> dict[str, Any]:
    return {
        "status": "200",
        "description": "Operation successful",
        "response_time": success_time(moment),
        "data": data,
    }


def error_body(status: int, moment: datetime) -> dict[str, Any]:
    description = DESCRIPTIONS.get(status) or _phrase(status)
    return {"status": status, "description": description, "response_time": error_time(moment)}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def status_of(error: e.TagfakeError) -> int:
    match error:
        case e.Unauthorized():
            return 401
        case e.NotFound() | e.RouteNotFound():
            return 404
        case (
            e.Invalid()
            | e.Conflict()
            | e.BadRequest()
            | e.PayloadTooLarge()
            | e.UnsupportedMediaType()
        ):
            return 400
        case e.MethodNotAllowed():
            return 501
        case e.TooManyRequests():
            return 429
        case e.ServerFault():
            # An injected fault keeps the status it asked for (500 by default).
            return error.status
        case _:
            return 500


def render_error(error: e.TagfakeError, moment: datetime) -> ErrorReply:
    status = status_of(error)
    headers: dict[str, str] = {}
    if isinstance(error, e.TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return status, error_body(status, moment), headers
