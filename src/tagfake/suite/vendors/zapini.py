"""Zapini: tag CRUD by UUID, a conversation's tags replaced by `PUT /conversations/{uuid}/tags`,
live `conversations_count`, names unique per tenant (422)."""

from __future__ import annotations

import json
import uuid as uuidlib
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule

from tagfake.suite import strategies as s
from tagfake.suite.api import ANONYMOUS, Api, Reply, expect
from tagfake.suite.base import ErrorCase, Probe, Property, VendorSuite, same_times
from tagfake.suite.http import NO_BODY
from tagfake.suite.model import Deviation, NotObservable

POOL = 4


def _key(tag_id: Any) -> str:
    return str(tag_id).lower()


def once(tags: list[dict[str, Any]], what: str) -> set[str]:
    """The ids of a list the vendor answers, which names each tag once (a repeat is shown)."""
    ids = [_key(t["id"]) for t in tags]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise Deviation(f"{what} lists each tag once", f"it repeats {repeated}")
    return set(ids)


class ZapiniSuite(VendorSuite):
    vendor = "zapini"
    entity = "conversation"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool: list[str] = []
        self.names: dict[str, str] = {}
        self.original: dict[str, list[str]] = {}

    # -- API helpers ------------------------------------------------------------------------
    def conv_tags(self, cid: str, api: Api | None = None) -> set[str]:
        r = (api or self.api).call("getConversation", {"uuid": cid})
        expect(r, 200, f"GET /conversations/{cid}")
        return once(r.body["data"]["conversation"]["tags"], f"GET /conversations/{cid}")

    def sync(self, cid: str, ids: list[str], api: Api | None = None) -> Reply:
        return (api or self.api).call(
            "updateConversationTags", {"uuid": cid}, body={"tag_ids": ids}
        )

    def tags(self, api: Api | None = None) -> dict[str, dict[str, Any]]:
        r = (api or self.api).call("listTags")
        expect(r, 200, "GET /tags")
        listed = r.body["data"]["tags"]
        once(listed, "GET /tags")
        return {_key(t["id"]): t for t in listed}

    def create(self, name: str, color: str = "#123abc", api: Api | None = None) -> str:
        r = (api or self.api).call("createTag", body={"name": name, "color": color})
        expect(r, 201, f"POST /tags {name!r} creates the tag")
        tag_id = _key(r.body["data"]["tag"]["id"])
        self.names[tag_id] = name.removeprefix(self.ctx.prefix)
        return tag_id

    def show(self, ids: Any) -> str:
        """A set of tag ids as the pool's short names, for one-line messages."""
        if not ids:
            return "no tag"
        return "{" + ", ".join(sorted(self.names.get(i, i[:8]) for i in ids)) + "}"

    def entity_id(self, i: int) -> str:
        return str(self.t.entities[i])

    # -- set-up and clean-up ----------------------------------------------------------------
    def setup(self) -> None:
        for cid in self.t.entities:
            r = self.api.call("getConversation", {"uuid": cid})
            expect(r, 200, f"GET /conversations/{cid} (a conversation named for the run)")
            self.original[str(cid)] = [t["id"] for t in r.body["data"]["conversation"]["tags"]]
        self.pool = [self.create(self.fresh("p"), "#10b981") for _ in range(POOL)]

    def cleanup(self) -> None:
        for cid, ids in self.original.items():
            r = self.sync(cid, ids)
            if r.status != 200:
                self.notes.append(f"could not restore conversation {cid}: {r.short()}")
        for api in filter(None, [self.api, self.other]):
            r = api.call("listTags", check=False)
            if r.status != 200:
                self.notes.append(f"could not list tags for clean-up: {r.short()}")
                continue
            for tag in r.body["data"]["tags"]:
                if self.ours(tag["name"]):
                    api.call("deleteTag", {"uuid": tag["id"]}, check=False)

    # -- properties -------------------------------------------------------------------------
    def properties(self) -> list[Property]:
        n = len(self.t.entities)
        one = st.tuples(s.entity(n), s.picks(POOL))
        return [
            Property(
                "sync-sets-exact",
                "a conversation's set after a sync equals the requested set "
                "(order and duplicates do not matter)",
                self.p_sync_sets_exact,
                one,
                ("entity",),
            ),
            Property(
                "sync-idempotent",
                "repeating a sync changes nothing",
                self.p_sync_idempotent,
                one,
                ("entity",),
            ),
            Property(
                "sync-empty-clears",
                "`tag_ids: []` clears the conversation's tags",
                self.p_sync_empty_clears,
                one,
                ("entity",),
            ),
            Property(
                "sync-isolated",
                "a sync touches only its own conversation",
                self.p_sync_isolated,
                st.tuples(s.two_entities(n), s.picks(POOL)) if n >= 2 else None,
                ("two-entities",),
            ),
            Property(
                "rejected-changes-nothing",
                "a rejected request changes nothing",
                self.p_rejected,
                st.tuples(
                    s.entity(n),
                    s.picks(POOL),
                    st.uuids(),
                    st.integers(0, 7),
                    st.sampled_from(["red", "#12345", "#GGGGGG", "#1234567", "", "12345678"]),
                ),
                ("entity",),
            ),
            Property(
                "roundtrip",
                "create → get → list → update → delete round-trips (names of any letters, "
                "digits and punctuation; surrounding whitespace trimmed)",
                self.p_roundtrip,
                st.tuples(s.suffixes(), s.edges(), s.colors(), s.colors()),
            ),
            Property(
                "unique",
                "a tag name is unique per tenant, in any letter case and with whitespace "
                "around it: a second create or a rename onto it answers 422",
                self.p_unique,
                st.tuples(s.suffixes(), s.case_masks(), s.case_masks(), s.edges()),
            ),
            Property(
                "timestamps",
                "created_at stays; updated_at moves with the vendor's clock on every change of "
                "the tag and only then (not on a sync, an empty or a rejected PATCH)",
                self.p_timestamps,
                st.tuples(s.entity(n), s.colors()),
                ("entity",),
                examples=2,
            ),
            Property(
                "tenant-writes",
                "the other tenant writing through this tenant's ids (sync, empty sync, rename, "
                "delete) is not found and changes nothing",
                self.p_tenant_writes,
                None,
                ("entity", "other-credential"),
            ),
            Property(
                "delete-cascades",
                "deleting a tag removes it from every conversation and from the counts",
                self.p_delete_cascades,
                st.sets(s.entity(n), min_size=1),
                ("entity",),
            ),
            Property(
                "count-live",
                "conversations_count equals the conversations carrying the tag",
                self.p_count_live,
                st.lists(st.tuples(s.entity(n), s.picks(POOL)), min_size=1, max_size=3),
                ("entity",),
            ),
            Property(
                "tenant-isolation",
                "another tenant's tags are not found and cannot be used",
                self.p_tenant_isolation,
                None,
                ("entity", "other-credential"),
            ),
            self.auth_property(),
            self.error_property(),
            self.body_property(),
        ]

    def body_cases(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            ("createTag", {}),
            ("updateTag", {"uuid": self.pool[0]}),
            ("updateConversationTags", {"uuid": self.entity_id(0)}),
        ]

    def error_cases(self) -> list[ErrorCase]:
        good = b'{"name": "x", "color": "#000000"}'
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
                422,
                "createTag",
                raw=b'{"name": 5, "color": "red"}',
            ),
            ErrorCase("an unknown tag", "GET", f"/tags/{uuidlib.uuid4()}", 404, "getTag"),
            ErrorCase("an unknown route", "GET", "/tagfake-no-such-route", 404, shared="NotFound"),
            ErrorCase("a method the path lacks", "DELETE", "/tags", 405, shared="MethodNotAllowed"),
        ]

    def p_sync_sets_exact(self, ex: tuple[int, list[int]]) -> None:
        cid = self.entity_id(ex[0])
        ids = [self.pool[i] for i in ex[1]]
        want = set(ids)
        r = self.sync(cid, ids)
        expect(r, 200, f"PUT /conversations/{{uuid}}/tags with {json.dumps({'tag_ids': ids})}")
        got = once(r.body["data"]["tags"], "the sync's answer")
        if got != want:
            raise Deviation(
                f"the sync of {json.dumps({'tag_ids': ids})} answers exactly {self.show(want)}",
                f"the answer lists {self.show(got)}",
            )
        stored = self.conv_tags(cid)
        if stored != want:
            raise Deviation(
                f"after syncing {self.show(want)}, GET /conversations/{{uuid}} shows that set",
                f"it shows {self.show(stored)}",
            )

    def p_sync_idempotent(self, ex: tuple[int, list[int]]) -> None:
        cid = self.entity_id(ex[0])
        ids = [self.pool[i] for i in ex[1]]
        expect(self.sync(cid, ids), 200, "the first sync")
        before, counts = self.conv_tags(cid), self._pool_counts()
        second = self.sync(cid, ids)
        expect(second, 200, "the same sync again")
        again = {_key(t["id"]) for t in second.body["data"]["tags"]}
        after, counts_after = self.conv_tags(cid), self._pool_counts()
        if again != before or after != before:
            raise Deviation(
                f"repeating the sync of {self.show(set(ids))} leaves {self.show(before)}",
                f"the repeat answered {self.show(again)} and left {self.show(after)}",
            )
        if counts_after != counts:
            raise Deviation(
                "repeating a sync leaves every conversations_count as it was",
                f"counts {counts} became {counts_after}",
            )

    def p_sync_empty_clears(self, ex: tuple[int, list[int]]) -> None:
        cid = self.entity_id(ex[0])
        expect(self.sync(cid, [self.pool[i] for i in ex[1]]), 200, "a sync")
        r = self.sync(cid, [])
        expect(r, 200, "PUT /conversations/{uuid}/tags with tag_ids []")
        left = self.conv_tags(cid)
        if r.body["data"]["tags"] or left:
            raise Deviation(
                "`tag_ids: []` clears the conversation's tags",
                f"the answer lists {len(r.body['data']['tags'])} tag(s); "
                f"the conversation keeps {self.show(left)}",
            )

    def p_sync_isolated(self, ex: tuple[tuple[int, int], list[int]]) -> None:
        (a, b), chosen = ex
        other = self.entity_id(b)
        before = self.conv_tags(other)
        expect(self.sync(self.entity_id(a), [self.pool[i] for i in chosen]), 200, "a sync")
        after = self.conv_tags(other)
        if after != before:
            raise Deviation(
                "a sync of one conversation leaves every other conversation's tags alone",
                f"conversation {other} went from {self.show(before)} to {self.show(after)}",
            )

    def p_rejected(self, ex: tuple[int, list[int], uuidlib.UUID, int, str]) -> None:
        i, chosen, unknown, at, bad_color = ex
        cid = self.entity_id(i)
        before_conv, before_tags = self.conv_tags(cid), self.tags()
        ids = [self.pool[j] for j in chosen]
        ids.insert(min(at, len(ids)), str(unknown))
        r = self.sync(cid, ids)
        if r.status < 400:
            raise Deviation(
                "a sync naming an id that is not a tag of this tenant is rejected",
                r.short(),
            )
        name = self.fresh("bad")
        c = self.api.call("createTag", body={"name": name, "color": bad_color})
        expect(c, 422, f"POST /tags with color {bad_color!r} is a validation error")
        after_conv, after_tags = self.conv_tags(cid), self.tags()
        if after_conv != before_conv:
            raise Deviation(
                "a rejected sync leaves the conversation's tags as they were",
                f"{self.show(before_conv)} became {self.show(after_conv)}",
            )
        if after_tags != before_tags:
            added = set(after_tags) - set(before_tags)
            raise Deviation(
                "rejected requests leave the tenant's tags as they were",
                f"tags changed (new: {sorted(after_tags[k]['name'] for k in added)})",
            )

    def p_roundtrip(self, ex: tuple[str, tuple[str, str], str, str]) -> None:
        suffix, (lead, trail), color, new_color = ex
        name = (self.fresh("r") + suffix).strip()
        r = self.api.call("createTag", body={"name": lead + name + trail, "color": color})
        expect(r, 201, "POST /tags creates the tag")
        tag = r.body["data"]["tag"]
        tid = tag["id"]
        want = {"name": name, "color": color}
        self._same(tag, want, "POST /tags answers the tag as sent")
        if tag["conversations_count"] != 0:
            raise Deviation(
                "a new tag is on no conversation", f"count {tag['conversations_count']}"
            )
        g = self.api.call("getTag", {"uuid": tid})
        expect(g, 200, "GET /tags/{uuid} of the new tag")
        self._same(g.body["data"]["tag"], want, "GET /tags/{uuid} shows the created tag")
        listed = self.tags().get(_key(tid))
        if listed is None:
            raise Deviation("GET /tags lists the created tag", "it is missing")
        self._same(listed, want, "GET /tags shows the created tag")
        u = self.api.call("updateTag", {"uuid": tid}, body={"color": new_color})
        expect(u, 200, "PATCH /tags/{uuid}")
        want["color"] = new_color
        self._same(u.body["data"]["tag"], want, "PATCH answers the updated tag")
        g = self.api.call("getTag", {"uuid": tid})
        expect(g, 200, "GET /tags/{uuid} after PATCH")
        self._same(g.body["data"]["tag"], want, "GET after PATCH shows the new colour")
        expect(self.api.call("deleteTag", {"uuid": tid}), 200, "DELETE /tags/{uuid}")
        expect(self.api.call("getTag", {"uuid": tid}), 404, "GET of a deleted tag")
        if _key(tid) in self.tags():
            raise Deviation("a deleted tag is no longer listed", "GET /tags still lists it")

    @staticmethod
    def _same(tag: dict[str, Any], want: dict[str, Any], what: str) -> None:
        got = {k: tag.get(k) for k in want}
        if {k: str(v).lower() for k, v in got.items()} != {
            k: str(v).lower() for k, v in want.items()
        }:
            raise Deviation(f"{what}: {want}", f"{got}")

    def p_unique(self, ex: tuple[str, int, int, tuple[str, str]]) -> None:
        suffix, mask, other_mask, (lead, trail) = ex
        name = (self.fresh("u") + suffix).strip()
        tid = self.create(name)
        again = lead + s.respell(name, mask) + trail
        r = self.api.call("createTag", body={"name": again, "color": "#abcdef"})
        expect(r, 422, f"a second POST /tags named {again!r} (taken as {name!r})")
        second = self.create(self.fresh("u2"))
        onto = lead + s.respell(name, other_mask) + trail
        u = self.api.call("updateTag", {"uuid": second}, body={"name": onto})
        expect(u, 422, f"PATCH /tags/{{uuid}} renaming another tag to {onto!r}")
        own = s.respell(name, mask)
        u = self.api.call("updateTag", {"uuid": tid}, body={"name": own})
        expect(u, 200, f"PATCH /tags/{{uuid}} respelling the tag's own name as {own!r}")
        folded = name.casefold()
        same = [t for t in self.tags().values() if str(t["name"]).strip().casefold() == folded]
        if len(same) != 1:
            raise Deviation(
                f"one tag is named {name!r} in any letter case", f"{len(same)} tags named so"
            )
        self.api.call("deleteTag", {"uuid": tid})
        self.api.call("deleteTag", {"uuid": second})

    def p_timestamps(self, ex: tuple[int, str]) -> None:
        i, color = ex
        cid = self.entity_id(i)
        tid = self.create(self.fresh("ts"))
        created = self._get(tid)
        if created["created_at"] != created["updated_at"]:
            raise Deviation(
                "a new tag's updated_at is its created_at",
                f"{created['created_at']} / {created['updated_at']}",
            )
        self.tick()
        expect(self.sync(cid, [*self.conv_tags(cid), tid]), 200, "a sync adding the tag")
        same_times(self._get(tid), created, "a sync putting the tag on a conversation")
        expect(self.api.call("updateTag", {"uuid": tid}, body={}), 200, "PATCH with {}")
        same_times(self._get(tid), created, "PATCH /tags/{uuid} with {}")
        bad = self.api.call("updateTag", {"uuid": tid}, body={"color": "red"})
        expect(bad, 422, 'PATCH with {"color": "red"}')
        same_times(self._get(tid), created, "a rejected PATCH")
        self.tick()
        new = "#000000" if color.lower() == "#123abc" else color
        u = self.api.call("updateTag", {"uuid": tid}, body={"color": new})
        expect(u, 200, f'PATCH /tags/{{uuid}} with {{"color": "{new}"}}')
        after = u.body["data"]["tag"]
        if after["created_at"] != created["created_at"]:
            raise Deviation(
                f"PATCH leaves created_at ({created['created_at']})", f"{after['created_at']}"
            )
        self.moved(created["updated_at"], after["updated_at"], "PATCH /tags/{uuid}")
        same_times(self._get(tid), after, "GET /tags/{uuid} after the PATCH")
        same_times(self.tags()[tid], after, "GET /tags after the PATCH")
        self.api.call("deleteTag", {"uuid": tid})

    def _get(self, tid: str) -> dict[str, Any]:
        g = self.api.call("getTag", {"uuid": tid})
        expect(g, 200, "GET /tags/{uuid}")
        tag: dict[str, Any] = g.body["data"]["tag"]
        return tag

    def p_tenant_writes(self, _: None) -> None:
        other = self.other
        assert other is not None
        cid = self.entity_id(0)
        mine = self.pool[0]
        expect(self.sync(cid, [mine]), 200, "a sync (this tenant)")
        before_conv, before_tags = self.conv_tags(cid), self.tags()
        writes: list[tuple[str, dict[str, Any], Any]] = [
            ("updateConversationTags", {"uuid": cid}, {"tag_ids": []}),
            ("updateConversationTags", {"uuid": cid}, {"tag_ids": [mine]}),
            ("updateConversationTags", {"uuid": cid}, {"tag_ids": self.pool[1:3]}),
            ("updateTag", {"uuid": mine}, {"name": self.fresh("stolen")}),
            ("updateTag", {"uuid": mine}, {"color": "#000000"}),
            ("updateTag", {"uuid": mine.upper()}, {"color": "#000000"}),
            ("deleteTag", {"uuid": mine}, NO_BODY),
        ]
        for op, params, body in writes:
            r = other.call(op, params, body=body)
            sent = "" if body is NO_BODY else f" with {json.dumps(body)}"
            expect(r, 404, f"the other tenant's {op} {params}{sent} (this tenant's ids)")
        if self.conv_tags(cid) != before_conv:
            raise Deviation(
                "the other tenant's writes leave this conversation's tags",
                f"{self.show(before_conv)} became {self.show(self.conv_tags(cid))}",
            )
        after = self.tags()
        for tid, tag in before_tags.items():
            now = after.get(tid)
            if now is None or (now["name"], now["color"]) != (tag["name"], tag["color"]):
                raise Deviation(
                    f"the other tenant's writes leave this tenant's tag {tag['name']!r}",
                    f"it is now {now}",
                )

    def p_delete_cascades(self, chosen: set[int]) -> None:
        tid = self.create(self.fresh("d"))
        cids = [self.entity_id(i) for i in sorted(chosen)]
        for cid in cids:
            expect(self.sync(cid, [*self.conv_tags(cid), tid]), 200, "adding the tag by a sync")
        carried = self.tags()[tid]["conversations_count"]
        if carried != len(cids):
            raise Deviation(
                f"the tag is on {len(cids)} conversation(s) (conversations_count)",
                f"conversations_count {carried}",
            )
        expect(self.api.call("deleteTag", {"uuid": tid}), 200, "DELETE /tags/{uuid}")
        for cid in cids:
            if tid in self.conv_tags(cid):
                raise Deviation(
                    "a deleted tag is removed from every conversation",
                    f"conversation {cid} still carries it",
                )
        expect(self.api.call("getTag", {"uuid": tid}), 404, "GET of the deleted tag")

    def p_count_live(self, ops: list[tuple[int, list[int]]]) -> None:
        for i, chosen in ops:
            expect(self.sync(self.entity_id(i), [self.pool[j] for j in chosen]), 200, "a sync")
        sets = [self.conv_tags(str(c)) for c in self.t.entities]
        listed = self.tags()
        for tid in self.pool:
            carrying = sum(tid in s for s in sets)
            got = listed[tid]["conversations_count"]
            one = self.api.call("getTag", {"uuid": tid})
            expect(one, 200, "GET /tags/{uuid}")
            single = one.body["data"]["tag"]["conversations_count"]
            if got != carrying or single != carrying:
                raise Deviation(
                    f"conversations_count of {self.names[tid]} = {carrying} "
                    "(the conversations carrying it)",
                    f"GET /tags says {got}, GET /tags/{{uuid}} says {single}",
                )

    def p_tenant_isolation(self, _: None) -> None:
        other = self.other
        assert other is not None
        cid = self.entity_id(0)
        foreign = self.create(self.fresh("x"), api=other)
        try:
            attempts: list[tuple[str, Any]] = [
                ("getTag", NO_BODY),
                ("updateTag", {"color": "#000000"}),
                ("deleteTag", NO_BODY),
            ]
            for op, body in attempts:
                r = self.api.call(op, {"uuid": foreign}, body=body)
                expect(r, 404, f"{op} of another tenant's tag is not found")
            if foreign in self.tags():
                raise Deviation("GET /tags lists only the tenant's own tags", "it lists theirs")
            before = self.conv_tags(cid)
            r = self.sync(cid, [foreign])
            if r.status < 400:
                raise Deviation("a sync naming another tenant's tag is rejected", r.short())
            if self.conv_tags(cid) != before:
                raise Deviation("that rejected sync changes nothing", "the set changed")
            r = other.call("getConversation", {"uuid": cid})
            expect(r, 404, "another tenant's GET of this conversation is not found")
            r = other.call("getTag", {"uuid": self.pool[0]})
            expect(r, 404, "another tenant's GET of this tenant's tag is not found")
        finally:
            other.call("deleteTag", {"uuid": foreign}, check=False)

    def p_auth_required(self, _: None) -> None:
        cid = self.entity_id(0)
        before = self.conv_tags(cid)
        wrong = f"tagfake-{self.ctx.run_id}-not-a-token"
        for label, extra in (
            ("no Authorization header", {"credential": ANONYMOUS}),
            ("an unknown bearer token", {"credential": wrong}),
            (
                "a non-bearer Authorization header",
                {"credential": ANONYMOUS, "headers": {"Authorization": f"Token {wrong}"}},
            ),
        ):
            for op, params, body in (
                ("listTags", None, None),
                ("getTag", {"uuid": self.pool[0]}, None),
                ("updateConversationTags", {"uuid": cid}, {"tag_ids": []}),
            ):
                kw: dict[str, Any] = dict(extra)
                if body is not None:
                    kw["body"] = body
                r = self.api.call(op, params, **kw)
                expect(r, 401, f"{op} with {label}")
        if self.conv_tags(cid) != before:
            raise Deviation("an unauthenticated sync changes nothing", "the set changed")

    def _pool_counts(self) -> dict[str, int]:
        listed = self.tags()
        return {self.names[t]: int(listed[t]["conversations_count"]) for t in self.pool}

    # -- state machine ----------------------------------------------------------------------
    def machine(self) -> type[RuleBasedStateMachine]:
        suite = self
        n = len(self.t.entities)

        class ZapiniMachine(RuleBasedStateMachine):
            tags = Bundle("tags")

            def __init__(self) -> None:
                super().__init__()
                self.alive: dict[str, dict[str, str]] = {}
                self.dead: set[str] = set()
                self.convs = {str(c): suite.conv_tags(str(c)) for c in suite.t.entities}

            def count(self, tid: str) -> int:
                return sum(tid in s for s in self.convs.values())

            @initialize(target=tags, i=s.entity(n))
            def tagged(self, i: int) -> str:
                """Start from a run-made tag on a conversation, so later steps can touch it."""
                tid = str(self.create("", "#123456"))
                cid = suite.entity_id(i)
                expect(suite.sync(cid, [*self.convs[cid], tid]), 200, "a sync adding a tag")
                self.convs[cid].add(tid)
                return tid

            @rule(target=tags, suffix=s.suffixes(6), color=s.colors())
            def create(self, suffix: str, color: str) -> str:
                name = (suite.fresh("m") + suffix).strip()
                tid = suite.create(name, color)
                self.alive[tid] = {"name": name, "color": color.lower()}
                return tid

            @rule(tid=tags)
            def create_duplicate(self, tid: str) -> None:
                assume(tid in self.alive)
                name = self.alive[tid]["name"].upper()
                r = suite.api.call("createTag", body={"name": name, "color": "#000000"})
                if r.status == 201:
                    # Names may differ only in case on this target: an observation, not a failure.
                    new = _key(r.body["data"]["tag"]["id"])
                    self.alive[new] = {"name": name, "color": "#000000"}
                    return
                expect(r, 422, "a create with a name already taken")

            @rule(tid=tags, color=s.colors())
            def update(self, tid: str, color: str) -> None:
                r = suite.api.call("updateTag", {"uuid": tid}, body={"color": color})
                if tid in self.dead:
                    expect(r, 404, "PATCH of a deleted tag")
                    return
                expect(r, 200, "PATCH /tags/{uuid}")
                self.alive[tid]["color"] = color.lower()
                tag = r.body["data"]["tag"]
                want = (self.alive[tid]["name"], self.alive[tid]["color"], self.count(tid))
                got = (tag["name"], str(tag["color"]).lower(), tag["conversations_count"])
                if got != want:
                    raise Deviation(f"PATCH /tags/{{uuid}} answers {want}", f"{got}")

            @rule(tid=tags, other=tags, mask=s.case_masks(), suffix=s.suffixes(4))
            def rename(self, tid: str, other: str, mask: int, suffix: str) -> None:
                """PATCH a name: onto another live tag's name (any case) → 422, else renamed."""
                taken = other in self.alive and other != tid
                if taken:
                    name = s.respell(self.alive[other]["name"], mask)
                else:
                    name = (suite.fresh("mr") + suffix).strip()
                r = suite.api.call("updateTag", {"uuid": tid}, body={"name": name})
                if tid in self.dead:
                    expect(r, 404, "PATCH of a deleted tag")
                    return
                if tid not in self.alive:
                    return  # a tag made by `tagged`: its name is not modelled
                if taken:
                    expect(r, 422, f"PATCH renaming a tag onto the taken name {name!r}")
                    return
                expect(r, 200, "PATCH /tags/{uuid} with a new name")
                self.alive[tid]["name"] = name
                self.show(tid)

            @rule(tid=tags)
            def show(self, tid: str) -> None:
                r = suite.api.call("getTag", {"uuid": tid})
                if tid in self.dead:
                    expect(r, 404, "GET of a deleted tag")
                    return
                expect(r, 200, "GET /tags/{uuid}")
                tag = r.body["data"]["tag"]
                if tid in self.alive:
                    want = (self.alive[tid]["name"], self.alive[tid]["color"], self.count(tid))
                    got = (tag["name"], str(tag["color"]).lower(), tag["conversations_count"])
                    if got != want:
                        raise Deviation(f"GET /tags/{{uuid}} shows {want}", f"{got}")

            @rule(tid=tags)
            def delete(self, tid: str) -> None:
                r = suite.api.call("deleteTag", {"uuid": tid})
                if tid in self.dead:
                    expect(r, 404, "DELETE of a deleted tag")
                    return
                expect(r, 200, "DELETE /tags/{uuid}")
                del self.alive[tid]
                self.dead.add(tid)
                for ids in self.convs.values():
                    ids.discard(tid)

            @rule(i=s.entity(n), chosen=st.lists(tags, min_size=1, max_size=4))
            def sync(self, i: int, chosen: list[str]) -> None:
                cid = suite.entity_id(i)
                r = suite.sync(cid, chosen)
                if any(t in self.dead for t in chosen):
                    if r.status < 400:
                        raise Deviation("a sync naming a deleted tag is rejected", r.short())
                    return
                expect(r, 200, "PUT /conversations/{uuid}/tags")
                self.convs[cid] = set(chosen)

            @rule(i=s.entity(n))
            def read(self, i: int) -> None:
                """One conversation, then every tag of the run with its count."""
                cid = suite.entity_id(i)
                got = suite.conv_tags(cid)
                if got != self.convs[cid]:
                    raise Deviation(
                        f"conversation {cid} carries {suite.show(self.convs[cid])}",
                        f"it carries {suite.show(got)}",
                    )
                listed = suite.tags()
                mine = set(listed) & (set(self.alive) | self.dead)
                if mine != set(self.alive):
                    raise Deviation(
                        f"GET /tags lists the {len(self.alive)} live tag(s) the run made",
                        f"it lists {len(mine)} of them",
                    )
                for tid, want in self.alive.items():
                    tag = listed[tid]
                    got_tag = (tag["name"], str(tag["color"]).lower(), tag["conversations_count"])
                    if got_tag != (want["name"], want["color"], self.count(tid)):
                        raise Deviation(
                            f"GET /tags shows {(want['name'], want['color'], self.count(tid))}",
                            f"{got_tag}",
                        )

            def teardown(self) -> None:
                for tid in list(self.alive):
                    suite.api.call("deleteTag", {"uuid": tid}, check=False)

        return ZapiniMachine

    # -- observations -----------------------------------------------------------------------
    def probes(self) -> dict[str, Probe]:
        return {
            "/paths//tags/post/responses/201": self.o_create_status,
            "/components/schemas/TagCreate": self.o_case_insensitive,
            "/components/schemas/TagName": self.o_blank_name,
            "/components/schemas/TagUpdate": self.o_update_unique,
            "/paths//conversations/{uuid}/tags/put": self.o_unknown_id,
            "/components/parameters/TagUuid": self.o_tag_not_uuid,
            "/components/parameters/ConversationUuid": self.o_conversation_not_uuid,
            "/paths//tags/{uuid}/get/responses/200": self.o_get_shape,
            "/paths//tags/{uuid}/delete/responses/200": self.o_delete_shape,
            "/paths//tags/{uuid}/patch/responses/200": self.o_patch_shape,
            "/paths//conversations/{uuid}/get": self.o_conversation_shape,
            "/components/responses/ValidationError": self.o_validation_body,
            "/components/schemas/ZapiniError/properties/error/properties/code": self.o_codes,
        }

    def o_create_status(self) -> tuple[str, bool | None]:
        r = self.api.call(
            "createTag", body={"name": self.fresh("o"), "color": "#111111"}, check=False
        )
        return f"POST /tags answered {r.status}", r.status == 201

    def o_case_insensitive(self) -> tuple[str, bool | None]:
        name = self.fresh("case")
        self.create(name)
        r = self.api.call("createTag", body={"name": name.upper(), "color": "#111111"}, check=False)
        if r.status == 201:
            return f"a tag named {name.upper()!r} was created beside {name!r}", False
        return f"a name differing only in case was refused ({r.status})", r.status == 422

    def o_blank_name(self) -> tuple[str, bool | None]:
        r = self.api.call("createTag", body={"name": "   ", "color": "#111111"}, check=False)
        return f"a name of only spaces answered {r.status}", r.status == 422

    def o_update_unique(self) -> tuple[str, bool | None]:
        a, b = self.fresh("ua"), self.fresh("ub")
        self.create(a)
        tb = self.create(b)
        r = self.api.call("updateTag", {"uuid": tb}, body={"name": a}, check=False)
        return f"PATCH to a name already taken answered {r.status}", r.status == 422

    def o_unknown_id(self) -> tuple[str, bool | None]:
        if not self.t.entities:
            raise NotObservable("no conversation named")
        cid = self.entity_id(0)
        before = self.conv_tags(cid)
        unknown = str(uuidlib.uuid4())
        r = self.sync(cid, [self.pool[0], unknown])
        details = (r.body or {}).get("error", {}).get("details", {}) if r.body else {}
        changed = self.conv_tags(cid) != before
        text = f"a sync naming an unknown id answered {r.status} with details {sorted(details)}"
        if changed:
            text += " and changed the conversation"
        return text, r.status == 422 and "tag_ids.1" in details and not changed

    def o_tag_not_uuid(self) -> tuple[str, bool | None]:
        r = self.api.call("getTag", {"uuid": "12"}, check=False)
        return f"GET /tags/12 (not a UUID) answered {r.status}", r.status == 404

    def o_conversation_not_uuid(self) -> tuple[str, bool | None]:
        r = self.api.call("getConversation", {"uuid": "not-a-uuid"}, check=False)
        return f"GET /conversations/not-a-uuid answered {r.status}", r.status == 404

    def o_get_shape(self) -> tuple[str, bool | None]:
        r = self.api.call("getTag", {"uuid": self.pool[0]}, check=False)
        tag = (r.body or {}).get("data", {}).get("tag", {}) if r.status == 200 else {}
        ok = "conversations_count" in tag and "message" not in (r.body or {})
        return f"GET /tags/{{uuid}} answered {r.status} with fields {sorted(tag)}", ok

    def o_delete_shape(self) -> tuple[str, bool | None]:
        tid = self.create(self.fresh("del"))
        r = self.api.call("deleteTag", {"uuid": tid}, check=False)
        keys = sorted(r.body) if isinstance(r.body, dict) else []
        return (
            f"DELETE answered {r.status} with keys {keys}",
            r.status == 200 and "data" not in keys,
        )

    def o_patch_shape(self) -> tuple[str, bool | None]:
        tid = self.create(self.fresh("pa"))
        r = self.api.call("updateTag", {"uuid": tid}, body={"color": "#222222"}, check=False)
        body = r.body if isinstance(r.body, dict) else {}
        tag = body.get("data", {}).get("tag", {})
        return (
            f"PATCH answered {r.status} with message {body.get('message')!r} and tag fields "
            f"{sorted(tag)}",
            r.status == 200 and "message" in body and "conversations_count" in tag,
        )

    def o_conversation_shape(self) -> tuple[str, bool | None]:
        if not self.t.entities:
            raise NotObservable("no conversation named")
        r = self.api.call("getConversation", {"uuid": self.entity_id(0)}, check=False)
        conv = (r.body or {}).get("data", {}).get("conversation", {}) if r.status == 200 else {}
        want = {"id", "display_name", "contact_number", "tags"}
        return f"GET /conversations/{{uuid}} has fields {sorted(conv)}", want <= set(conv)

    def o_validation_body(self) -> tuple[str, bool | None]:
        r = self.api.call("createTag", body={"name": self.fresh("v"), "color": "red"}, check=False)
        details = (r.body or {}).get("error", {}).get("details", {}) if r.body else {}
        return f"a bad colour answered {r.status} with details {details}", "color" in details

    def o_codes(self) -> tuple[str, bool | None]:
        seen: dict[int, str] = {}
        for r in (
            self.api.call("listTags", credential=ANONYMOUS, check=False),
            self.api.call("getTag", {"uuid": str(uuidlib.uuid4())}, check=False),
            self.api.call("createTag", body={"name": "", "color": "x"}, check=False),
        ):
            body = r.body if isinstance(r.body, dict) else {}
            seen[r.status] = str(body.get("error", {}).get("code"))
        want = {401: "UNAUTHENTICATED", 404: "NOT_FOUND", 422: "VALIDATION_ERROR"}
        return f"error codes by status: {seen}", seen == want

    def plan(self) -> list[str]:
        return [
            f"read the tags of conversation(s) {', '.join(map(str, self.t.entities)) or '-'}",
            f"create {POOL} pool tags named {self.ctx.prefix}p<n> (POST /tags)",
            "sync the conversations with pool tags (PUT /conversations/{uuid}/tags)",
            "create, update and delete tags named with the run prefix",
            "at the end: restore each conversation's tags, delete every tag named "
            f"{self.ctx.prefix}*",
        ]
