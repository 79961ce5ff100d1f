"""Zapini's rules on the tag core: UUID ids, names unique per tenant (case-insensitive),
`#RRGGBB` colours, a conversation's tags replaced as a whole, live conversation counts."""

from __future__ import annotations

from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Invalid
from tagfake.state.model import Record
from tagfake.state.store import Clash, Index, Layout, Store, TenantReader, TenantWriter
from tagfake.vendors.zapini import rules

VENDOR = "zapini"
KIND = "conversations"


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
    # Laravel's order: the route's model (404), then every rule at once (422), then the change.
    # `pending`: the request's schema violations, reported when no rule here names them.
    def create_tag(self, tenant: str, body: Any, pending: Invalid | None = None) -> Record:
        errors = rules.tag_errors(body, partial=False)
        with self.store.transaction(VENDOR, tenant) as w:
            self._check(w, body, errors, None, pending)
            key = w.new_uuid()
            now = rfc3339(self.clock.now())
            self._put(
                w,
                key,
                {
                    "id": key,
                    "name": rules.trim(body["name"]),
                    "color": body["color"],
                    "created_at": now,
                    "updated_at": now,
                },
            )
            return self._full(w, key)

    def update_tag(
        self, tenant: str, tag_id: str, body: Any, pending: Invalid | None = None
    ) -> Record:
        with self.store.transaction(VENDOR, tenant) as w:
            key = key_of(tag_id)
            tag = core.tag(w, key)
            self._check(w, body, rules.tag_errors(body, partial=True), key, pending)
            changes: Record = {}
            if "name" in body:
                changes["name"] = rules.trim(body["name"])
            if "color" in body:
                changes["color"] = body["color"]
            if changes:
                self._put(w, key, {**tag, **changes, "updated_at": rfc3339(self.clock.now())})
            return self._full(w, key)

    def delete_tag(self, tenant: str, tag_id: str) -> None:
        with self.store.transaction(VENDOR, tenant) as w:
            w.delete_tag(core.require_tag(w, key_of(tag_id)))

    def update_conversation_tags(
        self, tenant: str, conversation_id: str, tag_ids: Any, pending: Invalid | None = None
    ) -> list[Record]:
        with self.store.transaction(VENDOR, tenant) as w:
            conv_key = core.require_entity(w, KIND, key_of(conversation_id), "Conversation")
            errors = rules.tag_ids_errors(tag_ids)
            if isinstance(tag_ids, list):
                for i, raw in enumerate(tag_ids):
                    if rules.is_uuid(raw) and not w.has_tag(key_of(raw)):
                        errors[f"tag_ids.{i}"] = [rules.not_in_tenant(f"tag_ids.{i}")]
            if errors:
                raise rules.invalid(rules.ordered(errors, ("tag_ids",)))
            if pending is not None:
                raise pending
            w.replace_tags(KIND, conv_key, [key_of(t) for t in tag_ids])
            return [self._summary(w, k) for k in w.entity_tags(KIND, conv_key) or []]

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _check(
        r: TenantReader,
        body: Any,
        errors: dict[str, list[str]],
        own_key: str | None,
        pending: Invalid | None,
    ) -> None:
        """The tag body's rules plus `unique` on the name (case-insensitive, the tag itself
        excepted, found by the store's name index); raises every failure at once."""
        if "name" not in errors and isinstance(body, dict) and "name" in body:
            clash = r.tag_by("name", rules.trim(body["name"]).casefold())
            if clash is not None and clash != own_key:
                errors["name"] = [rules.taken("name")]
        if errors:
            raise rules.invalid(rules.ordered(errors, rules.TAG_FIELDS))
        if pending is not None:
            raise pending

    @staticmethod
    def _put(w: TenantWriter, key: str, tag: Record) -> None:
        """The store's name index holds uniqueness under the transaction; `_check` has named
        a clash already, with every other failure, so this only guards the rule."""
        try:
            w.put_tag(key, tag)
        except Clash:
            raise rules.invalid({"name": [rules.taken("name")]}) from None

    @staticmethod
    def _full(r: TenantReader, key: str) -> Record:
        return {**core.tag(r, key), "conversations_count": r.count_carrying(KIND, key)}

    @staticmethod
    def _summary(r: TenantReader, key: str) -> Record:
        tag = core.tag(r, key)
        return {"id": tag["id"], "name": tag["name"], "color": tag["color"]}
