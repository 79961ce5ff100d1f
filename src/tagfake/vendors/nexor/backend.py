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
from tagfake.state.model import Entity, Namespace, Record
from tagfake.state.store import Store
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


def key_of(uuid: str) -> str:
    """UUIDs compare case-insensitively."""
    return uuid.lower()


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


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
        self.store = store
        self.clock = clock
        #: How deep the sync looks for its fields (the pipeline refuses deeper bodies anyway).
        self.max_depth = max_depth

    # -- reads ------------------------------------------------------------------------------
    def list_tags(self, tenant: str, search: str | None = None) -> list[Record]:
        needle = (search or "").casefold()
        with self.store.read(VENDOR, tenant) as ns:
            return [
                self._full(tag)
                for tag in ns.tags.values()
                if not needle
                or any(
                    needle in (tag.get(f) or "").casefold() for f in ("name", "slug", "description")
                )
            ]

    def get_lead_tags(self, tenant: str, lead_id: str) -> list[Record]:
        with self.store.read(VENDOR, tenant) as ns:
            return self._refs(ns, self._lead(ns, lead_id))

    def get_lead(self, tenant: str, lead_id: str) -> Record:
        with self.store.read(VENDOR, tenant) as ns:
            lead = self._lead(ns, lead_id)
            return {
                **self._lead_view(lead.attrs),
                "tags": self._refs(ns, lead),
                "campaign": None,
                "active_workflow_run": None,
                "updated_at": lead.attrs["updated_at"],
            }

    # -- tag writes -------------------------------------------------------------------------
    def create_tag(self, tenant: str, body: dict[str, Any]) -> Record:
        name = self._text(body.get("name"), TAG_NAME_REQUIRED)
        slug = self._slug(body.get("slug"), TAG_SLUG_REQUIRED)
        description = self._description(body.get("description"))
        with self.store.transaction(VENDOR, tenant) as ns:
            self._slug_free(ns, slug, None)
            key = self.store.new_uuid()
            now = rfc3339(self.clock.now())
            ns.tags[key] = {
                "id": key,
                "name": name,
                "slug": slug,
                "description": description,
                "created_at": now,
                "updated_at": now,
            }
            # The docs' create example has no `updated_at`.
            return {k: ns.tags[key][k] for k in ("id", "name", "slug", "description", "created_at")}

    def update_tag(self, tenant: str, tag_id: str, body: dict[str, Any]) -> Record:
        changes: Record = {}
        if "name" in body:
            changes["name"] = self._text(body["name"], "Tag name cannot be empty")
        if "slug" in body:
            changes["slug"] = self._slug(body["slug"], "Tag slug cannot be empty")
        if "description" in body:
            changes["description"] = self._description(body["description"])
        with self.store.transaction(VENDOR, tenant) as ns:
            key = self._tag_key(ns, tag_id)
            if "slug" in changes:
                self._slug_free(ns, changes["slug"], key)
            if changes:
                ns.tags[key].update(changes, updated_at=rfc3339(self.clock.now()))
            return self._full(ns.tags[key])

    def delete_tag(self, tenant: str, tag_id: str) -> None:
        with self.store.transaction(VENDOR, tenant) as ns:
            core.delete_tags(ns, [self._tag_key(ns, tag_id)])

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
        with self.store.transaction(VENDOR, tenant) as ns:
            lead = self._lead(ns, lead_id)
            if any(k not in ns.tags for k in wanted):
                raise NotFound("Tag")
            added = [k for k in wanted if k not in lead.tags]
            if added:
                lead.tags.extend(added)
                lead.attrs["updated_at"] = rfc3339(self.clock.now())
            return self._refs(ns, lead)

    def sync_lead_tags(self, tenant: str, body: Any) -> Record:
        """PUT /leads/tags: the lead's set becomes exactly the named tags, created by slug."""
        found = find_fields(body, SYNC_FIELDS, self.max_depth)
        names = found.get("tags")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise Invalid(TAGS_NOT_STRINGS, {"tags": [TAGS_NOT_STRINGS]})
        lead_id, email = found.get("lead_id"), found.get("email")
        if lead_id is None and email is None:
            raise Invalid(LEAD_NOT_IDENTIFIED)
        for field, value in (("lead_id", lead_id), ("email", email)):
            if value is not None and not isinstance(value, str):
                raise Invalid(f"{field} must be a string", {field: [f"{field} must be a string"]})
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
        with self.store.transaction(VENDOR, tenant) as ns:
            lead_key = self._find_lead(ns, lead_id, email)
            by_slug = {tag["slug"]: key for key, tag in ns.tags.items()}
            now = rfc3339(self.clock.now())
            keys: list[str] = []
            for slug, name in wanted.items():
                key = by_slug.get(slug)
                if key is None:
                    key = self.store.new_uuid()
                    ns.tags[key] = {
                        "id": key,
                        "name": name,
                        "slug": slug,
                        "description": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                keys.append(key)
            change = core.replace_set(ns, KIND, lead_key, keys)
            lead = ns.kind(KIND)[lead_key]
            if change.changed:
                lead.attrs["updated_at"] = now
            return {
                "lead_id": lead.attrs["id"],
                "tags": self._refs(ns, lead),
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
            with self.store.transaction(VENDOR, tenant) as ns:
                return {"lead": self._add_lead(ns, body)}
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_BULK:
            raise Invalid(BULK_SIZE)
        problems = [lead_error(item) for item in body]
        leads: list[Record] = []
        with self.store.transaction(VENDOR, tenant) as ns:
            for item, problem in zip(body, problems, strict=True):
                if problem is None:
                    leads.append(self._add_lead(ns, item))
        errors = [{"index": i, "error": p} for i, p in enumerate(problems) if p is not None]
        return {"created": len(leads), "failed": len(errors), "leads": leads, "errors": errors}

    # -- helpers ----------------------------------------------------------------------------
    def _add_lead(self, ns: Namespace, raw: dict[str, Any]) -> Record:
        key = self.store.new_uuid()
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
        ns.kind(KIND)[key] = Entity(attrs=attrs)
        return self._lead_view(attrs)

    def _find_lead(self, ns: Namespace, lead_id: str | None, email: str | None) -> str:
        """lead_id wins over email (no fallback); email ignores case, earliest lead first."""
        leads = ns.kind(KIND)
        if lead_id is not None:
            if key_of(lead_id) in leads:
                return key_of(lead_id)
            raise NotFound("Lead")
        assert email is not None
        folded = email.casefold()
        for key, lead in leads.items():
            own = lead.attrs.get("email")
            if isinstance(own, str) and own.casefold() == folded:
                return key
        raise NotFound("Lead")

    @staticmethod
    def _lead(ns: Namespace, lead_id: str) -> Entity:
        return core.entity(ns, KIND, key_of(lead_id), "Lead")

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
    def _slug_free(ns: Namespace, slug: str, own_key: str | None) -> None:
        clash = core.find_tag(ns, lambda t: t["slug"] == slug)
        if clash is not None and clash != own_key:
            raise Conflict(SLUG_TAKEN)

    @staticmethod
    def _tag_key(ns: Namespace, tag_id: str) -> str:
        key = key_of(tag_id)
        if key not in ns.tags:
            raise NotFound("Tag")
        return key

    @staticmethod
    def _full(tag: Record) -> Record:
        fields = ("id", "name", "slug", "description", "created_at", "updated_at")
        return {k: tag.get(k) for k in fields}

    @staticmethod
    def _refs(ns: Namespace, lead: Entity) -> list[Record]:
        return [{k: ns.tags[t][k] for k in ("id", "name", "slug")} for t in lead.tags]

    @staticmethod
    def _lead_view(attrs: Record) -> Record:
        fields = ("id", "first_name", "last_name", "email", "phone", "source", "company", "title")
        return {
            **{k: attrs.get(k) for k in fields},
            "metadata": dict(attrs.get("metadata") or {}),
            "created_at": attrs["created_at"],
        }
