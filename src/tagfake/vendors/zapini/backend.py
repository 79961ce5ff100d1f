"""Zapini's rules on the tag core: UUID ids, names unique per tenant (case-insensitive),
`#RRGGBB` colours, a conversation's tags replaced as a whole, live conversation counts."""

from __future__ import annotations

from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Invalid
from tagfake.state.model import Record
from tagfake.state.store import Clash, Index, Layout, Store, TenantReader, TenantWriter

VENDOR = "zapini"
KIND = "conversations"
NAME_TAKEN = "The name has already been taken."


def folded_name(tag: Record) -> str:
    """Names are unique per tenant ignoring case."""
    return str(tag["name"]).casefold()


LAYOUT = Layout(tag_indexes=(Index("name", folded_name),))


def key_of(uuid: str) -> str:
    """UUIDs compare case-insensitively."""
    return uuid.lower()


class ZapiniBackend:
    def __init__(self, store: Store, clock: Clock) -> None:
        store.declare(VENDOR, LAYOUT)
        self.store = store
        self.clock = clock

    # -- reads ------------------------------------------------------------------------------
    def list_tags(self, tenant: str) -> list[Record]:
        with self.store.read(VENDOR, tenant) as r:
            return r.tags_counted(KIND, "conversations_count")

    def get_tag(self, tenant: str, tag_id: str) -> Record:
        with self.store.read(VENDOR, tenant) as r:
            return self._full(r, key_of(tag_id))

    def get_conversation(self, tenant: str, conversation_id: str) -> Record:
        with self.store.read(VENDOR, tenant) as r:
            conv = core.entity(r, KIND, key_of(conversation_id), "Conversation")
            return {**conv.attrs, "tags": [self._summary(r, k) for k in conv.tags]}

    # -- writes -----------------------------------------------------------------------------
    def create_tag(self, tenant: str, body: dict[str, Any]) -> Record:
        name = self._name(body.get("name"))
        with self.store.transaction(VENDOR, tenant) as w:
            key = w.new_uuid()
            now = rfc3339(self.clock.now())
            self._put(
                w,
                key,
                {
                    "id": key,
                    "name": name,
                    "color": body["color"],
                    "created_at": now,
                    "updated_at": now,
                },
            )
            return self._full(w, key)

    def update_tag(self, tenant: str, tag_id: str, body: dict[str, Any]) -> Record:
        with self.store.transaction(VENDOR, tenant) as w:
            key = key_of(tag_id)
            tag = core.tag(w, key)
            changes: Record = {}
            if "name" in body:
                changes["name"] = self._name(body["name"])
            if "color" in body:
                changes["color"] = body["color"]
            if changes:
                self._put(w, key, {**tag, **changes, "updated_at": rfc3339(self.clock.now())})
            return self._full(w, key)

    def delete_tag(self, tenant: str, tag_id: str) -> None:
        with self.store.transaction(VENDOR, tenant) as w:
            w.delete_tag(core.require_tag(w, key_of(tag_id)))

    def update_conversation_tags(
        self, tenant: str, conversation_id: str, tag_ids: list[str]
    ) -> list[Record]:
        with self.store.transaction(VENDOR, tenant) as w:
            conv_key = core.require_entity(w, KIND, key_of(conversation_id), "Conversation")
            wanted = [key_of(t) for t in tag_ids]
            unknown = {
                f"tag_ids.{i}": [f"The selected tag_ids.{i} is invalid."]
                for i, k in enumerate(wanted)
                if not w.has_tag(k)
            }
            if unknown:
                raise Invalid(next(iter(unknown.values()))[0], unknown)
            w.replace_tags(KIND, conv_key, wanted)
            return [self._summary(w, k) for k in w.entity_tags(KIND, conv_key) or []]

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _name(raw: Any) -> str:
        # Laravel trims input strings; a name of only spaces is then missing.
        name = raw.strip() if isinstance(raw, str) else ""
        if not name:
            raise Invalid("The name field is required.", {"name": ["The name field is required."]})
        return name

    @staticmethod
    def _put(w: TenantWriter, key: str, tag: Record) -> None:
        """Uniqueness is the store's name index: a clash it finds is the vendor's 422."""
        try:
            w.put_tag(key, tag)
        except Clash:
            raise Invalid(NAME_TAKEN, {"name": [NAME_TAKEN]}) from None

    @staticmethod
    def _full(r: TenantReader, key: str) -> Record:
        return {**core.tag(r, key), "conversations_count": r.count_carrying(KIND, key)}

    @staticmethod
    def _summary(r: TenantReader, key: str) -> Record:
        tag = core.tag(r, key)
        return {"id": tag["id"], "name": tag["name"], "color": tag["color"]}
