"""Nexor's rules on the tag core: UUID ids, slugs unique per account (one slug rule for create,
update and sync), tag CRUD, lead tag assignment, the find-or-create-by-slug sync of a lead's
tags, and lead create/get.

Every write validates the whole request before its first change, inside one store transaction,
so a rejected request changes nothing and a sync is atomic under concurrent requests.
"""

from __future__ import annotations

import re
from typing import Any

from tagfake import core
from tagfake.clock import Clock, rfc3339
from tagfake.errors import Conflict, Invalid, NotFound
from tagfake.state.model import Entity, Record
from tagfake.state.store import Clash, Index, Layout, Store, TenantReader, TenantWriter
from tagfake.vendors.nexor.search import find_fields
from tagfake.vendors.nexor.slug import slugify

VENDOR = "nexor"
KIND = "leads"
MAX_BULK = 1000
SYNC_FIELDS = ("lead_id", "email", "tags")

TAG_NAME_REQUIRED = "Tag name is required"
TAG_SLUG_REQUIRED = "Tag slug is required"
SLUG_TAKEN = "A tag with this slug already exists"
TAGS_NOT_STRINGS = "tags must be an array of strings"
LEAD_NOT_IDENTIFIED = "lead_id or email is required"
LEAD_ID_NOT_UUID = "lead_id must be a UUID"
EMAIL_INVALID = "email must be a valid email address"
EITHER_TAG_ID = "Provide either tagId or tagIds, not both"
BULK_SIZE = "Request body must be a lead object or an array of 1 to 1,000 leads"

#: Lead fields that are columns; any other key of a created lead goes into its metadata.
CORE_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "workflow_id",
        "campaign_id",
        "metadata",
        "force_first_message",
    }
)
_TEXT_COLUMNS = ("last_name", "phone", "company", "title")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def folded_email(lead: Record) -> str | None:
    """Emails match ignoring case; several leads may share one (the earliest is found)."""
    email = lead.get("email")
    return email.casefold() if isinstance(email, str) else None


LAYOUT = Layout(
    tag_indexes=(Index("slug", lambda tag: str(tag["slug"])),),
    entity_indexes={KIND: (Index("email", folded_email, unique=False),)},
)


def key_of(uuid: str) -> str:
    """UUIDs compare case-insensitively."""
    return uuid.lower()


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def _all_texts(values: list[Any]) -> bool:
    # A loop, not all() over a generator: a sync makes one per request.
    for value in values:  # noqa: SIM110
        if not isinstance(value, str):
            return False
    return True


def _not_a_string(field: str) -> Invalid:
    return Invalid(f"{field} must be a string", {field: [f"{field} must be a string"]})


def lead_error(raw: Any) -> str | None:
    """Why `raw` cannot be created as a lead (the LeadCreate rules), or None when it can."""
    if not isinstance(raw, dict):
        return "Lead must be a JSON object"
    first = raw.get("first_name")
    if first is None or first == "":
        return "first_name is required"
    if not isinstance(first, str):
        return "first_name must be a string"
    for name in _TEXT_COLUMNS:
        if name in raw and not isinstance(raw[name], str):
            return f"{name} must be a string"
    if "email" in raw and not (isinstance(raw["email"], str) and _EMAIL.fullmatch(raw["email"])):
        return EMAIL_INVALID
    for name in ("workflow_id", "campaign_id"):
        if name in raw and not is_uuid(raw[name]):
            return f"{name} must be a UUID"
    if "metadata" in raw:
        metadata = raw["metadata"]
        if not isinstance(metadata, dict):
            return "metadata must be an object"
        if not all(isinstance(v, str | int | float) for v in metadata.values()):
            return "metadata values must be strings, numbers or booleans"
    if "force_first_message" in raw:
        if not isinstance(raw["force_first_message"], bool):
            return "force_first_message must be a boolean"
        if raw["force_first_message"] and "workflow_id" not in raw:
            return "force_first_message requires workflow_id"
    return None


class NexorBackend:
    def __init__(self, store: Store, clock: Clock, max_depth: int = 32) -> None:
        store.declare(VENDOR, LAYOUT)
        self.store = store
        self.clock = clock
        #: How deep the sync looks for its fields (the pipeline refuses deeper bodies anyway).
        self.max_depth = max_depth

    # -- reads ------------------------------------------------------------------------------
    def list_tags(self, tenant: str, search: str | None = None) -> list[Record]:
        needle = (search or "").casefold()
        with self.store.read(VENDOR, tenant) as r:
            return [
                self._full(tag)
                for tag in r.tag_records()
                if not needle
                or any(
                    needle in (tag.get(f) or "").casefold() for f in ("name", "slug", "description")
                )
            ]

    def get_lead_tags(self, tenant: str, lead_id: str) -> list[Record]:
        with self.store.read(VENDOR, tenant) as r:
            return self._refs(r, self._lead(r, lead_id))

    def get_lead(self, tenant: str, lead_id: str) -> Record:
        with self.store.read(VENDOR, tenant) as r:
            lead = self._lead(r, lead_id)
            return {
                **self._lead_view(lead.attrs),
                "tags": self._refs(r, lead),
                "campaign": None,
                "active_workflow_run": None,
                "updated_at": lead.attrs["updated_at"],
            }

    # -- tag writes -------------------------------------------------------------------------
    def create_tag(self, tenant: str, body: dict[str, Any]) -> Record:
        name = self._text(body.get("name"), TAG_NAME_REQUIRED)
        slug = self._slug(body.get("slug"), TAG_SLUG_REQUIRED)
        description = self._description(body.get("description"))
        with self.store.transaction(VENDOR, tenant) as w:
            key = w.new_uuid()
            now = rfc3339(self.clock.now())
            tag = {
                "id": key,
                "name": name,
                "slug": slug,
                "description": description,
                "created_at": now,
                "updated_at": now,
            }
            self._put(w, key, tag)
            # The docs' create example has no `updated_at`.
            return {k: tag[k] for k in ("id", "name", "slug", "description", "created_at")}

    def update_tag(self, tenant: str, tag_id: str, body: dict[str, Any]) -> Record:
        changes: Record = {}
        if "name" in body:
            changes["name"] = self._text(body["name"], "Tag name cannot be empty")
        if "slug" in body:
            changes["slug"] = self._slug(body["slug"], "Tag slug cannot be empty")
        if "description" in body:
            changes["description"] = self._description(body["description"])
        with self.store.transaction(VENDOR, tenant) as w:
            key = key_of(tag_id)
            tag = core.tag(w, key)
            if changes:
                tag = {**tag, **changes, "updated_at": rfc3339(self.clock.now())}
                self._put(w, key, tag)
            return self._full(tag)

    def delete_tag(self, tenant: str, tag_id: str) -> None:
        with self.store.transaction(VENDOR, tenant) as w:
            w.delete_tag(core.require_tag(w, key_of(tag_id)))

    # -- lead tags --------------------------------------------------------------------------
    def assign_lead_tags(self, tenant: str, lead_id: str, body: dict[str, Any]) -> list[Record]:
        if ("tagId" in body) == ("tagIds" in body):
            raise Invalid(EITHER_TAG_ID)
        ids = [body["tagId"]] if "tagId" in body else body["tagIds"]
        if not isinstance(ids, list) or not ids:
            raise Invalid("tagIds must be a non-empty array of tag ids")
        if not all(isinstance(i, str) for i in ids):
            raise Invalid("Tag ids must be strings")
        wanted = core.dedupe(key_of(i) for i in ids)
        with self.store.transaction(VENDOR, tenant) as w:
            lead_key = key_of(lead_id)
            lead = self._lead(w, lead_id)
            if not all(w.has_tag(k) for k in wanted):
                raise NotFound("Tag")
            added = [k for k in wanted if w.attach(KIND, lead_key, k)]
            if added:
                attrs = {**lead.attrs, "updated_at": rfc3339(self.clock.now())}
                w.put_entity(KIND, lead_key, attrs)
            return self._refs(w, core.entity(w, KIND, lead_key, "Lead"))

    def sync_lead_tags(self, tenant: str, body: Any) -> Record:
        """PUT /leads/tags: the lead's set becomes exactly the named tags, created by slug."""
        found = find_fields(body, SYNC_FIELDS, self.max_depth)
        names = found.get("tags")
        if not isinstance(names, list) or not _all_texts(names):
            raise Invalid(TAGS_NOT_STRINGS, {"tags": [TAGS_NOT_STRINGS]})
        lead_id, email = found.get("lead_id"), found.get("email")
        if lead_id is None and email is None:
            raise Invalid(LEAD_NOT_IDENTIFIED)
        if not (lead_id is None or isinstance(lead_id, str)):
            raise _not_a_string("lead_id")
        if not (email is None or isinstance(email, str)):
            raise _not_a_string("email")
        # The spec types the top-level fields (uuid, email); nested ones follow the same rule.
        if lead_id is not None and not is_uuid(lead_id):
            raise Invalid(LEAD_ID_NOT_UUID, {"lead_id": [LEAD_ID_NOT_UUID]})
        if email is not None and not _EMAIL.fullmatch(email):
            raise Invalid(EMAIL_INVALID, {"email": [EMAIL_INVALID]})
        wanted: dict[str, str] = {}  # slug -> the first name sent for it, in request order
        for name in names:
            slug = slugify(name)
            if not slug:
                raise Invalid(f'Tag name "{name}" must contain a letter or digit')
            wanted.setdefault(slug, name)
        with self.store.transaction(VENDOR, tenant) as w:
            lead_key = self._find_lead(w, lead_id, email)
            now = ""  # read when first needed: most syncs of a lead change nothing
            keys: list[str] = []
            for slug, name in wanted.items():
                key = w.tag_by("slug", slug)
                if key is None:
                    now = now or rfc3339(self.clock.now())
                    key = w.new_uuid()
                    w.put_tag(
                        key,
                        {
                            "id": key,
                            "name": name,
                            "slug": slug,
                            "description": None,
                            "created_at": now,
                            "updated_at": now,
                        },
                    )
                keys.append(key)
            change = w.replace_tags(KIND, lead_key, keys)
            lead = core.entity(w, KIND, lead_key, "Lead")
            if change.changed:
                lead.attrs["updated_at"] = now or rfc3339(self.clock.now())
                w.put_entity(KIND, lead_key, lead.attrs)
            return {
                "lead_id": lead.attrs["id"],
                "tags": self._refs(w, lead),
                "added": change.added,
                "removed": change.removed,
            }

    # -- leads ------------------------------------------------------------------------------
    def create_leads(self, tenant: str, body: Any) -> Record:
        """One object → `{"lead"}` (an invalid one is refused whole); an array of up to 1,000 →
        `{"created","failed","leads","errors"}` with the valid items created (partial success)."""
        if isinstance(body, dict):
            problem = lead_error(body)
            if problem is not None:
                raise Invalid(problem)
            with self.store.transaction(VENDOR, tenant) as w:
                return {"lead": self._add_lead(w, body)}
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_BULK:
            raise Invalid(BULK_SIZE)
        problems = [lead_error(item) for item in body]
        leads: list[Record] = []
        with self.store.transaction(VENDOR, tenant) as w:
            for item, problem in zip(body, problems, strict=True):
                if problem is None:
                    leads.append(self._add_lead(w, item))
        errors = [{"index": i, "error": p} for i, p in enumerate(problems) if p is not None]
        return {"created": len(leads), "failed": len(errors), "leads": leads, "errors": errors}

    # -- helpers ----------------------------------------------------------------------------
    def _add_lead(self, w: TenantWriter, raw: dict[str, Any]) -> Record:
        key = w.new_uuid()
        now = rfc3339(self.clock.now())
        extras = {k: v for k, v in raw.items() if k not in CORE_COLUMNS}
        attrs: Record = {
            "id": key,
            "first_name": raw["first_name"],
            **{name: raw.get(name) for name in ("last_name", "email", "phone", "company", "title")},
            "source": "api",
            # Unknown keys go into metadata; an explicit `metadata` wins on conflicts (docs).
            "metadata": {**extras, **raw.get("metadata", {})},
            "created_at": now,
            "updated_at": now,
        }
        for name in ("workflow_id", "campaign_id"):
            if name in raw:
                attrs[name] = key_of(raw[name])
        w.put_entity(KIND, key, attrs, [])
        return self._lead_view(attrs)

    def _find_lead(self, r: TenantReader, lead_id: str | None, email: str | None) -> str:
        """lead_id wins over email (no fallback); email ignores case, earliest lead first."""
        if lead_id is not None:
            return core.require_entity(r, KIND, key_of(lead_id), "Lead")
        assert email is not None
        key = r.entity_by(KIND, "email", email.casefold())
        if key is None:
            raise NotFound("Lead")
        return key

    @staticmethod
    def _lead(r: TenantReader, lead_id: str) -> Entity:
        return core.entity(r, KIND, key_of(lead_id), "Lead")

    @staticmethod
    def _text(raw: Any, missing: str) -> str:
        if not isinstance(raw, str) or not raw:
            raise Invalid(missing)
        return raw

    @classmethod
    def _slug(cls, raw: Any, missing: str) -> str:
        """A given slug normalised by the rule the sync looks tags up by; empty → `missing`."""
        slug = slugify(cls._text(raw, missing))
        if not slug:
            raise Invalid(missing)
        return slug

    @staticmethod
    def _description(raw: Any) -> str | None:
        if raw is not None and not isinstance(raw, str):
            raise Invalid("Tag description must be a string or null")
        return raw

    @staticmethod
    def _put(w: TenantWriter, key: str, tag: Record) -> None:
        """Uniqueness is the store's slug index: a clash it finds is the vendor's 409."""
        try:
            w.put_tag(key, tag)
        except Clash:
            raise Conflict(SLUG_TAKEN) from None

    @staticmethod
    def _full(tag: Record) -> Record:
        fields = ("id", "name", "slug", "description", "created_at", "updated_at")
        return {k: tag.get(k) for k in fields}

    @staticmethod
    def _refs(r: TenantReader, lead: Entity) -> list[Record]:
        refs = []
        for key in lead.tags:
            tag = core.tag(r, key)
            refs.append({"id": tag["id"], "name": tag["name"], "slug": tag["slug"]})
        return refs

    @staticmethod
    def _lead_view(attrs: Record) -> Record:
        fields = ("id", "first_name", "last_name", "email", "phone", "source", "company", "title")
        return {
            **{k: attrs.get(k) for k in fields},
            "metadata": dict(attrs.get("metadata") or {}),
            "created_at": attrs["created_at"],
        }
