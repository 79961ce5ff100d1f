"""Nexor: a lead's tags synced by name (`PUT /leads/tags`, find-or-create by slug), lead_id or
email (case-insensitive) anywhere in the body, `added`/`removed`, tag CRUD with unique slugs."""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from text_unidecode import unidecode

from tagfake.suite import strategies as s
from tagfake.suite.api import ANONYMOUS, Api, Reply, expect
from tagfake.suite.base import ErrorCase, Probe, Property, VendorSuite, same_times
from tagfake.suite.model import Deviation, NotObservable, sent_json
from tagfake.suite.target import Lead

POOL = 4
MISSING_KEY = "Missing API key"
INVALID_KEY = "Invalid API key"
SLUG_TAKEN = "A tag with this slug already exists"
#: The words of a name spelled many ways by `slug-merge` (after the run's prefix).
MERGE_WORDS = ["hot", "lead", "über", "2024"]

#: A spelling of a pool name: (pool index, which letters to upper-case, "-" instead of " ").
Spelling = tuple[int, int, bool]


def doc_slug(name: str) -> str:
    """The slug of a name as the spec assumes it (the docs' examples: "Hot Lead" → hot-lead,
    "VIP" → vip, "Follow-up" → follow-up; beyond them: transliterated, "Über" → uber)."""
    return s.slug(name)


def respell(name: str, mask: int, dash: bool) -> str:
    """The same name with other letter cases (bit i of `mask` upper-cases letter i)."""
    out = [c.upper() if c.isalpha() and (mask >> (i % 24)) & 1 else c for i, c in enumerate(name)]
    text = "".join(out)
    return text.replace(" ", "-") if dash else text


def _key(value: Any) -> str:
    return str(value).lower()


def once(tags: list[dict[str, Any]], what: str) -> set[str]:
    """The ids of a list the vendor answers, which names each tag once (a repeat is shown)."""
    ids = [_key(t["id"]) for t in tags]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise Deviation(f"{what} lists each tag once", f"it repeats {repeated}")
    return set(ids)


class NexorSuite(VendorSuite):
    vendor = "nexor"
    entity = "lead"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leads: list[Lead] = []
        self.original: dict[str, list[str]] = {}
        self.pool: list[str] = []

    def extra_missing(self, need: str) -> str | None:
        if need == "email" and not any(lead.email for lead in self.leads or self.t.entities):
            return "needs a lead's email (--lead-email)"
        return None

    # -- API helpers ------------------------------------------------------------------------
    def lead(self, i: int) -> Lead:
        return self.leads[i]

    def lead_id(self, i: int) -> str:
        lead_id = self.leads[i].id
        assert lead_id is not None
        return lead_id

    def sync(self, body: Any, api: Api | None = None) -> Reply:
        return (api or self.api).call("syncLeadTags", body=body)

    def lead_tags(self, lead_id: str, api: Api | None = None) -> list[dict[str, Any]]:
        r = (api or self.api).call("getLeadTags", {"leadId": lead_id})
        expect(r, 200, "GET /leads/{leadId}/tags")
        tags: list[dict[str, Any]] = r.body["data"]
        once(tags, "GET /leads/{leadId}/tags")
        return tags

    def lead_ids(self, lead_id: str) -> set[str]:
        return {_key(t["id"]) for t in self.lead_tags(lead_id)}

    def lead_slugs(self, lead_id: str) -> list[str]:
        return sorted(str(t["slug"]) for t in self.lead_tags(lead_id))

    def our_tags(self, api: Api | None = None) -> dict[str, dict[str, Any]]:
        """The run's tags (slug prefixed), by id."""
        r = (api or self.api).call("listTags", query={"search": self.ctx.prefix.rstrip("-")})
        expect(r, 200, "GET /tags?search=")
        prefix = self.ctx.prefix
        once(r.body["data"], "GET /tags")
        return {_key(t["id"]): t for t in r.body["data"] if str(t["slug"]).startswith(prefix)}

    def names(self, picks: list[Spelling]) -> list[str]:
        return [respell(self.pool[i], mask, dash) for i, mask, dash in picks]

    def spellings(self, max_size: int = 6) -> st.SearchStrategy[list[Spelling]]:
        one = st.tuples(st.integers(0, POOL - 1), st.integers(0, 2**24 - 1), st.booleans())
        return s.with_repeats(st.lists(one, max_size=max_size))

    def synced(self, r: Reply, what: str) -> dict[str, Any]:
        expect(r, 200, what)
        body: dict[str, Any] = r.body
        return body

    # -- set-up and clean-up ----------------------------------------------------------------
    def setup(self) -> None:
        self.pool = [f"{self.fresh('p')} lead" for _ in range(POOL)]
        for ref in self.t.entities:
            lead = ref if isinstance(ref, Lead) else Lead(email=str(ref))
            if lead.id is None:
                # No read of a lead by email: the first sync tells the id and, through
                # `added`/`removed`, the tags the lead had before.
                body = self.synced(
                    self.sync({"email": lead.email, "tags": [self.pool[0]]}),
                    f"PUT /leads/tags by email {lead.email}",
                )
                after = {_key(t["id"]) for t in body["tags"]}
                added = {_key(i) for i in body["added"]}
                before = (after - added) | {_key(i) for i in body["removed"]}
                lead = Lead(str(body["lead_id"]), lead.email)
                self.original[lead.id or ""] = sorted(before)
            else:
                r = self.api.call("getLeadTags", {"leadId": lead.id})
                expect(r, 200, f"GET /leads/{lead.id}/tags (a lead named for the run)")
                self.original[lead.id] = [t["id"] for t in r.body["data"]]
                if lead.email is None:
                    g = self.api.call("getLead", {"id": lead.id})
                    expect(g, 200, f"GET /leads/{lead.id}")
                    lead = Lead(lead.id, g.body["lead"].get("email"))
            self.leads.append(lead)

    def cleanup(self) -> None:
        for lead_id, ids in self.original.items():
            r = self.sync({"lead_id": lead_id, "tags": []})
            if r.status == 200 and ids:
                r = self.api.call("assignLeadTags", {"leadId": lead_id}, body={"tagIds": ids})
            if r.status not in (200, 201):
                self.notes.append(f"could not restore lead {lead_id}: {r.short()}")
        for api in filter(None, [self.api, self.other]):
            r = api.call("listTags", query={"search": self.ctx.prefix.rstrip("-")}, check=False)
            if r.status != 200:
                self.notes.append(f"could not list tags for clean-up: {r.short()}")
                continue
            for tag in r.body["data"]:
                if self.ours(tag["slug"]):
                    api.call("deleteTag", {"id": tag["id"]}, check=False)

    # -- properties -------------------------------------------------------------------------
    def properties(self) -> list[Property]:
        n = len(self.t.entities)
        one = st.tuples(s.entity(n), self.spellings())
        return [
            Property(
                "sync-sets-exact",
                "a lead's set after a sync equals the requested set, by slug "
                "(order, duplicates and spelling do not matter)",
                self.p_sync_sets_exact,
                one,
                ("entity",),
            ),
            Property(
                "sync-idempotent",
                "repeating a sync changes nothing: `added` and `removed` are empty",
                self.p_sync_idempotent,
                one,
                ("entity",),
            ),
            Property(
                "sync-empty-clears",
                "`tags: []` clears the lead's tags",
                self.p_sync_empty_clears,
                one,
                ("entity",),
            ),
            Property(
                "sync-isolated",
                "a sync touches only its own lead",
                self.p_sync_isolated,
                st.tuples(s.two_entities(n), self.spellings()) if n >= 2 else None,
                ("two-entities",),
            ),
            Property(
                "added-removed-diff",
                "`added` and `removed` are exactly the set differences",
                self.p_added_removed,
                st.tuples(s.entity(n), self.spellings(), self.spellings()),
                ("entity",),
            ),
            Property(
                "rejected-changes-nothing",
                "a rejected sync changes nothing (no tag assigned, none created)",
                self.p_rejected,
                st.tuples(
                    s.entity(n),
                    self.spellings(4),
                    st.sampled_from(["non-string tag", "unknown lead", "no lead", "tags object"]),
                    st.sampled_from([5, None, {"name": "x"}, ["x"], True]),
                ),
                ("entity",),
            ),
            Property(
                "slug-merge",
                "names with one slug are one tag (any letter case, separators, accents, "
                "punctuation or spaces at the ends)",
                self.p_slug_merge,
                st.tuples(s.entity(n), st.lists(s.same_slug(MERGE_WORDS), min_size=2, max_size=4)),
                ("entity",),
            ),
            Property(
                "name-kept",
                "an existing tag keeps its name when a sync names it by another spelling",
                self.p_name_kept,
                st.tuples(s.entity(n), st.integers(1, 2**24 - 1), st.booleans()),
                ("entity",),
            ),
            Property(
                "email-case-insensitive",
                "a lead is found by its email in any letter case",
                self.p_email_case,
                st.tuples(s.entity(n), st.integers(0, 2**24 - 1), self.spellings(3)),
                ("entity", "email"),
            ),
            Property(
                "lead-id-wins",
                "`lead_id` takes precedence over `email`",
                self.p_lead_id_wins,
                st.tuples(s.two_entities(n), self.spellings(3), st.booleans()) if n >= 2 else None,
                ("two-entities", "email"),
            ),
            Property(
                "nested-fields",
                "lead_id, email and tags are found nested anywhere in the body",
                self.p_nested,
                st.tuples(s.entity(n), self.spellings(3), _paths(), _paths(), st.booleans()),
                ("entity",),
            ),
            Property(
                "roundtrip",
                "create → list → update → delete round-trips; a slug given in any spelling is "
                "stored by the slug rule",
                self.p_roundtrip,
                st.tuples(
                    s.suffixes(),
                    st.one_of(st.none(), s.suffixes()),
                    s.suffixes(),
                    s.same_slug(MERGE_WORDS[:2]),
                ),
            ),
            Property(
                "unique",
                "a slug is unique per account in any spelling: creating or renaming onto it "
                "answers 409; a sync naming it assigns the existing tag",
                self.p_unique,
                st.tuples(s.suffixes(), s.same_slug(MERGE_WORDS[:2]), s.same_slug(MERGE_WORDS[:2])),
                ("entity",),
            ),
            Property(
                "timestamps",
                "created_at stays; updated_at moves with the vendor's clock on every change of "
                "the tag and only then (not on a sync or an assignment)",
                self.p_timestamps,
                st.tuples(s.entity(n), s.suffixes(6)),
                ("entity",),
                examples=2,
            ),
            Property(
                "tenant-writes",
                "the other account writing through this account's ids and e-mails (sync, empty "
                "sync, assign, rename, delete) is not found and changes nothing",
                self.p_tenant_writes,
                st.tuples(s.case_masks(), self.spellings(3)),
                ("entity", "other-credential"),
                examples=3,
            ),
            Property(
                "delete-cascades",
                "deleting a tag unassigns it from every lead",
                self.p_delete_cascades,
                st.sets(s.entity(n), min_size=1),
                ("entity",),
            ),
            Property(
                "tenant-isolation",
                "another account's tags and leads are not found",
                self.p_tenant_isolation,
                None,
                ("entity", "other-credential"),
            ),
            self.auth_property("X-API-Key"),
            self.error_property(),
            self.body_property(),
        ]

    def body_cases(self) -> list[tuple[str, dict[str, Any]]]:
        mine = next(iter(self.our_tags()), None)
        if mine is None:
            slug = doc_slug(self.fresh("b"))
            r = self.api.call("createTag", body={"name": slug, "slug": slug})
            expect(r, 201, "POST /tags")
            mine = str(r.body["data"]["id"])
        return [
            ("createTag", {}),
            ("updateTag", {"id": mine}),
            ("syncLeadTags", {}),
            ("assignLeadTags", {"leadId": self.lead_id(0)}),
        ]

    def error_cases(self) -> list[ErrorCase]:
        good = b'{"name": "x", "slug": "x"}'
        return [
            ErrorCase("malformed JSON", "POST", "/tags", 400, "createTag", raw=b'{"name":'),
            ErrorCase(
                "a body that is not JSON",
                "POST",
                "/tags",
                415,
                "createTag",
                raw=good,
                content_type="text/plain",
            ),
            ErrorCase(
                "a body breaking the schema",
                "POST",
                "/tags",
                400,
                "createTag",
                raw=b'{"name": 5, "slug": 5}',
            ),
            ErrorCase(
                "an unknown tag",
                "PUT",
                f"/tags/{uuidlib.uuid4()}",
                404,
                "updateTag",
                raw=b'{"name": "x"}',
            ),
            ErrorCase(
                "an unknown lead", "GET", f"/leads/{uuidlib.uuid4()}/tags", 404, "getLeadTags"
            ),
            ErrorCase("an unknown route", "GET", "/tagfake-no-such-route", 404, shared="NotFound"),
            ErrorCase("a method the path lacks", "PATCH", "/tags", 405, shared="MethodNotAllowed"),
        ]

    def _check_set(self, lead_id: str, body: dict[str, Any], want: set[str], what: str) -> None:
        answered = sorted(str(t["slug"]) for t in body["tags"])
        if sorted(set(answered)) != answered or set(answered) != want:
            raise Deviation(
                f"{what} leaves the slugs {sorted(want)}", f"the answer lists {answered}"
            )
        stored = self.lead_slugs(lead_id)
        if set(stored) != want or len(stored) != len(want):
            raise Deviation(
                f"after {what}, GET /leads/{{leadId}}/tags shows {sorted(want)}", f"{stored}"
            )

    def p_sync_sets_exact(self, ex: tuple[int, list[Spelling]]) -> None:
        i, picks = ex
        names = self.names(picks)
        lead_id = self.lead_id(i)
        body = self.synced(self.sync({"lead_id": lead_id, "tags": names}), "PUT /leads/tags")
        self._check_set(lead_id, body, {doc_slug(n) for n in names}, f"syncing {sent_json(names)}")

    def p_sync_idempotent(self, ex: tuple[int, list[Spelling]]) -> None:
        i, picks = ex
        payload = {"lead_id": self.lead_id(i), "tags": self.names(picks)}
        first = self.synced(self.sync(payload), "the first sync")
        again = self.synced(self.sync(payload), "the same sync again")
        if again["added"] or again["removed"]:
            raise Deviation(
                "repeating a sync answers `added: []` and `removed: []`",
                f"added {again['added']}, removed {again['removed']}",
            )
        ids = sorted(_key(t["id"]) for t in first["tags"])
        if sorted(_key(t["id"]) for t in again["tags"]) != ids:
            raise Deviation("repeating a sync leaves the same tags", "the tags changed")

    def p_sync_empty_clears(self, ex: tuple[int, list[Spelling]]) -> None:
        i, picks = ex
        lead_id = self.lead_id(i)
        self.synced(self.sync({"lead_id": lead_id, "tags": self.names(picks)}), "a sync")
        before = self.lead_ids(lead_id)
        body = self.synced(self.sync({"lead_id": lead_id, "tags": []}), "a sync with []")
        left = self.lead_ids(lead_id)
        if body["tags"] or left:
            raise Deviation(
                "`tags: []` clears the lead's tags",
                f"the answer lists {len(body['tags'])}, the lead keeps {len(left)}",
            )
        if {_key(x) for x in body["removed"]} != before:
            raise Deviation("clearing reports every tag as removed", f"removed {body['removed']}")

    def p_sync_isolated(self, ex: tuple[tuple[int, int], list[Spelling]]) -> None:
        (a, b), picks = ex
        before = self.lead_ids(self.lead_id(b))
        self.synced(self.sync({"lead_id": self.lead_id(a), "tags": self.names(picks)}), "a sync")
        if self.lead_ids(self.lead_id(b)) != before:
            raise Deviation(
                "a sync of one lead leaves every other lead's tags alone",
                f"lead {self.lead_id(b)} changed",
            )

    def p_added_removed(self, ex: tuple[int, list[Spelling], list[Spelling]]) -> None:
        i, first, second = ex
        lead_id = self.lead_id(i)
        self.synced(self.sync({"lead_id": lead_id, "tags": self.names(first)}), "a first sync")
        before = self.lead_ids(lead_id)
        body = self.synced(
            self.sync({"lead_id": lead_id, "tags": self.names(second)}), "a second sync"
        )
        after = {_key(t["id"]) for t in body["tags"]}
        added, removed = [_key(x) for x in body["added"]], [_key(x) for x in body["removed"]]
        if sorted(added) != sorted(after - before) or sorted(removed) != sorted(before - after):
            raise Deviation(
                f"added = after - before ({len(after - before)} id(s)), "
                f"removed = before - after ({len(before - after)} id(s))",
                f"added {len(added)} id(s), removed {len(removed)} id(s)",
            )
        if after != self.lead_ids(lead_id):
            raise Deviation("the answer's tags are the lead's tags", "GET shows others")

    def p_rejected(self, ex: tuple[int, list[Spelling], str, Any]) -> None:
        i, picks, kind, bad = ex
        lead_id = self.lead_id(i)
        names: list[Any] = [f"{self.fresh('n')} new", *self.names(picks)]
        body: dict[str, Any] = {"lead_id": lead_id, "tags": names}
        if kind == "non-string tag":
            names.insert(len(names) // 2, bad)
            want = 400
        elif kind == "unknown lead":
            body["lead_id"] = str(uuidlib.uuid4())
            want = 404
        elif kind == "no lead":
            del body["lead_id"]
            want = 400
        else:
            body["tags"] = {"names": names}
            want = 400
        before, tags_before = self.lead_ids(lead_id), self.our_tags()
        r = self.sync(body)
        expect(r, want, f"PUT /leads/tags with {kind}")
        if self.lead_ids(lead_id) != before:
            raise Deviation("a rejected sync leaves the lead's tags as they were", "they changed")
        created = set(self.our_tags()) - set(tags_before)
        if created:
            raise Deviation("a rejected sync creates no tag", f"{len(created)} tag(s) were created")

    def p_slug_merge(self, ex: tuple[int, list[str]]) -> None:
        i, variants = ex
        head = self.fresh("m")
        names = [f"{head} {v}" for v in variants]
        lead_id = self.lead_id(i)
        body = self.synced(
            self.sync({"lead_id": lead_id, "tags": names}), f"syncing {sent_json(names)}"
        )
        slug = doc_slug(f"{head} {' '.join(MERGE_WORDS)}")
        answered = [t for t in body["tags"] if t["slug"] == slug]
        listed = [t for t in self.our_tags().values() if t["slug"] == slug]
        if len(answered) != 1 or len(listed) != 1 or len(body["tags"]) != 1:
            raise Deviation(
                f"{sent_json(names)} are one tag with slug {slug!r}",
                f"the lead got {len(body['tags'])} tag(s); GET /tags has {len(listed)} with it",
            )
        if answered[0]["name"] != names[0]:
            raise Deviation(
                f"the new tag keeps the first spelling {names[0]!r}",
                f"it is named {answered[0]['name']!r}",
            )

    def p_name_kept(self, ex: tuple[int, int, bool]) -> None:
        i, mask, dash = ex
        name = f"{self.fresh('k')} keep me"
        slug = doc_slug(name)
        r = self.api.call("createTag", body={"name": name, "slug": slug})
        expect(r, 201, "POST /tags")
        tid = _key(r.body["data"]["id"])
        other = respell(name, mask, dash)
        body = self.synced(
            self.sync({"lead_id": self.lead_id(i), "tags": [other]}), f"syncing [{other!r}]"
        )
        got = [(t["id"], t["name"]) for t in body["tags"]]
        listed = self.our_tags().get(tid)
        if [(_key(a), b) for a, b in got] != [(tid, name)] or listed is None:
            raise Deviation(
                f"syncing {other!r} assigns the existing tag {name!r} (slug {slug!r})",
                f"the lead got {got}",
            )
        if listed["name"] != name:
            raise Deviation(f"the tag keeps its name {name!r}", f"it is now {listed['name']!r}")

    def p_email_case(self, ex: tuple[int, int, list[Spelling]]) -> None:
        i, mask, picks = ex
        leads = [j for j, lead in enumerate(self.leads) if lead.email]
        lead = self.leads[leads[i % len(leads)]]
        assert lead.email is not None and lead.id is not None
        email = respell(lead.email.lower(), mask, False)
        names = self.names(picks)
        body = self.synced(self.sync({"email": email, "tags": names}), f"a sync by email {email!r}")
        if _key(body["lead_id"]) != _key(lead.id):
            raise Deviation(f"email {email!r} finds lead {lead.id}", f"lead_id {body['lead_id']}")
        self._check_set(lead.id, body, {doc_slug(n) for n in names}, f"syncing by {email!r}")

    def p_lead_id_wins(self, ex: tuple[tuple[int, int], list[Spelling], bool]) -> None:
        (a, b), picks, email_first = ex
        if not self.leads[b].email:
            a, b = b, a
        target, decoy = self.leads[a], self.leads[b]
        assert target.id is not None and decoy.id is not None
        assume(decoy.email is not None)
        names = self.names(picks)
        before = self.lead_ids(decoy.id)
        fields: list[tuple[str, Any]] = [("email", decoy.email), ("lead_id", target.id)]
        body: dict[str, Any] = dict(fields if email_first else fields[::-1])
        body["tags"] = names
        answer = self.synced(self.sync(body), "a sync with lead_id and another lead's email")
        if _key(answer["lead_id"]) != _key(target.id):
            raise Deviation(
                f"lead_id {target.id} takes precedence over email {decoy.email!r}",
                f"the sync went to lead {answer['lead_id']}",
            )
        self._check_set(target.id, answer, {doc_slug(n) for n in names}, "that sync")
        if self.lead_ids(decoy.id) != before:
            raise Deviation("the lead named by email is left alone", "its tags changed")

    def p_nested(self, ex: tuple[int, list[Spelling], list[Any], list[Any], bool]) -> None:
        i, picks, id_path, tags_path, by_email = ex
        lead = self.leads[i]
        assert lead.id is not None
        if by_email:
            assume(lead.email is not None)
        names = self.names(picks)
        body: dict[str, Any] = {"event": "lead.updated", "meta": {"source": "contract"}}
        field, value = ("email", lead.email) if by_email else ("lead_id", lead.id)
        _place(body, ["a", *id_path], field, value)
        _place(body, ["b", *tags_path], "tags", names)
        answer = self.synced(self.sync(body), f"a sync with fields nested as {sent_json(body)}")
        if _key(answer["lead_id"]) != _key(lead.id):
            raise Deviation(f"the nested {field} finds lead {lead.id}", f"{answer['lead_id']}")
        self._check_set(lead.id, answer, {doc_slug(n) for n in names}, "a nested sync")

    def p_roundtrip(self, ex: tuple[str, str | None, str, str]) -> None:
        suffix, description, new_suffix, spelled = ex
        name = f"{self.fresh('r')}{suffix}"
        given = f"{self.fresh('r')} {spelled}"
        sent = {"name": name, "slug": given, "description": description}
        r = self.api.call("createTag", body=sent)
        expect(r, 201, f"POST /tags with {json.dumps(sent, ensure_ascii=False)}")
        tid = _key(r.body["data"]["id"])
        sent["slug"] = doc_slug(given)
        self._same(r.body["data"], sent, "POST /tags answers the tag with its slug normalised")
        listed = self.our_tags().get(tid)
        if listed is None:
            raise Deviation("GET /tags lists the created tag", "it is missing")
        self._same(listed, sent, "GET /tags shows the created tag")
        change = {"name": f"{self.fresh('r')}{new_suffix}", "description": None}
        u = self.api.call("updateTag", {"id": tid}, body=change)
        expect(u, 200, "PUT /tags/{id}")
        want = {**sent, **change}
        self._same(u.body["data"], want, "PUT /tags/{id} answers the updated tag")
        self._same(self.our_tags().get(tid) or {}, want, "GET /tags after PUT")
        d = self.api.call("deleteTag", {"id": tid})
        expect(d, 200, "DELETE /tags/{id}")
        if tid in self.our_tags():
            raise Deviation("a deleted tag is no longer listed", "GET /tags still lists it")
        expect(self.api.call("deleteTag", {"id": tid}), 404, "DELETE of a deleted tag")
        expect(self.api.call("updateTag", {"id": tid}, body={"name": "x"}), 404, "PUT of it")

    @staticmethod
    def _same(tag: dict[str, Any], want: dict[str, Any], what: str) -> None:
        got = {k: tag.get(k) for k in want}
        if got != want:
            raise Deviation(f"{what}: {want}", f"{got}")

    def p_unique(self, ex: tuple[str, str, str]) -> None:
        suffix, again, onto = ex
        head = self.fresh("u")
        slug = doc_slug(f"{head} {' '.join(MERGE_WORDS[:2])}")
        first = self.api.call("createTag", body={"name": f"first {suffix}", "slug": slug})
        expect(first, 201, "POST /tags")
        first_id = _key(first.body["data"]["id"])
        respelled = f"{head} {again}"
        r = self.api.call("createTag", body={"name": f"second {suffix}", "slug": respelled})
        expect(r, 409, f"a second POST /tags with slug {respelled!r} (taken as {slug!r})")
        if r.body.get("error") != SLUG_TAKEN:
            raise Deviation(f"the 409 says {SLUG_TAKEN!r}", r.short())
        other_slug = doc_slug(self.fresh("u"))
        second = self.api.call("createTag", body={"name": "other", "slug": other_slug})
        expect(second, 201, "POST /tags")
        renamed = f"{head} {onto}"
        u = self.api.call("updateTag", {"id": second.body["data"]["id"]}, body={"slug": renamed})
        expect(u, 409, f"PUT /tags/{{id}} onto the slug {renamed!r} (taken as {slug!r})")
        name = f"{head} {onto}"
        body = self.synced(
            self.sync({"lead_id": self.lead_id(0), "tags": [name]}), f"syncing [{name!r}]"
        )
        got = [_key(t["id"]) for t in body["tags"]]
        if got != [first_id]:
            raise Deviation(
                f"syncing {name!r} assigns the tag with slug {slug!r}", f"the lead got {got}"
            )
        same = [t for t in self.our_tags().values() if t["slug"] == slug]
        if len(same) != 1:
            raise Deviation("the rejected requests create nothing", f"{len(same)} tags use it")

    def p_timestamps(self, ex: tuple[int, str]) -> None:
        i, suffix = ex
        slug = doc_slug(self.fresh("ts"))
        r = self.api.call("createTag", body={"name": slug, "slug": slug})
        expect(r, 201, "POST /tags")
        tid = _key(r.body["data"]["id"])
        created = self._listed(tid)
        if created["created_at"] != created.get("updated_at", created["created_at"]):
            raise Deviation(
                "a new tag's updated_at is its created_at",
                f"{created['created_at']} / {created.get('updated_at')}",
            )
        self.tick()
        lead_id = self.lead_id(i)
        self.synced(self.sync({"lead_id": lead_id, "tags": [slug]}), "a sync naming the tag")
        same_times(self._listed(tid), created, "a sync assigning the tag")
        a = self.api.call("assignLeadTags", {"leadId": lead_id}, body={"tagId": tid})
        expect(a, 201, "POST /leads/{leadId}/tags with the tag already assigned")
        same_times(self._listed(tid), created, "an assignment")
        self.tick()
        change = {"name": f"{slug}{suffix}"}
        u = self.api.call("updateTag", {"id": tid}, body=change)
        expect(u, 200, f"PUT /tags/{{id}} with {json.dumps(change, ensure_ascii=False)}")
        after = self._listed(tid)
        if after["created_at"] != created["created_at"]:
            raise Deviation(
                f"PUT leaves created_at ({created['created_at']})", f"{after['created_at']}"
            )
        self.moved(created["updated_at"], after["updated_at"], "PUT /tags/{id}")
        answered = u.body["data"]
        if "updated_at" in answered and answered["updated_at"] != after["updated_at"]:
            raise Deviation("PUT answers the stored updated_at", f"{answered['updated_at']}")

    def _listed(self, tid: str) -> dict[str, Any]:
        tag = self.our_tags().get(tid)
        if tag is None:
            raise Deviation(f"GET /tags lists tag {tid}", "it is missing")
        return tag

    def p_tenant_writes(self, ex: tuple[int, list[Spelling]]) -> None:
        other = self.other
        assert other is not None
        mask, picks = ex
        lead = self.leads[0]
        assert lead.id is not None
        mine = self.our_tags()
        pool_tag = next(iter(mine), None)
        if pool_tag is None:
            self.synced(self.sync({"lead_id": lead.id, "tags": [self.pool[0]]}), "a sync")
            mine = self.our_tags()
            pool_tag = next(iter(mine))
        names = self.names(picks)
        before_lead = [_key(t["id"]) for t in self.lead_tags(lead.id)]
        before_theirs = set(self.our_tags(other))
        writes: list[tuple[str, dict[str, Any] | None, Any]] = [
            ("syncLeadTags", None, {"lead_id": lead.id, "tags": names}),
            ("syncLeadTags", None, {"lead_id": lead.id, "tags": []}),
            ("syncLeadTags", None, {"lead_id": lead.id.upper(), "tags": []}),
            ("syncLeadTags", None, {"payload": {"lead_id": lead.id}, "tags": names}),
            ("assignLeadTags", {"leadId": lead.id}, {"tagId": pool_tag}),
            ("assignLeadTags", {"leadId": lead.id}, {"tagIds": [pool_tag]}),
            ("updateTag", {"id": pool_tag}, {"name": self.fresh("stolen")}),
            ("updateTag", {"id": pool_tag}, {"slug": self.fresh("stolen")}),
            ("deleteTag", {"id": pool_tag}, None),
        ]
        if lead.email:
            email = s.respell(lead.email, mask)
            writes += [
                ("syncLeadTags", None, {"email": email, "tags": names}),
                ("syncLeadTags", None, {"email": email, "tags": []}),
            ]
        for op, params, body in writes:
            kw: dict[str, Any] = {} if body is None else {"body": body}
            r = other.call(op, params, **kw)
            sent = "" if body is None else f" with {json.dumps(body, ensure_ascii=False)}"
            expect(r, 404, f"the other account's {op}{sent} (this account's ids)")
        after_lead = [_key(t["id"]) for t in self.lead_tags(lead.id)]
        if sorted(after_lead) != sorted(before_lead):
            raise Deviation(
                "the other account's writes leave this lead's tags",
                f"{len(before_lead)} tag(s) became {len(after_lead)}",
            )
        after = self.our_tags()
        for tid, tag in mine.items():
            now = after.get(tid)
            if now is None or (now["name"], now["slug"]) != (tag["name"], tag["slug"]):
                raise Deviation(
                    f"the other account's writes leave this account's tag {tag['slug']!r}",
                    f"it is now {now}",
                )
        created = set(self.our_tags(other)) - before_theirs
        if created:
            raise Deviation(
                "a sync refused as not found creates no tag in the other account either",
                f"{len(created)} tag(s) created there",
            )

    def p_delete_cascades(self, chosen: set[int]) -> None:
        slug = doc_slug(self.fresh("d"))
        r = self.api.call("createTag", body={"name": slug, "slug": slug})
        expect(r, 201, "POST /tags")
        tid = _key(r.body["data"]["id"])
        leads = [self.lead_id(i) for i in sorted(chosen)]
        for lead_id in leads:
            a = self.api.call("assignLeadTags", {"leadId": lead_id}, body={"tagId": tid})
            expect(a, 201, "POST /leads/{leadId}/tags")
            if tid not in self.lead_ids(lead_id):
                raise Deviation("an assigned tag is on the lead", "it is not")
        expect(self.api.call("deleteTag", {"id": tid}), 200, "DELETE /tags/{id}")
        for lead_id in leads:
            if tid in self.lead_ids(lead_id):
                raise Deviation(
                    "deleting a tag removes it from every lead it was assigned to",
                    f"lead {lead_id} still has it",
                )

    def p_tenant_isolation(self, _: None) -> None:
        other = self.other
        assert other is not None
        lead_id = self.lead_id(0)
        slug = doc_slug(self.fresh("x"))
        c = other.call("createTag", body={"name": slug, "slug": slug})
        expect(c, 201, "POST /tags as the other account")
        foreign = c.body["data"]["id"]
        try:
            expect(
                self.api.call("updateTag", {"id": foreign}, body={"name": "x"}),
                404,
                "PUT /tags/{id} of another account's tag",
            )
            expect(
                self.api.call("deleteTag", {"id": foreign}),
                404,
                "DELETE /tags/{id} of another account's tag",
            )
            if _key(foreign) in self.our_tags():
                raise Deviation("GET /tags lists only the account's tags", "it lists theirs")
            before = self.lead_ids(lead_id)
            a = self.api.call("assignLeadTags", {"leadId": lead_id}, body={"tagId": foreign})
            if a.status < 400:
                raise Deviation("assigning another account's tag is refused", a.short())
            r = self.sync({"lead_id": lead_id, "tags": []}, api=other)
            expect(r, 404, "PUT /leads/tags on another account's lead")
            if self.lead_ids(lead_id) != before:
                raise Deviation("the other account cannot change this lead", "it changed")
            g = other.call("getLead", {"id": lead_id})
            expect(g, 404, "GET /leads/{id} of another account's lead")
        finally:
            other.call("deleteTag", {"id": foreign}, check=False)

    def p_auth_required(self, _: None) -> None:
        lead_id = self.lead_id(0)
        before = self.lead_ids(lead_id)
        wrong = f"nxr_live_tagfake_{self.ctx.run_id}_not_a_key"
        for cred, text in ((ANONYMOUS, MISSING_KEY), (wrong, INVALID_KEY)):
            for op, params, body in (
                ("listTags", None, None),
                ("getLeadTags", {"leadId": lead_id}, None),
                ("syncLeadTags", None, {"lead_id": lead_id, "tags": []}),
            ):
                kw: dict[str, Any] = {"credential": cred}
                if body is not None:
                    kw["body"] = body
                r = self.api.call(op, params, **kw)
                label = "no X-API-Key" if cred is ANONYMOUS else "an unknown X-API-Key"
                expect(r, 401, f"{op} with {label}")
                if r.body.get("error") != text:
                    raise Deviation(f"{op} with {label} answers error {text!r}", r.short())
        if self.lead_ids(lead_id) != before:
            raise Deviation("an unauthenticated sync changes nothing", "the lead changed")

    # -- state machine ----------------------------------------------------------------------
    def machine(self) -> type[RuleBasedStateMachine]:
        suite = self
        n = len(self.leads)
        names = [f"{self.fresh('s')} tag" for _ in range(5)]
        spelled = st.tuples(
            st.integers(0, len(names) - 1), st.integers(0, 2**24 - 1), st.booleans()
        )

        def spell(p: tuple[int, int, bool]) -> str:
            return respell(names[p[0]], p[1], p[2])

        class NexorMachine(RuleBasedStateMachine):
            def __init__(self) -> None:
                super().__init__()
                self.by_slug: dict[str, dict[str, str]] = {}
                self.leads = {suite.lead_id(i): suite.lead_ids(suite.lead_id(i)) for i in range(n)}

            @initialize(i=s.entity(n))
            def tagged(self, i: int) -> None:
                """Start with a lead carrying a tag of the run, so later steps can touch it."""
                self.sync(i, [(0, 0, False)])

            @rule(i=s.entity(n), picks=st.lists(spelled, max_size=5))
            def sync(self, i: int, picks: list[tuple[int, int, bool]]) -> None:
                lead_id = suite.lead_id(i)
                sent = [spell(p) for p in picks]
                body = suite.synced(suite.sync({"lead_id": lead_id, "tags": sent}), "a sync")
                got = {str(t["slug"]): t for t in body["tags"]}
                want = {doc_slug(x) for x in sent}
                if set(got) != want or len(body["tags"]) != len(want):
                    raise Deviation(
                        f"syncing {sent_json(sent)} leaves slugs {sorted(want)}", f"{sorted(got)}"
                    )
                first: dict[str, str] = {}
                for x in sent:
                    first.setdefault(doc_slug(x), x)
                for slug, tag in got.items():
                    known = self.by_slug.get(slug)
                    if known is None:
                        self.by_slug[slug] = {"id": _key(tag["id"]), "name": first[slug]}
                    elif (known["id"], known["name"]) != (_key(tag["id"]), tag["name"]):
                        raise Deviation(
                            f"slug {slug} is the existing tag {known}",
                            f"{tag['id']} named {tag['name']!r}",
                        )
                after = {self.by_slug[x]["id"] for x in want}
                before = self.leads[lead_id]
                added = sorted(_key(x) for x in body["added"])
                removed = sorted(_key(x) for x in body["removed"])
                if added != sorted(after - before) or removed != sorted(before - after):
                    raise Deviation("added/removed are the set differences", f"{added} {removed}")
                self.leads[lead_id] = after

            @rule(p=spelled)
            def create(self, p: tuple[int, int, bool]) -> None:
                name = spell(p)
                slug = doc_slug(name)
                r = suite.api.call("createTag", body={"name": name, "slug": slug})
                if slug in self.by_slug:
                    expect(r, 409, "POST /tags with a slug already used")
                    return
                expect(r, 201, "POST /tags")
                self.by_slug[slug] = {"id": _key(r.body["data"]["id"]), "name": name}

            @precondition(lambda self: any(doc_slug(x) in self.by_slug for x in names))
            @rule(p=spelled)
            def rename(self, p: tuple[int, int, bool]) -> None:
                known = [k for k, x in enumerate(names) if doc_slug(x) in self.by_slug]
                k = known[p[0] % len(known)]
                slug = doc_slug(names[k])
                name = spell((k, p[1], p[2]))
                r = suite.api.call(
                    "updateTag", {"id": self.by_slug[slug]["id"]}, body={"name": name}
                )
                expect(r, 200, "PUT /tags/{id}")
                self.by_slug[slug]["name"] = name

            @precondition(lambda self: any(doc_slug(x) in self.by_slug for x in names))
            @rule(k=st.integers(0, len(names) - 1))
            def delete(self, k: int) -> None:
                known = [j for j, x in enumerate(names) if doc_slug(x) in self.by_slug]
                slug = doc_slug(names[known[k % len(known)]])
                tid = self.by_slug.pop(slug)["id"]
                expect(suite.api.call("deleteTag", {"id": tid}), 200, "DELETE /tags/{id}")
                for ids in self.leads.values():
                    ids.discard(tid)

            @rule(
                i=s.entity(n),
                ks=st.lists(st.integers(0, len(names) - 1), max_size=3),
                one=st.booleans(),
            )
            def assign(self, i: int, ks: list[int], one: bool) -> None:
                """POST /leads/{leadId}/tags: adds (already-assigned skipped), never removes."""
                ids = [
                    self.by_slug[doc_slug(names[k])]["id"]
                    for k in ks
                    if doc_slug(names[k]) in self.by_slug
                ]
                lead_id = suite.lead_id(i)
                # Always one already on the lead, where it has one of the run's: it is skipped.
                mine = {v["id"] for v in self.by_slug.values()}
                ids = sorted(self.leads[lead_id] & mine)[:1] + ids
                assume(ids)
                body: dict[str, Any] = {"tagId": ids[0]} if one else {"tagIds": ids}
                r = suite.api.call("assignLeadTags", {"leadId": lead_id}, body=body)
                expect(r, 201, f"POST /leads/{{leadId}}/tags with {json.dumps(body)}")
                self.leads[lead_id] = self.leads[lead_id] | set(ids[:1] if one else ids)
                if suite.lead_ids(lead_id) != self.leads[lead_id]:
                    raise Deviation(
                        f"after the assignment the lead has {len(self.leads[lead_id])} tag(s)",
                        f"GET /leads/{{leadId}}/tags shows {len(suite.lead_ids(lead_id))}",
                    )
                got = (
                    once(r.body["data"], "the assignment's answer")
                    if "data" in (r.body or {})
                    else None
                )
                if got is not None and got != self.leads[lead_id]:
                    raise Deviation(
                        f"the assignment answers the lead's {len(self.leads[lead_id])} tag(s)",
                        f"{len(got)}",
                    )

            @rule(i=s.entity(n))
            def get_lead(self, i: int) -> None:
                lead_id = suite.lead_id(i)
                r = suite.api.call("getLead", {"id": lead_id})
                expect(r, 200, "GET /leads/{id}")
                got = once(r.body["lead"].get("tags", []), "GET /leads/{id}'s tags")
                if got != self.leads[lead_id]:
                    raise Deviation(
                        f"GET /leads/{{id}} shows the lead's {len(self.leads[lead_id])} tag(s)",
                        f"it shows {len(got)}",
                    )

            @rule(first=s.suffixes(6), bulk=st.booleans())
            def create_lead(self, first: str, bulk: bool) -> None:
                """POST /leads (one, or an array), then GET /leads/{id}: a new lead, no tags.
                Only against tagfake: a created lead cannot be deleted through the API."""
                assume(suite.t.tagfake)
                fields = {"first_name": f"{suite.fresh('lead')}{first}".strip()}
                r = suite.api.call("createLeads", body=[fields] if bulk else fields)
                expect(r, 200 if bulk else 201, "POST /leads")
                lead = r.body["leads"][0] if bulk else r.body["lead"]
                g = suite.api.call("getLead", {"id": lead["id"]})
                expect(g, 200, "GET /leads/{id} of the new lead")
                shown = g.body["lead"]
                if shown.get("first_name") != fields["first_name"] or shown.get("tags"):
                    raise Deviation(
                        f"the new lead is {fields} without tags",
                        f"{ {k: shown.get(k) for k in ('first_name', 'tags')} }",
                    )

            @rule(i=s.entity(n))
            def read_lead(self, i: int) -> None:
                lead_id = suite.lead_id(i)
                tags = suite.lead_tags(lead_id)
                got = {_key(t["id"]) for t in tags}
                if got != self.leads[lead_id]:
                    raise Deviation(
                        f"lead {lead_id} has {len(self.leads[lead_id])} tag(s) as the model says",
                        f"it has {len(got)}",
                    )
                mine = {v["id"]: v["name"] for v in self.by_slug.values()}
                for t in tags:
                    tid = _key(t["id"])
                    if tid in mine and t["name"] != mine[tid]:
                        raise Deviation(f"tag {tid} is named {mine[tid]!r}", repr(t["name"]))

            @rule()
            def list_tags(self) -> None:
                listed = suite.our_tags()
                mine = {v["id"]: v["name"] for v in self.by_slug.values()}
                got = {
                    k: str(v["name"])
                    for k, v in listed.items()
                    if k in mine or any(str(v["slug"]) == doc_slug(x) for x in names)
                }
                if got != mine:
                    raise Deviation(
                        f"GET /tags lists the model's tags {sorted(mine.values())}",
                        f"{sorted(got.values())}",
                    )

            def teardown(self) -> None:
                for tag in self.by_slug.values():
                    suite.api.call("deleteTag", {"id": tag["id"]}, check=False)

        return NexorMachine

    # -- observations -----------------------------------------------------------------------
    def probes(self) -> dict[str, Probe]:
        return {
            "/components/schemas/LeadTagsSync/properties/tags": self.o_slugify,
            "/components/schemas/LeadTagsSync": self.o_shallowest,
            "/paths//leads/tags/put": self.o_no_fallback,
            "/components/schemas/TagSlug": self.o_slug_normalised,
            "/components/schemas/TagCreate": self.o_empty_name,
            "/paths//tags/get": self.o_list_order,
            "/paths//leads/{leadId}/tags/post": self.o_assign_unknown,
            "/components/parameters/LeadIdForTags": self.o_lead_not_uuid,
            "/components/schemas/Error": self.o_error_shape,
            "/paths//leads/{id}/get": self.o_lead_shape,
            "/paths//leads/post": self.o_create_lead,
        }

    def o_slugify(self) -> tuple[str, bool | None]:
        name = f"{self.fresh('Slug')} Probe!! Über"
        r = self.sync({"lead_id": self.lead_id(0), "tags": [name]})
        if r.status != 200:
            return f"a sync with {name!r} answered {r.status}", None
        slug = r.body["tags"][0]["slug"]
        # The assumed rule: ASCII transliteration, lowercase, runs outside [a-z0-9] → one "-",
        # "-" trimmed.
        expected = "-".join(filter(None, re.split(r"[^a-z0-9]+", unidecode(name).lower())))
        blank = self.sync({"lead_id": self.lead_id(0), "tags": ["!!!"]})
        text = (
            f"{name!r} got slug {slug!r}; a name without letters or digits answered {blank.status}"
        )
        return text, slug == expected and blank.status == 400

    def o_shallowest(self) -> tuple[str, bool | None]:
        lead_id = self.lead_id(0)
        body = {"lead_id": lead_id, "payload": {"lead_id": str(uuidlib.uuid4())}, "tags": []}
        r = self.sync(body)
        lead = r.body.get("lead_id") if isinstance(r.body, dict) else None
        return (
            f"top-level lead_id beside a nested one answered {r.status} for lead {lead}",
            r.status == 200 and _key(lead) == _key(lead_id),
        )

    def o_no_fallback(self) -> tuple[str, bool | None]:
        lead = next((x for x in self.leads if x.email), None)
        if lead is None:
            raise NotObservable("no lead's email is known")
        r = self.sync({"lead_id": str(uuidlib.uuid4()), "email": lead.email, "tags": []})
        return f"an unknown lead_id with a known email answered {r.status}", r.status == 404

    def o_slug_normalised(self) -> tuple[str, bool | None]:
        slug = f"{self.ctx.prefix}Not A Slug"
        r = self.api.call("createTag", body={"name": "slug probe", "slug": slug}, check=False)
        got = (r.body or {}).get("data", {}).get("slug") if r.status == 201 else None
        # The assumed rule: a given slug is normalised as the sync slugifies a name.
        expected = "-".join(filter(None, re.split(r"[^a-z0-9]+", slug.lower())))
        return f"POST /tags with slug {slug!r} answered {r.status}, slug {got!r}", got == expected

    def o_empty_name(self) -> tuple[str, bool | None]:
        r = self.api.call(
            "createTag", body={"name": "", "slug": doc_slug(self.fresh("e"))}, check=False
        )
        return f"an empty name answered {r.short(120)}", r.status == 400 and (
            (r.body or {}).get("error") == "Tag name is required"
        )

    def o_list_order(self) -> tuple[str, bool | None]:
        a, b = doc_slug(self.fresh("oa")), doc_slug(self.fresh("ob"))
        for slug in (a, b):
            self.api.call("createTag", body={"name": slug, "slug": slug}, check=False)
        r = self.api.call(
            "listTags", query={"search": self.ctx.prefix.upper().rstrip("-")}, check=False
        )
        slugs = [t["slug"] for t in (r.body or {}).get("data", [])] if r.status == 200 else []
        found = [x for x in slugs if x in (a, b)]
        return (
            f"an upper-case search found {len(found)} of 2 new tags, in order {found}",
            found == [a, b],
        )

    def o_assign_unknown(self) -> tuple[str, bool | None]:
        lead_id = self.lead_id(0)
        r = self.api.call(
            "assignLeadTags", {"leadId": lead_id}, body={"tagId": str(uuidlib.uuid4())}, check=False
        )
        both = self.api.call(
            "assignLeadTags",
            {"leadId": lead_id},
            body={"tagId": str(uuidlib.uuid4()), "tagIds": []},
            check=False,
        )
        return (
            f"an unknown tagId answered {r.status}; tagId with tagIds answered {both.status}",
            r.status == 404 and both.status == 400,
        )

    def o_lead_not_uuid(self) -> tuple[str, bool | None]:
        r = self.api.call("getLeadTags", {"leadId": "not-a-uuid"}, check=False)
        return f"GET /leads/not-a-uuid/tags answered {r.status}", r.status == 404

    def o_error_shape(self) -> tuple[str, bool | None]:
        r = self.api.call("getLeadTags", {"leadId": str(uuidlib.uuid4())}, check=False)
        keys = sorted(r.body) if isinstance(r.body, dict) else None
        return f"an unknown lead answered {r.status} with keys {keys}", keys == ["error"]

    def o_lead_shape(self) -> tuple[str, bool | None]:
        r = self.api.call("getLead", {"id": self.lead_id(0)}, check=False)
        body = r.body if isinstance(r.body, dict) else {}
        lead = body.get("lead", {})
        return (
            f"GET /leads/{{id}} answered {r.status}; variables {body.get('variables')!r}, "
            f"campaign {lead.get('campaign')!r}",
            "variables" in body and "campaign" in lead,
        )

    def o_create_lead(self) -> tuple[str, bool | None]:
        if not self.t.tagfake:
            raise NotObservable("a created lead cannot be deleted through the API")
        r = self.api.call("createLeads", body={"first_name": self.fresh("lead")}, check=False)
        return f"POST /leads with one lead answered {r.status}", r.status == 201

    def plan(self) -> list[str]:
        names = [str(x.email or x.id) if isinstance(x, Lead) else str(x) for x in self.t.entities]
        return [
            f"read the tags of lead(s) {', '.join(names) or '-'} "
            "(a lead named only by email: the first sync tells its tags)",
            f"sync the leads with tag names starting {self.ctx.prefix!r} (PUT /leads/tags); "
            "they are created by slug",
            "create, update and delete tags whose slug starts with the run prefix",
            "at the end: restore each lead's tags (sync [] then POST /leads/{leadId}/tags), "
            f"delete every tag whose slug starts with {self.ctx.prefix!r}",
        ]


def _paths() -> st.SearchStrategy[list[Any]]:
    """Where a field sits: object keys and array positions, up to four levels."""
    step = st.one_of(st.sampled_from(["payload", "lead", "data", "x"]), st.integers(0, 2))
    return st.lists(step, max_size=4)


def _place(body: dict[str, Any], path: list[Any], field: str, value: Any) -> None:
    """Put `field: value` at `path` (keys make objects, integers arrays with fillers)."""
    node: Any = body
    for i, step in enumerate(path):
        nxt: Any = [] if i + 1 < len(path) and isinstance(path[i + 1], int) else {}
        if isinstance(step, int):
            assert isinstance(node, list)
            while len(node) <= step:
                node.append({"filler": len(node)})
            if not isinstance(node[step], (dict, list)) or type(node[step]) is not type(nxt):
                node[step] = nxt
            node = node[step]
        else:
            assert isinstance(node, dict)
            if not isinstance(node.get(step), (dict, list)) or type(node[step]) is not type(nxt):
                node[step] = nxt
            node = node[step]
    if isinstance(node, list):
        node.append({field: value})
    else:
        node[field] = value
