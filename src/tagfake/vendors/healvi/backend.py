"""healvi's rules on the tag core: integer ids (new ones from the store's counter), tags owned
by the tenant, a profile's tag set synced Laravel-style (`sync()`), titles not unique."""

from __future__ import annotations

import re
from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Invalid
from tagfake.state.model import Namespace, Record
from tagfake.state.store import Store

VENDOR = "healvi"
KIND = "profiles"
TAG_COUNTER = "tag"


#: Laravel's `integer` rule on a string (after TrimStrings): an optional minus and digits.
_INTEGER_TEXT = re.compile(r"[ \t\n\r]*-?(?:0|[1-9][0-9]{0,17})[ \t\n\r]*")


def key_of(raw_id: Any) -> str:
    """Store key of an integer id; a JSON `1.0` and the string "1" name the same tag as `1`."""
    if isinstance(raw_id, float) and raw_id.is_integer():
        raw_id = int(raw_id)
    if isinstance(raw_id, str):
        raw_id = int(raw_id)
    return str(raw_id)


def is_integer(raw: Any) -> bool:
    """Laravel's `integer` rule: 1 and "1" pass; 1.5, "1.5", true and "x" do not."""
    if isinstance(raw, bool):
        return False
    if isinstance(raw, int):
        return True
    if isinstance(raw, float):
        return raw.is_integer()
    return isinstance(raw, str) and _INTEGER_TEXT.fullmatch(raw) is not None


def unknown_id(index: int) -> str:
    return f"The selected tags.{index}.id is invalid."


def title_required(index: int) -> str:
    return f"The tags.{index}.title field is required when tags.{index}.id is not present."


def laravel_invalid(fields: dict[str, list[str]]) -> Invalid:
    """Laravel's 422: every failing field, and as message the first error plus how many more
    ("… (and 2 more errors)")."""
    texts = [text for messages in fields.values() for text in messages]
    more = len(texts) - 1
    message = texts[0]
    if more:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return Invalid(message, fields)


class HealviBackend:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def get_profile(self, tenant: str, profile_id: int) -> Record:
        with self.store.read(VENDOR, tenant) as ns:
            return dict(core.entity(ns, KIND, key_of(profile_id), "Profile").attrs)

    def sync_profile_tags(
        self, tenant: str, profile_id: int, body: Any, pending: Invalid | None = None
    ) -> list[Record]:
        """Make the profile's tags exactly the body's `tags`, in Laravel's order: the profile
        (404) first, then every rule of the body at once (422), then the sync. `pending`: the
        request's schema violations, which the request check left to be reported here."""
        with self.store.transaction(VENDOR, tenant) as ns:
            profile_key = key_of(profile_id)
            core.entity(ns, KIND, profile_key, "Profile")
            plan, errors = self._plan(ns, body)
            if errors:
                raise laravel_invalid(errors)
            if pending is not None:  # the schema saw a problem no rule here names
                raise pending
            now = rfc3339(self.clock.now())
            keys = [step if isinstance(step, str) else self._create(ns, step, now) for step in plan]
            # Stored ordered by id, as the answer is: a sync naming the same set changes nothing.
            core.replace_set(ns, KIND, profile_key, sorted(keys, key=int))
            return [dict(ns.tags[k]) for k in ns.kind(KIND)[profile_key].tags]

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _plan(ns: Namespace, body: Any) -> tuple[list[str | tuple[str]], dict[str, list[str]]]:
        """Per item an existing tag key or `(title,)` for a tag to create, and the failures of
        the sync's rules (`tags` present|array; per item `id` nullable|integer|exists, `title`
        nullable|string, required without an id), keyed by the dotted field."""
        if not isinstance(body, dict) or "tags" not in body:
            return [], {"tags": ["The tags field is required."]}
        items = body["tags"]
        if not isinstance(items, list):
            return [], {"tags": ["The tags field must be an array."]}
        plan: list[str | tuple[str]] = []
        errors: dict[str, list[str]] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                errors[f"tags.{i}"] = [f"The tags.{i} field must be an object."]
                continue
            raw_id, title = item.get("id"), item.get("title")
            if title is not None and not isinstance(title, str):
                errors[f"tags.{i}.title"] = [f"The tags.{i}.title field must be a string."]
            if raw_id is not None:  # id wins over title
                if not is_integer(raw_id):
                    errors[f"tags.{i}.id"] = [f"The tags.{i}.id field must be an integer."]
                elif key_of(raw_id) in ns.tags:
                    plan.append(key_of(raw_id))
                else:
                    errors[f"tags.{i}.id"] = [unknown_id(i)]
                continue
            title = title.strip() if isinstance(title, str) else ""
            if title:
                plan.append((title,))
            elif f"tags.{i}.title" not in errors:
                errors[f"tags.{i}.title"] = [title_required(i)]
        return plan, errors

    def _create(self, ns: Namespace, step: tuple[str], now: str) -> str:
        new_id = self.store.next_int(VENDOR, TAG_COUNTER)
        key = key_of(new_id)
        ns.tags[key] = {"id": new_id, "title": step[0], "created_at": now, "updated_at": now}
        return key
