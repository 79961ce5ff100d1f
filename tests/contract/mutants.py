"""Deliberately broken variants of the fake, to show the contract suite catches each one.

They live only here, under tests/, applied with pytest's monkeypatch on the vendors' backend
classes, envelopes and handlers: nothing in `tagfake` can reach them (the CLI never imports
this module)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.responses import Response

from tagfake import core
from tagfake.clock import rfc3339
from tagfake.errors import Invalid, NotFound, TagfakeError, Unauthorized
from tagfake.state.model import Record
from tagfake.state.store import Clash, TenantReader, TenantWriter
from tagfake.vendors.commbox import backend as commbox_backend
from tagfake.vendors.commbox.backend import CommBoxBackend
from tagfake.vendors.healvi import backend as healvi_backend
from tagfake.vendors.healvi import envelope as healvi_envelope
from tagfake.vendors.healvi.backend import HealviBackend
from tagfake.vendors.nexor import backend as nexor_backend
from tagfake.vendors.nexor.backend import NexorBackend
from tagfake.vendors.nexor.search import find_fields
from tagfake.vendors.nexor.slug import slugify
from tagfake.vendors.zapini import envelope as zapini_envelope
from tagfake.vendors.zapini import handlers as zapini_handlers
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


MUTANTS: list[Mutant] = []


def mutant(
    id: str, vendor: str, broken: str, caught_by: str, extra: frozenset[str] = frozenset()
) -> Callable[[Apply], Apply]:
    def register(fn: Apply) -> Apply:
        MUTANTS.append(Mutant(id, vendor, broken, f"{vendor}.{caught_by}", fn, extra))
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
    def group_must_exist(ns: Any, group_id: int) -> None:
        return None

    mp.setattr(commbox_backend, "_group_must_exist", group_must_exist)
