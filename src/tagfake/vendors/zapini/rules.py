"""Zapini's request rules (a Laravel application) in Laravel's default wording: every failing
field is reported, keyed by its dotted path, with the first failing rule of that field.

Input strings are trimmed first (Laravel's TrimStrings), so a name's length is counted without
the whitespace around it and a name of only whitespace is missing."""

from __future__ import annotations

import re
from typing import Any

from tagfake.errors import Invalid

#: What TrimStrings removes around a string, as the spec's patterns spell it.
WHITESPACE = " \t\n\r\x0b\x0c"
MAX_NAME = 50
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
#: The fields of a tag body, in the order their rules are declared (and reported).
TAG_FIELDS = ("name", "color")


def trim(raw: Any) -> Any:
    return raw.strip(WHITESPACE) if isinstance(raw, str) else raw


def required(field: str) -> str:
    return f"The {field} field is required."


def taken(field: str) -> str:
    return f"The {field} has already been taken."


def not_in_tenant(field: str) -> str:
    return f"The selected {field} is invalid."


def is_uuid(raw: Any) -> bool:
    return isinstance(raw, str) and _UUID.fullmatch(raw) is not None


def name_error(raw: Any) -> str | None:
    """`required|string|max:50`, after trimming."""
    value = trim(raw)
    if value is None or value == "":
        return required("name")
    if not isinstance(value, str):
        return "The name field must be a string."
    if len(value) > MAX_NAME:
        return f"The name field must not be greater than {MAX_NAME} characters."
    return None


def color_error(raw: Any) -> str | None:
    """`required|string|regex:/^#[0-9A-Fa-f]{6}$/`, matched on the colour as sent (the spec's
    pattern; unlike a name it is not trimmed)."""
    if raw is None or raw == "":
        return required("color")
    if not isinstance(raw, str):
        return "The color field must be a string."
    if _COLOR.fullmatch(raw) is None:
        return "The color field format is invalid."
    return None


def tag_errors(body: Any, *, partial: bool) -> dict[str, list[str]]:
    """POST /tags (every field required) or PATCH /tags/{uuid} (`partial`: only sent fields,
    each then required)."""
    doc = body if isinstance(body, dict) else {}
    checks = {"name": name_error, "color": color_error}
    errors: dict[str, list[str]] = {}
    for field in TAG_FIELDS:
        if partial and field not in doc:
            continue
        problem = checks[field](doc.get(field))
        if problem:
            errors[field] = [problem]
    return errors


def tag_ids_errors(tag_ids: Any) -> dict[str, list[str]]:
    """`tag_ids` present (`[]` clears) and an array; each item a UUID (`exists` is the
    backend's, on the items that pass)."""
    if tag_ids is None:
        return {"tag_ids": [required("tag_ids")]}
    if not isinstance(tag_ids, list):
        return {"tag_ids": ["The tag_ids field must be an array."]}
    return {
        f"tag_ids.{i}": [f"The tag_ids.{i} field must be a valid UUID."]
        for i, raw in enumerate(tag_ids)
        if not is_uuid(raw)
    }


def ordered(errors: dict[str, list[str]], order: tuple[str, ...]) -> dict[str, list[str]]:
    """`errors` in the order the rules are declared; `tag_ids.<i>` by index."""

    def rank(field: str) -> tuple[int, int]:
        head, _, index = field.partition(".")
        return (order.index(head) if head in order else len(order), int(index or -1))

    return dict(sorted(errors.items(), key=lambda item: rank(item[0])))


def invalid(errors: dict[str, list[str]]) -> Invalid:
    """Zapini's 422: `message` is the first error, `details` every failing field."""
    return Invalid(next(iter(errors.values()))[0], errors)
