"""The request against the operation's contract: size, media type, JSON, depth, parameters
and body schema. A request that fails here reaches no handler, so it changes nothing."""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import parse_qs

import orjson

from tagfake.contract.schema import Violation
from tagfake.contract.spec import OperationContract, Param
from tagfake.errors import (
    BadRequest,
    BodyTimeout,
    Invalid,
    NotFound,
    PayloadTooLarge,
    TagfakeError,
    UnsupportedMediaType,
)
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import (
    LOOP_KEY,
    ASGIApp,
    BodyTooLarge,
    BodyTooSlow,
    Receive,
    Scope,
    Send,
    header,
    read_body,
    replay,
)
from tagfake.pipeline.media import parse_media_type
from tagfake.text import has_lone_surrogate

_INT = re.compile(r"-?\d{1,18}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# orjson reads an integer past 64 bits as a float: a body with a run of 19 digits anywhere
# is left to the standard library, which keeps it exact. Found as a run of 19 zeros once every
# digit reads "0": a copy and a substring search cost a seventh of `\d{19}`'s try at each
# position.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19


def _has_long_digits(raw: bytes) -> bool:
    return raw.translate(_DIGITS_AS_ZERO).find(_LONG_RUN) >= 0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(literal: str) -> float:
    """`1e999` is JSON's grammar but no number anyone can store or answer (it reads as inf)."""
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal} is out of range")
    return value


def parse_json(raw: bytes, max_depth: int) -> Any:
    """The one JSON body parser: UTF-8 (strict), RFC 8259 JSON (no NaN/Infinity), no lone
    UTF-16 surrogate escapes (text that cannot be stored or answered as UTF-8), bounded depth.

    orjson reads most bodies: what it accepts (strict UTF-8, RFC 8259, finite numbers, no lone
    surrogate) the rules below accept as the same values; anything it refuses is read again by
    the standard library below, so the answer to a bad body is the same either way."""
    if not _has_long_digits(raw):
        try:
            fast = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:
            _refuse_deeper_than(max_depth, raw, fast)
            return fast
    return parse_json_stdlib(raw, max_depth)


def parse_json_stdlib(raw: bytes, max_depth: int) -> Any:
    """`parse_json` by the standard library alone: what decides a body orjson refuses."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    _refuse_deeper_than(max_depth, raw, doc)
    # Strict UTF-8 decoding already refused encoded surrogates, so only `\uD800`-`\uDFFF`
    # escapes can bring one in; most bodies have none and skip the walk.
    if _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(doc):
        raise BadRequest("The request body is not valid JSON: unpaired UTF-16 surrogate.")
    return doc


def _refuse_deeper_than(max_depth: int, raw: bytes, doc: Any) -> None:
    # No document nests deeper than it has brackets opening: most bodies skip the walk.
    if raw.count(b"[") + raw.count(b"{") > max_depth and depth_exceeds(doc, max_depth):
        raise _too_deep(max_depth)


def _too_deep(max_depth: int) -> BadRequest:
    return BadRequest(f"The JSON body is nested deeper than {max_depth} levels.")


def depth_exceeds(doc: Any, limit: int) -> bool:
    """Iterative, so a hostile body cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def coerce(param: Param, raw: str) -> Any:
    """A path or query string as the type its schema names (left as text when it does not fit)."""
    kind = param.type
    if kind == "integer" and _INT.fullmatch(raw):
        return int(raw)
    if kind == "number" and _NUMBER.fullmatch(raw):
        return float(raw)
    if kind == "boolean" and raw in {"true", "false"}:
        return raw == "true"
    return raw


def resource_named(template: str, param: str) -> str:
    """`/conversations/{uuid}/tags` and `uuid` → "Conversation": what a bad id fails to name."""
    parts = template.strip("/").split("/")
    marker = "{" + param + "}"
    if marker in parts and parts.index(marker) > 0:
        word = parts[parts.index(marker) - 1]
        return word[:-1].capitalize() if word.endswith("s") else word.capitalize()
    return "Resource"


async def read_request_body(scope: Scope, receive: Receive, limit: int, timeout: float) -> bytes:
    """The request's body as every stage reads it: at most `limit` bytes (the vendor's 413),
    whole within `timeout` seconds (the vendor's 400, then the connection closes)."""
    declared = header(scope, "content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    try:
        return await read_body(receive, limit, timeout, scope.get(LOOP_KEY))
    except BodyTooLarge:
        raise PayloadTooLarge(limit) from None
    except BodyTooSlow:
        raise BodyTimeout(timeout) from None


_CONTENT_TYPE = b"content-type"


def _as_checked(scope: Scope, has_json: bool) -> Scope:
    """The scope below this stage: its Content-Type is the canonical `application/json` of the
    body checked here, or none. Handlers take the checked body (`call.body`); connexion below
    still reads form data for a form media type on any operation, and must find nothing to
    parse. The outer stages (the journal) keep the headers as sent."""
    sent = scope.get("headers", [])
    types = 0
    canonical = True
    for k, v in sent:
        if len(k) == len(_CONTENT_TYPE) and bytes(k).lower() == _CONTENT_TYPE:
            types += 1
            canonical = canonical and v == b"application/json"
    if (types == 1 and canonical) if has_json else types == 0:
        return scope  # already so: most requests, and no copy of the scope for them
    headers = [(k, v) for k, v in sent if bytes(k).lower() != _CONTENT_TYPE]
    if has_json:
        headers.append((b"content-type", b"application/json"))
    return {**scope, "headers": headers}


class RequestCheck:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int, body_timeout: float
    ) -> None:
        self.app = app
        self.limit = max_body_bytes
        self.depth = max_json_depth
        self.timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is None or call.operation is None:
            await self.app(scope, receive, send)
            return
        op = call.operation
        self._check_params(call, op, scope)
        if op.body_media:
            raw = await read_request_body(scope, receive, self.limit, self.timeout)
            call.raw_body = raw
            receive = replay(raw, receive)
            call.body = self._check_body(call, op, scope, raw)
        await self.app(_as_checked(scope, call.body is not None), receive, send)

    def _check_body(self, call: Call, op: OperationContract, scope: Scope, raw: bytes) -> Any:
        if not raw.strip():
            if not op.body_required:
                return None
            # A missing body reads as `{}` (so required fields are named), but is refused even
            # where every field is optional: the contract asks for a body.
            problems = op.body.violations({}) if op.body is not None else []
            missing = Violation("", '"body" is a required property')
            self._refuse(call, call.vendor.invalid(op.operation_id, problems or [missing], None))
            return {}
        media = parse_media_type(header(scope, "content-type"))
        if media is None or not media.is_json:
            raise UnsupportedMediaType("The request body must be sent as application/json.")
        if not media.is_utf8:
            raise UnsupportedMediaType(
                f"The request body must be UTF-8 JSON, not charset={media.charset}."
            )
        doc = parse_json(raw, self.depth)
        wants_object = op.body is not None and op.body.json_schema.get("type") == "object"
        if wants_object and not isinstance(doc, dict):
            raise BadRequest("The request body must be a JSON object.")
        if op.body is not None:
            problems = op.body.violations(doc)
            if problems:
                self._refuse(call, call.vendor.invalid(op.operation_id, problems, doc))
        return doc

    @staticmethod
    def _refuse(call: Call, error: TagfakeError) -> None:
        """Answer a schema violation now, or, for a vendor that validates after route-model
        binding, leave it to the backend (which looks the route's entities up first)."""
        if not (call.vendor.validates_after_binding and isinstance(error, Invalid)):
            raise error
        call.pending = error

    def _check_params(self, call: Call, op: OperationContract, scope: Scope) -> None:
        if not op.params:
            return
        path_values = scope.get("path_params", {})
        query: dict[str, list[str]] = {}
        if any(p.location == "query" for p in op.params):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        problems: list[Violation] = []
        for p in op.params:
            if p.location == "path":
                value = path_values.get(p.name)
                if value is None or not p.schema.is_valid(coerce(p, str(value))):
                    raise NotFound(resource_named(op.path, p.name))
            elif p.location == "query":
                values = query.get(p.name)
                if values is None:
                    if p.required:
                        problems.append(Violation("", f'"{p.name}" is a required property'))
                    continue
                problems += [
                    Violation(p.name, v.message) for v in p.schema.violations(coerce(p, values[-1]))
                ]
        if problems:
            raise call.vendor.invalid(op.operation_id, problems)
