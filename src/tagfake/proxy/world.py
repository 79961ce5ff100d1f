"""What a vendor's answers show of its state, as a fixture document: tags (and CommBox groups)
and the entities seen, with their tag sets. Fed by `tagfake fixtures from-har` (a recording)
and by the shadow's import (the upstream's own reads); both then load it as any fixture.

Only successful answers count; each exchange updates the picture in the order seen, so the
document is the state after the last exchange."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tagfake.fixtures import TENANT_NAME

Record = dict[str, Any]

#: Fields each vendor's fixture accepts per record (see the vendors' `tenant_schema`).
_FIELDS = {
    ("zapini", "tags"): ("id", "name", "color", "created_at", "updated_at"),
    ("zapini", "conversations"): ("id", "display_name", "contact_number"),
    ("nexor", "tags"): ("id", "name", "slug", "description", "created_at", "updated_at"),
    ("nexor", "leads"): (
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "source",
        "metadata",
        "created_at",
        "updated_at",
    ),
    ("healvi", "tags"): ("id", "title", "created_at", "updated_at"),
    ("healvi", "profiles"): (
        "id",
        "name",
        "salutation",
        "gender",
        "blocked",
        "date_of_birth",
        "phone_number",
        "email",
        "address",
        "custom_1",
        "custom_2",
        "custom_3",
        "custom_4",
        "custom_5",
        "created_at",
        "updated_at",
    ),
    ("commbox", "tags"): ("id", "name", "type", "groupId", "isObject", "isUser", "isChild"),
    ("commbox", "groups"): ("id", "name"),
}
#: The section holding each vendor's entities, and a required field's stand-in when an entity is
#: known only by id (seen in a sync's path, never read).
ENTITIES = {"zapini": "conversations", "nexor": "leads", "healvi": "profiles"}
_STAND_IN = {"nexor": {"first_name": "(not read)"}, "healvi": {"name": "(not read)"}}


@dataclass(frozen=True)
class Exchange:
    operation_id: str
    method: str
    path_params: dict[str, str]
    query: str
    request: Any
    status: int
    answer: Any


_NULLABLE = frozenset(
    {"display_name", "last_name", "email", "phone", "company", "title", "description"}
    | {"date_of_birth", "custom_1", "custom_2", "custom_3", "custom_4", "custom_5"}
)


def _pick(vendor: str, section: str, raw: Any) -> Record | None:
    if not isinstance(raw, dict) or "id" not in raw:
        return None
    names = _FIELDS[(vendor, section)]
    return {k: raw[k] for k in names if k in raw and (raw[k] is not None or k in _NULLABLE)}


def shallowest(doc: Any, key: str, max_depth: int = 32) -> Any:
    """The value of `key` nearest the top of a JSON document (Nexor's sync reads its fields
    wherever they are nested, the shallowest winning); None when absent."""
    level = [doc]
    for _ in range(max_depth):
        nxt: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                if key in node:
                    return node[key]
                nxt.extend(node.values())
            elif isinstance(node, list):
                nxt.extend(node)
        if not nxt:
            return None
        level = nxt
    return None


def _data(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


@dataclass
class TenantState:
    tags: dict[str, Record] = field(default_factory=dict)
    groups: dict[str, Record] = field(default_factory=dict)
    entities: dict[str, Record] = field(default_factory=dict)
    #: entity key → tag keys (healvi, zapini, nexor); CommBox: "stream/object" → tag keys.
    tag_sets: dict[str, list[str]] = field(default_factory=dict)
    #: CommBox answers name the account (`brandId`): the tenant is best called that.
    brand: str | None = None


class World:
    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.tenants: dict[str, TenantState] = {}
        #: Bumped on every change: the shadow merges only when something new was seen.
        self.version = 0

    def tenant(self, name: str) -> TenantState:
        return self.tenants.setdefault(name, TenantState())

    # -- recording what an answer shows -------------------------------------------------------
    def observe(self, tenant: str, ex: Exchange) -> None:
        if not 200 <= ex.status < 300:
            return
        handler = getattr(self, f"_{self.vendor}", None)
        if handler is not None:
            t = self.tenant(tenant)
            handler(t, ex)
            self.version += 1

    def _upsert(self, t: TenantState, section: str, raw: Any) -> str | None:
        rec = _pick(self.vendor, section, raw)
        if rec is None:
            return None
        key = str(rec["id"])
        into = t.groups if section == "groups" else t.tags if section == "tags" else t.entities
        into[key] = {**into.get(key, {}), **rec}
        return key

    def _entity(self, t: TenantState, key: str, raw: Any = None) -> str:
        if raw is not None:
            self._upsert(t, ENTITIES[self.vendor], raw)
        if key not in t.entities:
            t.entities[key] = {"id": key, **_STAND_IN.get(self.vendor, {})}
        t.tag_sets.setdefault(key, [])
        return key

    def _tag_list(self, t: TenantState, items: Any, section: str = "tags") -> list[str]:
        keys = []
        for item in items if isinstance(items, list) else []:
            key = self._upsert(t, section, item)
            if key is not None:
                keys.append(key)
        return keys

    def _replace_all(self, t: TenantState, keys: list[str], section: str = "tags") -> None:
        """A full list read: whatever it does not show is gone."""
        into = t.groups if section == "groups" else t.tags
        for gone in set(into) - set(keys):
            self._forget(t, gone, section)

    def _forget(self, t: TenantState, key: str, section: str = "tags") -> None:
        if section == "groups":
            t.groups.pop(key, None)
            return
        t.tags.pop(key, None)
        for tags in t.tag_sets.values():
            if key in tags:
                tags.remove(key)

    def _zapini(self, t: TenantState, ex: Exchange) -> None:
        op = ex.operation_id
        if op == "listTags":
            self._replace_all(t, self._tag_list(t, _data(ex.answer, "data", "tags")))
        elif op in {"getTag", "createTag", "updateTag"}:
            self._upsert(t, "tags", _data(ex.answer, "data", "tag"))
        elif op == "deleteTag":
            self._forget(t, ex.path_params.get("uuid", "").lower())
        elif op == "getConversation":
            conv = _data(ex.answer, "data", "conversation")
            if isinstance(conv, dict) and "id" in conv:
                key = self._entity(t, str(conv["id"]), conv)
                t.tag_sets[key] = self._tag_list(t, conv.get("tags"))
        elif op == "updateConversationTags":
            key = self._entity(t, ex.path_params.get("uuid", "").lower())
            t.tag_sets[key] = self._tag_list(t, _data(ex.answer, "data", "tags"))

    def _nexor(self, t: TenantState, ex: Exchange) -> None:
        op = ex.operation_id
        if op == "listTags":
            keys = self._tag_list(t, _data(ex.answer, "data"))
            if "search=" not in ex.query:
                self._replace_all(t, keys)
        elif op in {"createTag", "updateTag"}:
            self._upsert(t, "tags", _data(ex.answer, "data"))
        elif op == "deleteTag":
            self._forget(t, ex.path_params.get("id", "").lower())
        elif op == "getLead":
            lead = _data(ex.answer, "lead")
            if isinstance(lead, dict) and "id" in lead:
                key = self._entity(t, str(lead["id"]), lead)
                t.tag_sets[key] = self._tag_list(t, lead.get("tags"))
        elif op == "getLeadTags":
            key = self._entity(t, ex.path_params.get("leadId", "").lower())
            t.tag_sets[key] = self._tag_list(t, _data(ex.answer, "data"))
        elif op == "syncLeadTags" and isinstance(ex.answer, dict) and ex.answer.get("lead_id"):
            key = self._entity(t, str(ex.answer["lead_id"]).lower())
            t.tag_sets[key] = self._tag_list(t, ex.answer.get("tags"))
            email = shallowest(ex.request, "email")
            if isinstance(email, str) and "email" not in t.entities[key]:
                # Nexor has no read by email: the sync that named the lead by it tells it.
                t.entities[key]["email"] = email

    def _healvi(self, t: TenantState, ex: Exchange) -> None:
        op = ex.operation_id
        if op == "getProfile":
            profile = _data(ex.answer, "data")
            if isinstance(profile, dict) and "id" in profile:
                self._entity(t, str(profile["id"]), profile)
        elif op == "syncProfileTags":
            key = self._entity(t, ex.path_params.get("profileId", ""))
            t.tag_sets[key] = self._tag_list(t, _data(ex.answer, "data"))

    def _commbox(self, t: TenantState, ex: Exchange) -> None:
        op, p = ex.operation_id, ex.path_params
        if op == "getTags":
            self._replace_all(t, self._tag_list(t, _data(ex.answer, "data")))
        elif op == "getTagsGroups":
            groups = _data(ex.answer, "data")
            self._replace_all(t, self._tag_list(t, groups, "groups"), "groups")
            if isinstance(groups, list) and groups and isinstance(groups[0], dict):
                brand = groups[0].get("brandId")
                t.brand = str(brand) if brand is not None else t.brand
        elif op == "createTag":
            made, sent = _data(ex.answer, "data", "id"), _data(ex.request, "data")
            if made is not None and isinstance(sent, dict):
                t.tags[str(made)] = {
                    "id": int(made),
                    "name": sent.get("Name"),
                    "type": sent.get("Type", 1),
                    "groupId": sent.get("TagGroupId", sent.get("Tag Group Id", 0)) or 0,
                }
        elif op == "deleteTag":
            self._forget(t, p.get("TAG_ID", ""))
        elif op in {"setObjectTag", "deleteObjectTag"}:
            key = f"{p.get('STREAM_ID')}/{p.get('OBJECT_ID')}"
            tags = t.tag_sets.setdefault(key, [])
            tag = p.get("TAG_ID", "")
            if op == "setObjectTag" and tag not in tags:
                tags.append(tag)
            elif op == "deleteObjectTag" and tag in tags:
                tags.remove(tag)

    def named(self, name: str) -> str:
        """The name the tenant's answers give it (a CommBox brand), else `name`; the picture
        is renamed to match."""
        t = self.tenants.get(name)
        wanted = t.brand if t is not None else None
        if wanted is None or wanted in self.tenants or not TENANT_NAME.fullmatch(wanted):
            return name
        self.tenants[wanted] = self.tenants.pop(name)
        return wanted

    # -- the fixture document -----------------------------------------------------------------
    def tenant_fixture(
        self, name: str, credentials: list[str], skip: set[str] | None = None
    ) -> Record:
        """One tenant as the vendor's fixture has it; ids in `skip` (e.g. mapped ids) left out."""
        t = self.tenants.get(name, TenantState())
        skip = skip or set()
        known = {k for k in t.tags if k not in skip}
        body: Record = {"credentials": credentials}
        tags = [self._typed(v) for k, v in t.tags.items() if k in known]
        if self.vendor == "commbox":
            groups = [self._typed(v) for k, v in t.groups.items() if k not in skip]
            body["groups"] = groups
            present = {str(g["id"]) for g in groups}
            for tag in tags:
                if str(tag.get("groupId", 0)) not in present:
                    tag["groupId"] = 0
            body["tags"] = [x for x in tags if x.get("name")]
            streams: dict[str, list[Record]] = {}
            named = {str(x["id"]) for x in body["tags"]}
            for key, carried in t.tag_sets.items():
                stream, obj = key.split("/", 1)
                streams.setdefault(stream, []).append(
                    {"id": int(obj), "tags": [int(x) for x in carried if x in named]}
                )
            body["streams"] = [{"id": int(s), "objects": o} for s, o in streams.items()]
            return body
        body["tags"] = tags
        section = ENTITIES[self.vendor]
        body[section] = [
            {
                **self._typed(v),
                "tags": [self._typed_id(x) for x in t.tag_sets.get(k, []) if x in known],
            }
            for k, v in t.entities.items()
            if k not in skip
        ]
        return body

    def _typed(self, rec: Record) -> Record:
        return {**rec, "id": self._typed_id(rec["id"])}

    def _typed_id(self, value: Any) -> Any:
        if self.vendor in {"healvi", "commbox"}:
            return int(value)
        return str(value).lower()
