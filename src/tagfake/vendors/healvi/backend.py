"""healvi's rules on the tag core: integer ids (new ones from the store's counter), tags owned
by the tenant, a profile's tag set synced Laravel-style (`sync()`), titles not unique."""

from __future__ import annotations

from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Invalid
from tagfake.state.model import Record
from tagfake.state.store import Layout, Store, TenantReader, TenantWriter

VENDOR = "healvi"
KIND = "profiles"
TAG_COUNTER = "tag"
#: Titles are not unique and nothing is looked up but by id: no secondary index.
LAYOUT = Layout()


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
        store.declare(VENDOR, LAYOUT)
        self.store = store
        self.clock = clock

    def get_profile(self, tenant: str, profile_id: int) -> Record:
        with self.store.read(VENDOR, tenant) as r:
            return core.entity(r, KIND, key_of(profile_id), "Profile").attrs

    def sync_profile_tags(
        self, tenant: str, profile_id: int, items: list[dict[str, Any]]
    ) -> list[Record]:
        """Make the profile's tags exactly `items`; validate all of them before any change."""
        with self.store.transaction(VENDOR, tenant) as w:
            profile_key = core.require_entity(w, KIND, key_of(profile_id), "Profile")
            plan = self._plan(w, items)
            now = rfc3339(self.clock.now())
            keys = [step if isinstance(step, str) else self._create(w, step, now) for step in plan]
            # Stored ordered by id, as the answer is: a sync naming the same set changes nothing.
            w.replace_tags(KIND, profile_key, sorted(keys, key=int))
            return [core.tag(w, k) for k in w.entity_tags(KIND, profile_key) or []]

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _plan(r: TenantReader, items: list[dict[str, Any]]) -> list[str | tuple[str]]:
        """Per item: an existing tag key, or `(title,)` for a tag to create. Raises on any error."""
        plan: list[str | tuple[str]] = []
        errors: dict[str, list[str]] = {}
        for i, item in enumerate(items):
            raw_id = item.get("id")
            if raw_id is not None:  # id wins over title
                key = key_of(raw_id)
                if r.has_tag(key):
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

    def _create(self, w: TenantWriter, step: tuple[str], now: str) -> str:
        new_id = w.next_int(TAG_COUNTER)
        key = key_of(new_id)
        w.put_tag(key, {"id": new_id, "title": step[0], "created_at": now, "updated_at": now})
        return key
