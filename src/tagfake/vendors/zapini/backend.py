"""Zapini's rules on the tag core: UUID ids, names unique per tenant (case-insensitive),
`#RRGGBB` colours, a conversation's tags replaced as a whole, live conversation counts."""

from __future__ import annotations

from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Invalid, NotFound
from tagfake.state.model import Namespace, Record
from tagfake.state.store import Store
from tagfake.vendors.zapini import rules

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
    # Laravel's order: the route's model (404), then every rule at once (422), then the change.
    # `pending`: the request's schema violations, reported when no rule here names them.
    def create_tag(self, tenant: str, body: Any, pending: Invalid | None = None) -> Record:
        errors = rules.tag_errors(body, partial=False)
        with self.store.transaction(VENDOR, tenant) as ns:
            self._check(ns, body, errors, None, pending)
            key = self.store.new_uuid()
            now = rfc3339(self.clock.now())
            ns.tags[key] = {
                "id": key,
                "name": rules.trim(body["name"]),
                "color": body["color"],
                "created_at": now,
                "updated_at": now,
            }
            return self._full(ns, key)

    def update_tag(
        self, tenant: str, tag_id: str, body: Any, pending: Invalid | None = None
    ) -> Record:
        with self.store.transaction(VENDOR, tenant) as ns:
            key = self._tag_key(ns, tag_id)
            self._check(ns, body, rules.tag_errors(body, partial=True), key, pending)
            changes: Record = {}
            if "name" in body:
                changes["name"] = rules.trim(body["name"])
            if "color" in body:
                changes["color"] = body["color"]
            if changes:
                ns.tags[key].update(changes, updated_at=rfc3339(self.clock.now()))
            return self._full(ns, key)

    def delete_tag(self, tenant: str, tag_id: str) -> None:
        with self.store.transaction(VENDOR, tenant) as ns:
            core.delete_tags(ns, [self._tag_key(ns, tag_id)])

    def update_conversation_tags(
        self, tenant: str, conversation_id: str, tag_ids: Any, pending: Invalid | None = None
    ) -> list[Record]:
        with self.store.transaction(VENDOR, tenant) as ns:
            conv_key = key_of(conversation_id)
            core.entity(ns, KIND, conv_key, "Conversation")
            errors = rules.tag_ids_errors(tag_ids)
            if isinstance(tag_ids, list):
                for i, raw in enumerate(tag_ids):
                    if rules.is_uuid(raw) and key_of(raw) not in ns.tags:
                        errors[f"tag_ids.{i}"] = [rules.not_in_tenant(f"tag_ids.{i}")]
            if errors:
                raise rules.invalid(rules.ordered(errors, ("tag_ids",)))
            if pending is not None:
                raise pending
            core.replace_set(ns, KIND, conv_key, [key_of(t) for t in tag_ids])
            return [self._summary(ns, k) for k in ns.kind(KIND)[conv_key].tags]

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _check(
        ns: Namespace,
        body: Any,
        errors: dict[str, list[str]],
        own_key: str | None,
        pending: Invalid | None,
    ) -> None:
        """The tag body's rules plus `unique` on the name (case-insensitive, the tag itself
        excepted); raises every failure at once."""
        if "name" not in errors and isinstance(body, dict) and "name" in body:
            folded = rules.trim(body["name"]).casefold()
            clash = core.find_tag(ns, lambda t: t["name"].casefold() == folded)
            if clash is not None and clash != own_key:
                errors["name"] = [rules.taken("name")]
        if errors:
            raise rules.invalid(rules.ordered(errors, rules.TAG_FIELDS))
        if pending is not None:
            raise pending

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
