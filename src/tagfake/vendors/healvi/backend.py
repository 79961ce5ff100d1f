"""healvi's rules on the tag core: integer ids (new ones from the store's counter), tags owned
by the tenant, a profile's tag set synced Laravel-style (`sync()`), titles not unique."""

from __future__ import annotations

from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Invalid
from tagfake.state.model import Namespace, Record
from tagfake.state.store import Store

VENDOR = "healvi"
KIND = "profiles"
TAG_COUNTER = "tag"


def key_of(raw_id: Any) -> str:
    """Store key of an integer id; a JSON `1.0` names the same tag as `1`."""
    if isinstance(raw_id, float) and raw_id.is_integer():
        raw_id = int(raw_id)
    return str(raw_id)


def unknown_id(index: int) -> str:
    return f"The selected tags.{index}.id is invalid."


def title_required(index: int) -> str:
    return f"The tags.{index}.title field is required when tags.{index}.id is not present."


class HealviBackend:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def get_profile(self, tenant: str, profile_id: int) -> Record:
        with self.store.read(VENDOR, tenant) as ns:
            return dict(core.entity(ns, KIND, key_of(profile_id), "Profile").attrs)

    def sync_profile_tags(
        self, tenant: str, profile_id: int, items: list[dict[str, Any]]
    ) -> list[Record]:
        """Make the profile's tags exactly `items`; validate all of them before any change."""
        with self.store.transaction(VENDOR, tenant) as ns:
            profile_key = key_of(profile_id)
            core.entity(ns, KIND, profile_key, "Profile")
            plan = self._plan(ns, items)
            now = rfc3339(self.clock.now())
            keys = [step if isinstance(step, str) else self._create(ns, step, now) for step in plan]
            # Stored ordered by id, as the answer is: a sync naming the same set changes nothing.
            core.replace_set(ns, KIND, profile_key, sorted(keys, key=int))
            return [dict(ns.tags[k]) for k in ns.kind(KIND)[profile_key].tags]

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _plan(ns: Namespace, items: list[dict[str, Any]]) -> list[str | tuple[str]]:
        """Per item: an existing tag key, or `(title,)` for a tag to create. Raises on any error."""
        plan: list[str | tuple[str]] = []
        errors: dict[str, list[str]] = {}
        for i, item in enumerate(items):
            raw_id = item.get("id")
            if raw_id is not None:  # id wins over title
                key = key_of(raw_id)
                if key in ns.tags:
                    plan.append(key)
                else:
                    errors[f"tags.{i}.id"] = [unknown_id(i)]
                continue
            title = item.get("title")
            title = title.strip() if isinstance(title, str) else ""
            if title:
                plan.append((title,))
            else:
                errors[f"tags.{i}.title"] = [title_required(i)]
        if errors:
            raise Invalid(next(iter(errors.values()))[0], errors)
        return plan

    def _create(self, ns: Namespace, step: tuple[str], now: str) -> str:
        new_id = self.store.next_int(VENDOR, TAG_COUNTER)
        key = key_of(new_id)
        ns.tags[key] = {"id": new_id, "title": step[0], "created_at": now, "updated_at": now}
        return key
