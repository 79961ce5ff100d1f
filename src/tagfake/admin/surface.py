"""The admin API as a surface of the pipeline: no credential, errors as problem+json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tagfake import errors as e
from tagfake.vendors.base import ErrorReply, Surface

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def problem(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> ErrorReply:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return status, body, {"Content-Type": PROBLEM}


class AdminSurface(Surface):
    slug = "admin"
    is_vendor = False

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return None

    def render_error(self, error: e.TagfakeError, runtime: Runtime) -> ErrorReply:
        match error:
            case e.Invalid():
                return problem(422, error.message, error.fields)
            case e.NotFound() | e.RouteNotFound():
                return problem(404, error.message)
            case e.MethodNotAllowed():
                status, body, headers = problem(405, error.message)
                return status, body, {**headers, "Allow": ", ".join(error.allow)}
            case e.BadRequest():
                return problem(400, error.message)
            case e.Conflict():
                return problem(409, error.message)
            case e.PayloadTooLarge():
                return problem(413, error.message)
            case e.UnsupportedMediaType():
                return problem(415, error.message)
            case _:
                return problem(500, "Internal Server Error")


SURFACE = AdminSurface()
