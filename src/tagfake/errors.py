"""Typed domain errors. Each vendor's envelope turns them into its own status and body."""

from __future__ import annotations


class TagfakeError(Exception):
    """Base of every error a vendor route answers. `message` is the vendor-facing text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(TagfakeError):
    def __init__(self, message: str = "Unauthenticated.", *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class NotFound(TagfakeError):
    """The resource does not exist, or belongs to another tenant (never told apart)."""

    def __init__(self, what: str = "Resource", message: str | None = None) -> None:
        super().__init__(message or f"{what} not found")
        self.what = what


class Invalid(TagfakeError):
    """The request is well-formed but breaks a rule; `fields` maps a field path to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class Conflict(TagfakeError):
    """A uniqueness rule: the thing already exists."""


class BadRequest(TagfakeError):
    """The request cannot be read: malformed JSON, nesting too deep, not UTF-8."""


class BodyTimeout(BadRequest):
    """The body did not arrive in time. No vendor documents a 408, so each answers its 400 for
    a body it could not read; the connection is closed after the answer."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The request body was not received within {seconds:g} s.")
        self.seconds = seconds


class UnsupportedMediaType(TagfakeError):
    pass


class PayloadTooLarge(TagfakeError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body exceeds {limit} bytes")
        self.limit = limit


class RouteNotFound(TagfakeError):
    def __init__(self, path: str) -> None:
        super().__init__(f"No route for {path}")
        self.path = path


class MethodNotAllowed(TagfakeError):
    def __init__(self, method: str, allow: list[str]) -> None:
        super().__init__(f"The {method} method is not supported for this route")
        self.method = method
        self.allow = allow


class TooManyRequests(TagfakeError):
    def __init__(self, retry_after: int, message: str = "Too Many Requests") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerFault(TagfakeError):
    """An injected or unexpected server error; never carries a stack trace to the client."""

    def __init__(self, status: int = 500, message: str = "Internal Server Error") -> None:
        super().__init__(message)
        self.status = status
