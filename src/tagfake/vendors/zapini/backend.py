"""Zapini's rules on the tag core: UUID ids, names unique per tenant (case-insensitive),
`#RRGGBB` colours, a conversation's tags replaced as a whole, live conversation counts."""

from __future__ import annotations

from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Invalid, NotFound
from tagfake.state.model import Namespace, Record
from tagfake.state.store import Store

VENDOR = "zapini"
KIND = "conversations"


def key_of(uuid: str) -> str:
    """UUIDs compare case-insensitively."""
    return uuid.lower()


class ZapiniBackend:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- reads ------------------------------------------------------------------------------
    def list_tags(self, tenant: str) -> list[Record]:
        with self.store.read(VENDOR, tenant) as ns:
            return [self._full(ns, k) for k in ns.tags]

    def get_tag(self, tenant: str, tag_id: str) -> Record:
        with self.store.read(VENDOR, tenant) as ns:
            return self._full(ns, self._tag_key(ns, tag_id))

    def get_conversation(self, tenant: str, conversation_id: str) -> Record:
        with self.store.read(VENDOR, tenant) as ns:
            conv = core.entity(ns, KIND, key_of(conversation_id), "Conversation")
            return {**conv.attrs, "tags": [self._summary(ns, k) for k in conv.tags]}

    # -- writes -----------------------------------------------------------------------------
    def create_tag(self, tenant: str, body: dict[str, Any]) -> Record:
        name = self._name(body.get("name"))
        with self.store.transaction(VENDOR, tenant) as ns:
            self._unique(ns, name, None)
            key = self.store.new_uuid()
            now = rfc3339(self.clock.now())
            ns.tags[key] = {
                "id": key,
                "name": name,
                "color": body["color"],
                "created_at": now,
                "updated_at": now,
            }
            return self._full(ns, key)

    def update_tag(self, tenant: str, tag_id: str, body: dict[str, Any]) -> Record:
        with self.store.transaction(VENDOR, tenant) as ns:
            key = self._tag_key(ns, tag_id)
            changes: Record = {}
            if "name" in body:
                changes["name"] = self._name(body["name"])
                self._unique(ns, changes["name"], key)
            if "color" in body:
                changes["color"] = body["color"]
            if changes:
                ns.tags[key].update(changes, updated_at=rfc3339(self.clock.now()))
            return self._full(ns, key)

    def delete_tag(self, tenant: str, tag_id: str) -> None:
        with self.store.transaction(VENDOR, tenant) as ns:
            core.delete_tags(ns, [self._tag_key(ns, tag_id)])

    def update_conversation_tags(
        self, tenant: str, conversation_id: str, tag_ids: list[str]
    ) -> list[Record]:
        with self.store.transaction(VENDOR, tenant) as ns:
            conv_key = key_of(conversation_id)
            core.entity(ns, KIND, conv_key, "Conversation")
            wanted = [key_of(t) for t in tag_ids]
            unknown = {
                f"tag_ids.{i}": [f"The selected tag_ids.{i} is invalid."]
                for i, k in enumerate(wanted)
                if k not in ns.tags
            }
            if unknown:
                raise Invalid(next(iter(unknown.values()))[0], unknown)
            core.replace_set(ns, KIND, conv_key, wanted)
            return [self._summary(ns, k) for k in ns.kind(KIND)[conv_key].tags]

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _name(raw: Any) -> str:
        # Laravel trims input strings; a name of only spaces is then missing.
        name = raw.strip() if isinstance(raw, str) else ""
        if not name:
            raise Invalid("The name field is required.", {"name": ["The name field is required."]})
        return name

    @staticmethod
    def _unique(ns: Namespace, name: str, own_key: str | None) -> None:
        folded = name.casefold()
        clash = core.find_tag(ns, lambda t: t["name"].casefold() == folded)
        if clash is not None and clash != own_key:
            text = "The name has already been taken."
            raise Invalid(text, {"name": [text]})

    @staticmethod
    def _tag_key(ns: Namespace, tag_id: str) -> str:
        key = key_of(tag_id)
        if key not in ns.tags:
            raise NotFound("Tag")
        return key

    @staticmethod
    def _full(ns: Namespace, key: str) -> Record:
        return {**ns.tags[key], "conversations_count": core.count_carrying(ns, KIND, key)}

    @staticmethod
    def _summary(ns: Namespace, key: str) -> Record:
        tag = ns.tags[key]
        return {"id": tag["id"], "name": tag["name"], "color": tag["color"]}
