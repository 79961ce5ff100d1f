"""Deliberately broken variants of the fake, to show the contract suite catches each one.

They live only here, under tests/, applied with pytest's monkeypatch on the vendors' backend
classes, envelopes and handlers: nothing in `tagfake` can reach them (the CLI never imports
this module)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.responses import Response
from text_unidecode import unidecode

from tagfake import core
from tagfake.clock import rfc3339
from tagfake.errors import Conflict, Invalid, NotFound, TagfakeError, Unauthorized
from tagfake.state.model import Record
from tagfake.state.store import Clash, Index, Layout, TenantReader, TenantWriter
from tagfake.vendors.commbox import backend as commbox_backend
from tagfake.vendors.commbox.backend import CommBoxBackend
from tagfake.vendors.healvi import backend as healvi_backend
from tagfake.vendors.healvi import envelope as healvi_envelope
from tagfake.vendors.healvi.backend import HealviBackend
from tagfake.vendors.nexor import backend as nexor_backend
from tagfake.vendors.nexor.backend import NexorBackend
from tagfake.vendors.nexor.search import find_fields
from tagfake.vendors.nexor.slug import slugify
from tagfake.vendors.zapini import backend as zapini_backend
from tagfake.vendors.zapini import envelope as zapini_envelope
from tagfake.vendors.zapini import handlers as zapini_handlers
from tagfake.vendors.zapini import rules as zapini_rules
from tagfake.vendors.zapini.backend import KIND as CONVERSATIONS
from tagfake.vendors.zapini.backend import ZapiniBackend

Apply = Callable[[pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Mutant:
    id: str
    vendor: str
    broken: str
    #: The check that must fail ("<vendor>.<check>").
    caught_by: str
    apply: Apply
    #: Which checks the run includes: "properties" (the vendor's properties), plus the state
    #: machine or schemathesis when the mutant is theirs to catch.
    extra: frozenset[str] = frozenset()
    #: The class of blindness the mutant stands for (the first 22: "original").
    kind: str = "original"
    #: Why the vendor's own API cannot show the effect (then a run against a URL without the
    #: admin API is not expected to catch it); None: it can.
    hidden: str | None = None


MUTANTS: list[Mutant] = []

#: The classes of blindness the suite was fixed for, each with its mutants.
KINDS = (
    "narrow-data",
    "tenant-writes",
    "missing-operations",
    "timestamps",
    "uniqueness",
    "observations",
    "vendor-reads",
)


def mutant(
    id: str,
    vendor: str,
    broken: str,
    caught_by: str,
    extra: frozenset[str] = frozenset(),
    kind: str = "original",
    hidden: str | None = None,
) -> Callable[[Apply], Apply]:
    def register(fn: Apply) -> Apply:
        MUTANTS.append(Mutant(id, vendor, broken, f"{vendor}.{caught_by}", fn, extra, kind, hidden))
        return fn

    return register


# -- zapini -----------------------------------------------------------------------------------
def _zapini_sync(keep_old: bool = False, ignore_empty: bool = False) -> Callable[..., list[Record]]:
    def update_conversation_tags(
        self: ZapiniBackend,
        tenant: str,
        conversation_id: str,
        tag_ids: list[str],
        pending: Any = None,
    ) -> list[Record]:
        with self.store.transaction("zapini", tenant) as w:
            key = conversation_id.lower()
            conv = core.entity(w, CONVERSATIONS, key, "Conversation")
            wanted = [t.lower() for t in tag_ids]
            for i, k in enumerate(wanted):
                if not w.has_tag(k):
                    text = f"The selected tag_ids.{i} is invalid."
                    raise Invalid(text, {f"tag_ids.{i}": [text]})
            if not (ignore_empty and not wanted):
                w.replace_tags(CONVERSATIONS, key, [*conv.tags, *wanted] if keep_old else wanted)
            return [self._summary(w, k) for k in core.entity(w, CONVERSATIONS, key, "").tags]

    return update_conversation_tags


@mutant("zapini-sync-appends", "zapini", "a sync appends instead of replacing", "sync-sets-exact")
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(ZapiniBackend, "update_conversation_tags", _zapini_sync(keep_old=True))


@mutant("zapini-empty-ignored", "zapini", "`tag_ids: []` is ignored", "sync-empty-clears")
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(ZapiniBackend, "update_conversation_tags", _zapini_sync(ignore_empty=True))


@mutant(
    "zapini-delete-no-cascade",
    "zapini",
    "a deleted tag stays on its conversations (delete without cascade)",
    "delete-cascades",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original_full = ZapiniBackend._full

    def delete_tag(self: ZapiniBackend, tenant: str, tag_id: str) -> None:
        with self.store.transaction("zapini", tenant) as w:
            key = tag_id.lower()
            tag = core.tag(w, key)
            if tag.get("deleted"):
                raise NotFound("Tag")
            w.put_tag(key, {**tag, "deleted": True})  # hidden from reads, still on conversations

    def list_tags(self: ZapiniBackend, tenant: str) -> list[Record]:
        with self.store.read("zapini", tenant) as r:
            return [full(r, k) for k, t in r.tags() if not t.get("deleted")]

    def full(r: TenantReader, key: str) -> Record:
        found = original_full(r, key)
        if found.pop("deleted", False):
            raise NotFound("Tag")
        return found

    mp.setattr(ZapiniBackend, "delete_tag", delete_tag)
    mp.setattr(ZapiniBackend, "list_tags", list_tags)
    mp.setattr(ZapiniBackend, "_full", staticmethod(full))


@mutant(
    "zapini-stale-count",
    "zapini",
    "conversations_count is the count when the tag was created (stale)",
    "count-live",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def full(r: TenantReader, key: str) -> Record:
        return {**core.tag(r, key), "conversations_count": 0}

    mp.setattr(ZapiniBackend, "_full", staticmethod(full))


@mutant(
    "zapini-tenant-leak",
    "zapini",
    "another tenant's tag is visible (GET /tags/{uuid} looks in every tenant)",
    "tenant-isolation",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def get_tag(self: ZapiniBackend, tenant: str, tag_id: str) -> Record:
        for other in [tenant, *self.store.tenants("zapini")]:
            with self.store.read("zapini", other) as r:
                if r.has_tag(tag_id.lower()):
                    return self._full(r, tag_id.lower())
        raise NotFound("Tag")

    mp.setattr(ZapiniBackend, "get_tag", get_tag)


@mutant(
    "zapini-error-envelope",
    "zapini",
    '404 answered in another vendor\'s envelope ({"error": …})',
    "error-envelope",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = zapini_envelope.render_error

    def render_error(error: TagfakeError) -> Any:
        if isinstance(error, NotFound):
            return 404, {"error": "Not found"}, {}
        return original(error)

    mp.setattr(zapini_envelope, "render_error", render_error)


@mutant(
    "zapini-update-drops-conversations",
    "zapini",
    "PATCH of a tag takes it off every conversation (found only by interleaving)",
    "state-machine",
    frozenset({"state-machine"}),
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend.update_tag

    def update_tag(
        self: ZapiniBackend, tenant: str, tag_id: str, body: dict[str, Any], pending: Any = None
    ) -> Record:
        tag = original(self, tenant, tag_id, body, pending)
        with self.store.transaction("zapini", tenant) as w:
            for conv in w.carrying(CONVERSATIONS, tag["id"]):
                w.detach(CONVERSATIONS, conv, tag["id"])
        return {**tag, "conversations_count": 0}

    mp.setattr(ZapiniBackend, "update_tag", update_tag)


@mutant(
    "zapini-text-plain",
    "zapini",
    "GET /tags/{uuid} answers JSON labelled text/plain (found by schemathesis)",
    "schemathesis/content_type_conformance",
    frozenset({"schemathesis"}),
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = zapini_handlers.get_tag

    async def get_tag(uuid: str) -> Response:
        answer = await original(uuid)
        return Response(bytes(answer.body), answer.status_code, media_type="text/plain")

    mp.setattr(zapini_handlers, "get_tag", get_tag)


# -- nexor ------------------------------------------------------------------------------------
def _nexor_sync_wrapper(change: Callable[[Record], None]) -> Callable[..., Record]:
    original = NexorBackend.sync_lead_tags

    def sync_lead_tags(self: NexorBackend, tenant: str, body: Any) -> Record:
        out = original(self, tenant, body)
        change(out)
        return out

    return sync_lead_tags


@mutant(
    "nexor-second-sync-re-adds",
    "nexor",
    "a second sync re-adds: `added` lists every tag each time",
    "sync-idempotent",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def readd(out: Record) -> None:
        out["added"] = [t["id"] for t in out["tags"]]

    mp.setattr(NexorBackend, "sync_lead_tags", _nexor_sync_wrapper(readd))


@mutant(
    "nexor-added-removed-swapped", "nexor", "`added` and `removed` swapped", "added-removed-diff"
)
def _(mp: pytest.MonkeyPatch) -> None:
    def swap(out: Record) -> None:
        out["added"], out["removed"] = out["removed"], out["added"]

    mp.setattr(NexorBackend, "sync_lead_tags", _nexor_sync_wrapper(swap))


def _find_lead(case_sensitive: bool = False, email_first: bool = False) -> Callable[..., str]:
    def find(self: NexorBackend, r: TenantReader, lead_id: str | None, email: str | None) -> str:
        if lead_id is not None and not (email_first and email is not None):
            if r.has_entity("leads", lead_id.lower()):
                return str(lead_id.lower())
            raise NotFound("Lead")
        for key, lead in r.entities("leads"):
            own = lead.attrs.get("email")
            if isinstance(own, str) and (
                own == email if case_sensitive else own.casefold() == str(email).casefold()
            ):
                return str(key)
        raise NotFound("Lead")

    return find


@mutant(
    "nexor-email-case-sensitive",
    "nexor",
    "email matched case-sensitively",
    "email-case-insensitive",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(NexorBackend, "_find_lead", _find_lead(case_sensitive=True))


@mutant("nexor-email-wins", "nexor", "email takes precedence over lead_id", "lead-id-wins")
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(NexorBackend, "_find_lead", _find_lead(email_first=True))


@mutant(
    "nexor-top-level-only",
    "nexor",
    "lead_id/email/tags found only at the top level of the body",
    "nested-fields",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def find_fields(doc: Any, names: Any, max_depth: int) -> dict[str, Any]:
        if not isinstance(doc, dict):
            return {}
        return {n: doc[n] for n in names if doc.get(n) is not None}

    mp.setattr(nexor_backend, "find_fields", find_fields)


def _nexor_sync(by_slug: bool = True, keep_name: bool = True) -> Callable[..., Record]:
    """The sync with its find-or-create changed: by exact name instead of by slug, or renaming
    an existing tag to the spelling sent."""

    def sync_lead_tags(self: NexorBackend, tenant: str, body: Any) -> Record:
        found = find_fields(body, nexor_backend.SYNC_FIELDS, self.max_depth)
        names = found.get("tags")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise Invalid(nexor_backend.TAGS_NOT_STRINGS)
        lead_id, email = found.get("lead_id"), found.get("email")
        if lead_id is None and email is None:
            raise Invalid(nexor_backend.LEAD_NOT_IDENTIFIED)
        with self.store.transaction("nexor", tenant) as w:
            lead_key = self._find_lead(w, lead_id, email)
            now = rfc3339(self.clock.now())
            keys: list[str] = []
            for name in names:
                slug = slugify(name)
                if not slug:
                    raise Invalid("empty slug")
                key = next(
                    (
                        k
                        for k, t in w.tags()
                        if (t["slug"] == slug if by_slug else t["name"] == name)
                    ),
                    None,
                )
                if key is None:
                    key = w.new_uuid()
                    # A second tag on one slug is this mutant's point: keep its slug apart.
                    taken = w.tag_by("slug", slug) is not None
                    w.put_tag(
                        key,
                        {
                            "id": key,
                            "name": name,
                            "slug": f"{slug}-{key[:8]}" if taken else slug,
                            "description": None,
                            "created_at": now,
                            "updated_at": now,
                        },
                    )
                elif not keep_name:
                    w.put_tag(key, {**core.tag(w, key), "name": name})
                keys.append(key)
            change = w.replace_tags("leads", lead_key, keys)
            lead = core.entity(w, "leads", lead_key, "Lead")
            return {
                "lead_id": lead.attrs["id"],
                "tags": self._refs(w, lead),
                "added": change.added,
                "removed": change.removed,
            }

    return sync_lead_tags


@mutant("nexor-slugs-not-merged", "nexor", "names with one slug become separate tags", "slug-merge")
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(NexorBackend, "sync_lead_tags", _nexor_sync(by_slug=False))


@mutant(
    "nexor-name-overwritten",
    "nexor",
    "a sync renames an existing tag to the spelling sent",
    "name-kept",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(NexorBackend, "sync_lead_tags", _nexor_sync(keep_name=False))


@mutant(
    "nexor-duplicate-slug-400",
    "nexor",
    "a taken slug answers 400 instead of the documented 409 (a wrong status code)",
    "unique",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def put(w: TenantWriter, key: str, tag: Record) -> None:
        try:
            w.put_tag(key, tag)
        except Clash:
            raise Invalid(nexor_backend.SLUG_TAKEN) from None

    mp.setattr(NexorBackend, "_put", staticmethod(put))


# -- healvi -----------------------------------------------------------------------------------
@mutant(
    "healvi-half-applied",
    "healvi",
    "a rejected sync half applied: tags named by title are created before the ids are checked",
    "rejected-changes-nothing",
    hidden="healvi's API lists no tags: a tag created by a rejected sync cannot be seen",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = HealviBackend.sync_profile_tags

    def sync_profile_tags(
        self: HealviBackend, tenant: str, profile_id: int, body: Any, pending: Any = None
    ) -> list[Record]:
        items = body.get("tags") if isinstance(body, dict) else None
        with self.store.transaction("healvi", tenant) as w:
            now = rfc3339(self.clock.now())
            for item in items if isinstance(items, list) else []:
                title = item.get("title") if isinstance(item, dict) else None
                if item.get("id") is None and isinstance(title, str) and title.strip():
                    self._create(w, (title.strip(),), now)
        return original(self, tenant, profile_id, body, pending)

    mp.setattr(HealviBackend, "sync_profile_tags", sync_profile_tags)


@mutant(
    "healvi-duplicates-twice",
    "healvi",
    "a duplicated id is attached twice (the set keeps duplicates)",
    "sync-sets-exact",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = HealviBackend.sync_profile_tags

    def sync_profile_tags(
        self: HealviBackend, tenant: str, profile_id: int, body: Any, pending: Any = None
    ) -> list[Record]:
        synced = original(self, tenant, profile_id, body, pending)
        by_key = {str(t["id"]): t for t in synced}
        items = body["tags"]  # the original refused any other shape
        named = [healvi_backend.key_of(i["id"]) for i in items if i.get("id") is not None]
        titled = [t for k, t in by_key.items() if k not in named]
        return sorted([*titled, *(by_key[k] for k in named if k in by_key)], key=lambda t: t["id"])

    mp.setattr(HealviBackend, "sync_profile_tags", sync_profile_tags)


@mutant(
    "healvi-401-envelope",
    "healvi",
    '401 in the wrong envelope ({"error": "Unauthorized"})',
    "auth-required",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = healvi_envelope.render_error

    def render_error(error: TagfakeError) -> Any:
        if isinstance(error, Unauthorized):
            return 401, {"error": "Unauthorized"}, {}
        return original(error)

    mp.setattr(healvi_envelope, "render_error", render_error)


# -- commbox ----------------------------------------------------------------------------------
@mutant(
    "commbox-group-delete-keeps-tags",
    "commbox",
    "deleting a group leaves its tags (no cascade group → tags → objects)",
    "delete-cascades",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def delete_tags_group(self: CommBoxBackend, tenant: str, group_id: int) -> None:
        with self.store.transaction("commbox", tenant) as w:
            w.delete_group(commbox_backend._group_key(w, group_id))

    mp.setattr(CommBoxBackend, "delete_tags_group", delete_tags_group)


@mutant(
    "commbox-untag-clears-object",
    "commbox",
    "removing one tag from a conversation removes all of them",
    "object-tag-set",
    hidden="CommBox's API cannot show a conversation's tags",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def delete_object_tag(
        self: CommBoxBackend, tenant: str, stream_id: int, object_id: int, tag_id: int
    ) -> None:
        with self.store.transaction("commbox", tenant) as w:
            obj = commbox_backend._object_key(w, stream_id, object_id)
            commbox_backend._tag_key(w, tag_id)
            w.replace_tags("objects", obj, [])

    mp.setattr(CommBoxBackend, "delete_object_tag", delete_object_tag)


@mutant(
    "commbox-cross-tenant-group",
    "commbox",
    "a tag can be created in another account's group",
    "tenant-isolation",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def group_must_exist(r: TenantReader, group_id: int) -> None:
        return None

    mp.setattr(commbox_backend, "_group_must_exist", group_must_exist)


# == the classes of blindness the suite was fixed for, three or more mutants each ==============
TENANTS = ("acme", "globex")


def _any_tenant(method: Callable[..., Any], when: Callable[..., bool] | None = None) -> Any:
    """`method` that, when the caller's tenant has no such object, looks in every tenant: one
    account writes through another's ids (the classic broken object-level authorisation)."""

    def leaky(self: Any, tenant: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, tenant, *args, **kwargs)
        except NotFound:
            if when is not None and not when(*args, **kwargs):
                raise
            for other in TENANTS:
                if other == tenant:
                    continue
                try:
                    return method(self, other, *args, **kwargs)
                except NotFound:
                    continue
            raise

    return leaky


# -- 1. generated data as wide as the docs allow ------------------------------------------------
@mutant(
    "nexor-no-transliteration",
    "nexor",
    'slugs drop letters beyond ASCII instead of transliterating them ("Über" → "ber")',
    "slug-merge",
    kind="narrow-data",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def ascii_only(text: str) -> str:
        return "-".join(filter(None, re.split(r"[^a-z0-9]+", text.lower())))

    mp.setattr(nexor_backend, "slugify", ascii_only)


@mutant(
    "nexor-underscore-kept",
    "nexor",
    'slugs keep underscores ("a_b" → "a_b", not "a-b")',
    "slug-merge",
    kind="narrow-data",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def keeps_underscores(text: str) -> str:
        return "-".join(filter(None, re.split(r"[^a-z0-9_]+", unidecode(text).lower())))

    mp.setattr(nexor_backend, "slugify", keeps_underscores)


@mutant(
    "zapini-name-untrimmed",
    "zapini",
    "names are stored with the whitespace around them (validated trimmed, stored as sent)",
    "roundtrip",
    kind="narrow-data",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend.create_tag

    def create_tag(self: ZapiniBackend, tenant: str, body: Any, pending: Any = None) -> Record:
        out = original(self, tenant, body, pending)
        with self.store.transaction("zapini", tenant) as w:
            key = str(out["id"]).lower()
            w.put_tag(key, {**core.tag(w, key), "name": body["name"]})
        return {**out, "name": body["name"]}

    mp.setattr(ZapiniBackend, "create_tag", create_tag)


@mutant(
    "healvi-title-untrimmed",
    "healvi",
    "a title is stored with the whitespace around it",
    "roundtrip",
    kind="narrow-data",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = HealviBackend.sync_profile_tags

    def sync_profile_tags(
        self: HealviBackend, tenant: str, profile_id: int, body: Any, pending: Any = None
    ) -> list[Record]:
        out = original(self, tenant, profile_id, body, pending)
        items = body["tags"]
        raw = {str(i.get("title")).strip(): i.get("title") for i in items if i.get("id") is None}
        with self.store.transaction("healvi", tenant) as w:
            for tag in out:
                if tag["title"] in raw and isinstance(raw[tag["title"]], str):
                    tag["title"] = raw[tag["title"]]
                    key = str(tag["id"])
                    w.put_tag(key, {**core.tag(w, key), "title": tag["title"]})
        return out

    mp.setattr(HealviBackend, "sync_profile_tags", sync_profile_tags)


@mutant(
    "commbox-non-ascii-mangled",
    "commbox",
    'a name\'s letters beyond ASCII are stored as "?" (a latin-1/ASCII column)',
    "roundtrip",
    kind="narrow-data",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = commbox_backend._name

    def name(raw: Any) -> str:
        return original(raw).encode("ascii", "replace").decode("ascii")

    mp.setattr(commbox_backend, "_name", name)


# -- 2. tenant isolation by writing -----------------------------------------------------------
@mutant(
    "zapini-sync-any-tenant",
    "zapini",
    "PUT /conversations/{uuid}/tags finds the conversation in every tenant",
    "tenant-writes",
    kind="tenant-writes",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(
        ZapiniBackend,
        "update_conversation_tags",
        _any_tenant(ZapiniBackend.update_conversation_tags),
    )


@mutant(
    "zapini-patch-any-tenant",
    "zapini",
    "PATCH /tags/{uuid} finds the tag in every tenant",
    "tenant-writes",
    kind="tenant-writes",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(ZapiniBackend, "update_tag", _any_tenant(ZapiniBackend.update_tag))


@mutant(
    "nexor-sync-by-email-any-account",
    "nexor",
    "a sync by e-mail finds the lead in every account (by lead_id it does not)",
    "tenant-writes",
    kind="tenant-writes",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def by_email(body: Any) -> bool:
        return "lead_id" not in find_fields(body, nexor_backend.SYNC_FIELDS, 32)

    mp.setattr(NexorBackend, "sync_lead_tags", _any_tenant(NexorBackend.sync_lead_tags, by_email))


@mutant(
    "nexor-assign-any-account",
    "nexor",
    "POST /leads/{leadId}/tags finds the lead and the tags in every account",
    "tenant-writes",
    kind="tenant-writes",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(NexorBackend, "assign_lead_tags", _any_tenant(NexorBackend.assign_lead_tags))


@mutant(
    "healvi-sync-any-tenant",
    "healvi",
    "POST /profiles/{profileId}/tags finds the profile in every tenant",
    "tenant-writes",
    kind="tenant-writes",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(HealviBackend, "sync_profile_tags", _any_tenant(HealviBackend.sync_profile_tags))


@mutant(
    "commbox-untag-any-account",
    "commbox",
    "DELETE /streams/…/objects/…/tags/{TAG_ID} finds the object and tag in every account",
    "tenant-writes",
    kind="tenant-writes",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(CommBoxBackend, "delete_object_tag", _any_tenant(CommBoxBackend.delete_object_tag))


@mutant(
    "commbox-group-rename-any-account",
    "commbox",
    "POST /tags/groups/{TAGS_GROUP_ID} renames a group of any account",
    "tenant-writes",
    kind="tenant-writes",
)
def _(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(CommBoxBackend, "update_tags_group", _any_tenant(CommBoxBackend.update_tags_group))


# -- 3. every operation in a state machine; lists compared as lists ---------------------------
@mutant(
    "nexor-assign-duplicates",
    "nexor",
    "POST /leads/{leadId}/tags answers an already-assigned tag twice (the store's tag set "
    "cannot hold it twice, so the answer lists it again)",
    "state-machine",
    frozenset({"state-machine"}),
    kind="missing-operations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def assign_lead_tags(
        self: NexorBackend, tenant: str, lead_id: str, body: dict[str, Any]
    ) -> list[Record]:
        ids = [body["tagId"]] if "tagId" in body else body.get("tagIds") or []
        with self.store.transaction("nexor", tenant) as w:
            lead = self._lead(w, lead_id)
            lead_key = str(lead_id).lower()
            wanted = [str(i).lower() for i in ids]
            if not wanted or any(not w.has_tag(k) for k in wanted):
                raise NotFound("Tag")
            again = [k for k in wanted if k in lead.tags]
            for k in wanted:
                w.attach("leads", lead_key, k)
            lead = self._lead(w, lead_id)
            lead.tags.extend(again)  # the answer only: the store keeps a set
            return self._refs(w, lead)

    mp.setattr(NexorBackend, "assign_lead_tags", assign_lead_tags)


@mutant(
    "nexor-lead-view-stale",
    "nexor",
    "GET /leads/{id} shows the tags the lead had when it was created",
    "state-machine",
    frozenset({"state-machine"}),
    kind="missing-operations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = NexorBackend.get_lead
    first: dict[str, Any] = {}

    def get_lead(self: NexorBackend, tenant: str, lead_id: str) -> Record:
        out = original(self, tenant, lead_id)
        seen = first.setdefault(f"{tenant}/{lead_id.lower()}", out["lead"].get("tags", []))
        out["lead"] = {**out["lead"], "tags": seen}
        return out

    mp.setattr(NexorBackend, "get_lead", get_lead)


@mutant(
    "zapini-conversation-repeats",
    "zapini",
    "a sync naming a tag twice answers it twice (the store's tag set cannot hold it twice)",
    "sync-sets-exact",
    kind="missing-operations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend.update_conversation_tags

    def update_conversation_tags(
        self: ZapiniBackend, tenant: str, conversation_id: str, tag_ids: Any, pending: Any = None
    ) -> list[Record]:
        out = original(self, tenant, conversation_id, tag_ids, pending)
        by_key = {str(t["id"]).lower(): t for t in out}
        return [by_key[str(t).lower()] for t in tag_ids if str(t).lower() in by_key]

    mp.setattr(ZapiniBackend, "update_conversation_tags", update_conversation_tags)


@mutant(
    "commbox-rename-drops-group",
    "commbox",
    "renaming a tag (Name alone) takes it out of its group",
    "state-machine",
    frozenset({"state-machine"}),
    kind="missing-operations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = CommBoxBackend.update_tag

    def update_tag(self: CommBoxBackend, tenant: str, tag_id: int, data: Any) -> None:
        data = dict(data)
        if "Name" in data and "TagGroupId" not in data and "Tag Group Id" not in data:
            data["TagGroupId"] = 0
        original(self, tenant, tag_id, data)

    mp.setattr(CommBoxBackend, "update_tag", update_tag)


@mutant(
    "zapini-get-tag-cached",
    "zapini",
    "GET /tags/{uuid} answers the name from a cache filled at create (stale after a rename)",
    "state-machine",
    frozenset({"state-machine"}),
    kind="missing-operations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    create, get = ZapiniBackend.create_tag, ZapiniBackend.get_tag
    cache: dict[str, str] = {}

    def create_tag(self: ZapiniBackend, tenant: str, body: Any, pending: Any = None) -> Record:
        out = create(self, tenant, body, pending)
        cache[str(out["id"])] = str(out["name"])
        return out

    def get_tag(self: ZapiniBackend, tenant: str, tag_id: str) -> Record:
        out = get(self, tenant, tag_id)
        return {**out, "name": cache.get(str(out["id"]), out["name"])}

    mp.setattr(ZapiniBackend, "create_tag", create_tag)
    mp.setattr(ZapiniBackend, "get_tag", get_tag)


# -- 4. timestamps on the vendor's clock ------------------------------------------------------
@mutant(
    "zapini-patch-keeps-updated-at",
    "zapini",
    "PATCH /tags/{uuid} leaves updated_at as it was",
    "timestamps",
    kind="timestamps",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend.update_tag

    def update_tag(
        self: ZapiniBackend, tenant: str, tag_id: str, body: Any, pending: Any = None
    ) -> Record:
        with self.store.read("zapini", tenant) as r:
            key = tag_id.lower()
            found = r.tag(key)
            before = found["updated_at"] if found is not None else None
        out = original(self, tenant, tag_id, body, pending)
        if before is not None:
            with self.store.transaction("zapini", tenant) as w:
                w.put_tag(key, {**core.tag(w, key), "updated_at": before})
            out = {**out, "updated_at": before}
        return out

    mp.setattr(ZapiniBackend, "update_tag", update_tag)


@mutant(
    "zapini-sync-touches-tags",
    "zapini",
    "a conversation sync moves the updated_at of every tag it names",
    "timestamps",
    kind="timestamps",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend.update_conversation_tags

    def update_conversation_tags(
        self: ZapiniBackend, tenant: str, conversation_id: str, tag_ids: Any, pending: Any = None
    ) -> list[Record]:
        out = original(self, tenant, conversation_id, tag_ids, pending)
        with self.store.transaction("zapini", tenant) as w:
            for tid in tag_ids:
                key = tid.lower()
                w.put_tag(key, {**core.tag(w, key), "updated_at": rfc3339(self.clock.now())})
        return out

    mp.setattr(ZapiniBackend, "update_conversation_tags", update_conversation_tags)


@mutant(
    "nexor-update-moves-created-at",
    "nexor",
    "PUT /tags/{id} sets created_at to now as well",
    "timestamps",
    kind="timestamps",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = NexorBackend.update_tag

    def update_tag(self: NexorBackend, tenant: str, tag_id: str, body: dict[str, Any]) -> Record:
        out = original(self, tenant, tag_id, body)
        with self.store.transaction("nexor", tenant) as w:
            key = str(out["id"]).lower()
            tag = core.tag(w, key)
            w.put_tag(key, {**tag, "created_at": tag["updated_at"]})
        return {**out, "created_at": out["updated_at"]}

    mp.setattr(NexorBackend, "update_tag", update_tag)


@mutant(
    "nexor-wall-clock",
    "nexor",
    "PUT /tags/{id} stamps updated_at from the machine's clock, not the vendor's",
    "timestamps",
    kind="timestamps",
    hidden="against a real vendor the vendor's clock is the wall clock: only tagfake's admin "
    "clock can tell them apart",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = NexorBackend.update_tag

    def update_tag(self: NexorBackend, tenant: str, tag_id: str, body: dict[str, Any]) -> Record:
        out = original(self, tenant, tag_id, body)
        wall = rfc3339(datetime.now(UTC))
        with self.store.transaction("nexor", tenant) as w:
            key = str(out["id"]).lower()
            w.put_tag(key, {**core.tag(w, key), "updated_at": wall})
        return {**out, "updated_at": wall}

    mp.setattr(NexorBackend, "update_tag", update_tag)


@mutant(
    "healvi-attach-touches-tag",
    "healvi",
    "attaching an existing tag by id moves its updated_at",
    "timestamps",
    kind="timestamps",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = HealviBackend.sync_profile_tags

    def sync_profile_tags(
        self: HealviBackend, tenant: str, profile_id: int, body: Any, pending: Any = None
    ) -> list[Record]:
        out = original(self, tenant, profile_id, body, pending)
        now = rfc3339(self.clock.now())
        by_id = {str(i.get("id")) for i in body["tags"] if i.get("id") is not None}
        with self.store.transaction("healvi", tenant) as w:
            for tag in out:
                if str(tag["id"]) in by_id:
                    tag["updated_at"] = now
                    key = str(tag["id"])
                    w.put_tag(key, {**core.tag(w, key), "updated_at": now})
        return out

    mp.setattr(HealviBackend, "sync_profile_tags", sync_profile_tags)


def _zapini_layout(unique: bool = True, fold: bool = True) -> Layout:
    """Zapini's layout with its name index changed: not unique, or keyed by the name as sent."""

    def name(tag: Record) -> str:
        return str(tag["name"]).casefold() if fold else str(tag["name"])

    return Layout(tag_indexes=(Index("name", name, unique=unique),))


# -- 5. uniqueness on every path that can clash ------------------------------------------------
@mutant(
    "zapini-rename-not-unique",
    "zapini",
    "PATCH /tags/{uuid} may rename a tag onto a name already taken",
    "unique",
    kind="uniqueness",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend._check

    def check(r: TenantReader, body: Any, errors: Any, own_key: str | None, pending: Any) -> None:
        if own_key is not None and isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "name"}
        original(r, body, errors, own_key, pending)

    # The store would refuse the duplicate: its name index is declared not unique here.
    mp.setattr(zapini_backend, "LAYOUT", _zapini_layout(unique=False))
    mp.setattr(ZapiniBackend, "_check", staticmethod(check))


@mutant(
    "zapini-unique-case-sensitive",
    "zapini",
    'names are unique only in the same letter case ("VIP" beside "vip")',
    "unique",
    kind="uniqueness",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend._check

    def check(r: TenantReader, body: Any, errors: Any, own_key: str | None, pending: Any) -> None:
        if isinstance(body, dict) and isinstance(body.get("name"), str):
            name = zapini_rules.trim(body["name"])
            clash = r.tag_by("name", name)
            if clash is not None and clash != own_key:
                errors["name"] = [zapini_rules.taken("name")]
            body = {k: v for k, v in body.items() if k != "name"}
        original(r, body, errors, own_key, pending)

    # The store's name index keys the name as sent, not case-folded.
    mp.setattr(zapini_backend, "LAYOUT", _zapini_layout(fold=False))
    mp.setattr(ZapiniBackend, "_check", staticmethod(check))


@mutant(
    "nexor-given-slug-not-normalised",
    "nexor",
    "a slug given on POST/PUT /tags is checked and stored as sent (not by the slug rule)",
    "unique",
    kind="uniqueness",
)
def _(mp: pytest.MonkeyPatch) -> None:
    def slug(cls: type[NexorBackend], raw: Any, missing: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise Invalid(missing)
        return raw

    mp.setattr(NexorBackend, "_slug", classmethod(slug))


@mutant(
    "nexor-rename-slug-not-unique",
    "nexor",
    "PUT /tags/{id} may move a tag onto a slug already taken",
    "unique",
    kind="uniqueness",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = NexorBackend._put

    def put(w: TenantWriter, key: str, tag: Record) -> None:
        if w.tag(key) is None and w.tag_by("slug", str(tag["slug"])) is not None:
            raise Conflict(nexor_backend.SLUG_TAKEN)  # checked on create only
        original(w, key, tag)

    # The store would refuse the duplicate: its slug index is declared not unique here.
    layout = nexor_backend.LAYOUT
    slug_index = Index("slug", layout.tag_indexes[0].key, unique=False)
    mp.setattr(nexor_backend, "LAYOUT", Layout((slug_index,), layout.entity_indexes))
    mp.setattr(NexorBackend, "_put", staticmethod(put))


# -- 6. a differing observation fails the run against tagfake (or --strict) --------------------
@mutant(
    "nexor-list-newest-first",
    "nexor",
    "GET /tags lists the newest tag first (the spec assumes creation order)",
    "observations",
    frozenset({"observations"}),
    kind="observations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = NexorBackend.list_tags

    def list_tags(self: NexorBackend, tenant: str, search: str | None = None) -> list[Record]:
        return list(reversed(original(self, tenant, search)))

    mp.setattr(NexorBackend, "list_tags", list_tags)


@mutant(
    "healvi-title-deduplicated",
    "healvi",
    "a title naming an existing tag attaches that tag (the spec assumes a new tag each time)",
    "observations",
    frozenset({"observations"}),
    kind="observations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = HealviBackend._create

    def create(self: HealviBackend, w: TenantWriter, step: tuple[str], now: str) -> str:
        same = next((k for k, t in w.tags() if t["title"] == step[0]), None)
        return same if same is not None else original(self, w, step, now)

    mp.setattr(HealviBackend, "_create", create)


@mutant(
    "zapini-details-unindexed",
    "zapini",
    'a sync naming an unknown id reports it under "tag_ids", not "tag_ids.1" as assumed',
    "observations",
    frozenset({"observations"}),
    kind="observations",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = ZapiniBackend.update_conversation_tags

    def update_conversation_tags(
        self: ZapiniBackend, tenant: str, conversation_id: str, tag_ids: Any, pending: Any = None
    ) -> list[Record]:
        try:
            return original(self, tenant, conversation_id, tag_ids, pending)
        except Invalid as exc:
            raise Invalid(str(exc), {"tag_ids": [str(exc)]}) from None

    mp.setattr(ZapiniBackend, "update_conversation_tags", update_conversation_tags)


# -- 7. checks use the vendor's own reads, so they judge a sandbox too -------------------------
@mutant(
    "commbox-rejected-create-kept",
    "commbox",
    "POST /tags into an unknown group answers 404 but stores the tag, ungrouped, anyway",
    "rejected-changes-nothing",
    kind="vendor-reads",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = CommBoxBackend.create_tag

    def create_tag(self: CommBoxBackend, tenant: str, data: Any) -> str:
        try:
            return original(self, tenant, data)
        except NotFound:
            original(self, tenant, {**dict(data), "TagGroupId": 0})
            raise

    mp.setattr(CommBoxBackend, "create_tag", create_tag)


@mutant(
    "healvi-answer-unordered",
    "healvi",
    "the sync answers the tags newest first (documented: ordered by id)",
    "sync-sets-exact",
    kind="vendor-reads",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = HealviBackend.sync_profile_tags

    def sync_profile_tags(
        self: HealviBackend, tenant: str, profile_id: int, body: Any, pending: Any = None
    ) -> list[Record]:
        return list(reversed(original(self, tenant, profile_id, body, pending)))

    mp.setattr(HealviBackend, "sync_profile_tags", sync_profile_tags)


@mutant(
    "commbox-empty-groups-hidden",
    "commbox",
    "GET /tags/groups leaves out groups that have no tags",
    "roundtrip",
    kind="vendor-reads",
)
def _(mp: pytest.MonkeyPatch) -> None:
    original = CommBoxBackend.get_tags_groups

    def get_tags_groups(self: CommBoxBackend, tenant: str) -> list[Record]:
        with self.store.read("commbox", tenant) as r:
            used = {t["groupId"] for t in r.tag_records()}
        return [g for g in original(self, tenant) if g["id"] in used]

    mp.setattr(CommBoxBackend, "get_tags_groups", get_tags_groups)
