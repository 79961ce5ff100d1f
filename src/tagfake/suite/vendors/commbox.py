"""CommBox: tags (with a type and an optional group) and tag groups, created, renamed and deleted
by id; a tag set on or removed from a conversation (an object of a stream). Deleting a group
deletes its tags. The API cannot show an object's tags: tagfake's admin API does, where
available."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule

from tagfake.suite import strategies as s
from tagfake.suite.api import ANONYMOUS, Api, Reply, expect
from tagfake.suite.base import MORE_ON_TAGFAKE, ErrorCase, Probe, Property, VendorSuite
from tagfake.suite.http import NO_BODY
from tagfake.suite.model import Deviation, Exchange, NotObservable

POOL = 4
TYPES = (1, 2, 3, 4, 5, 100, 101, 102, 103)
UNKNOWN = 990_000_000
#: (set or delete, pool index, object index)
Op = tuple[bool, int, int]


def once(items: list[dict[str, Any]], what: str) -> dict[int, dict[str, Any]]:
    """A list the vendor answers, by id; it names each item once (a repeat is shown)."""
    ids = [int(x["id"]) for x in items]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise Deviation(f"{what} lists each item once", f"it repeats {repeated}")
    return {int(x["id"]): x for x in items}


class CommBoxSuite(VendorSuite):
    vendor = "commbox"
    entity = "conversation (object)"
    machine_judges = MORE_ON_TAGFAKE
    oracle_aided = frozenset(
        {"object-tag-set", "rejected-changes-nothing", "delete-cascades", "auth-required"}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool: list[int] = []

    # -- helpers ----------------------------------------------------------------------------
    def obj(self, i: int) -> tuple[int, int]:
        stream, obj = self.t.entities[i]
        return int(stream), int(obj)

    def path(self, i: int, tag: int) -> dict[str, Any]:
        stream, obj = self.obj(i)
        return {"STREAM_ID": stream, "OBJECT_ID": obj, "TAG_ID": tag}

    def set_tag(self, i: int, tag: int, api: Api | None = None) -> Reply:
        return (api or self.api).call("setObjectTag", self.path(i, tag))

    def del_tag(self, i: int, tag: int) -> Reply:
        return self.api.call("deleteObjectTag", self.path(i, tag))

    def stored(self, i: int) -> set[int]:
        assert self.t.oracle is not None
        stream, obj = self.obj(i)
        return {int(k) for k in self.t.oracle.entity_tags("objects", f"{stream}/{obj}")}

    def tags(self, api: Api | None = None) -> dict[int, dict[str, Any]]:
        r = (api or self.api).call("getTags")
        expect(r, 200, "GET /tags")
        return once(r.body["data"], "GET /tags")

    def groups(self, api: Api | None = None) -> dict[int, dict[str, Any]]:
        r = (api or self.api).call("getTagsGroups")
        expect(r, 200, "GET /tags/groups")
        return once(r.body["data"], "GET /tags/groups")

    def create(self, name: str, api: Api | None = None, **fields: Any) -> int:
        r = (api or self.api).call("createTag", body={"data": {"Name": name, **fields}})
        expect(r, 200, f"POST /tags {name!r}")
        return int(r.body["data"]["id"])

    def create_group(self, name: str, api: Api | None = None) -> int:
        r = (api or self.api).call("createTagsGroup", body={"data": {"Name": name}})
        expect(r, 200, f"POST /tags/groups {name!r}")
        return int(r.body["data"]["id"])

    # -- set-up and clean-up ----------------------------------------------------------------
    def setup(self) -> None:
        self.pool = [self.create(self.fresh("p")) for _ in range(POOL)]

    def cleanup(self) -> None:
        for i in range(len(self.t.entities)):
            for tag in self.pool:
                self.api.call("deleteObjectTag", self.path(i, tag), check=False)
        for api in filter(None, [self.api, self.other]):
            for op, list_op, delete in (
                ("groups", "getTagsGroups", "deleteTagsGroup"),
                ("tags", "getTags", "deleteTag"),
            ):
                r = api.call(list_op, check=False)
                if r.status != 200:
                    self.notes.append(f"could not list {op} for clean-up: {r.short()}")
                    continue
                param = "TAGS_GROUP_ID" if op == "groups" else "TAG_ID"
                for item in r.body["data"]:
                    if self.ours(item["name"]):
                        api.call(delete, {param: item["id"]}, check=False)

    # -- properties -------------------------------------------------------------------------
    def properties(self) -> list[Property]:
        n = len(self.t.entities)
        op = st.tuples(st.booleans(), st.integers(0, POOL - 1), s.entity(n))
        return [
            Property(
                "object-tag-set",
                "setting and removing tags on a conversation leaves exactly the tags set "
                "(repeats change nothing)",
                self.p_object_tags,
                st.lists(op, min_size=1, max_size=8),
                ("entity",),
            ),
            Property(
                "sync-isolated",
                "setting a tag on one conversation touches no other",
                self.p_isolated,
                st.tuples(s.two_entities(n), st.integers(0, POOL - 1)) if n >= 2 else None,
                ("two-entities", "oracle"),
            ),
            Property(
                "rejected-changes-nothing",
                "a rejected request changes nothing",
                self.p_rejected,
                st.tuples(
                    s.entity(n),
                    st.sampled_from(["bad type", "unknown group", "empty name", "unknown tag"]),
                    st.sampled_from([0, 6, 99, 104, -1]),
                ),
                ("entity",),
            ),
            Property(
                "roundtrip",
                "create → list → update → delete round-trips, for tags and tag groups",
                self.p_roundtrip,
                st.tuples(
                    s.suffixes(), st.sampled_from(TYPES), st.booleans(), s.suffixes(), s.edges()
                ),
            ),
            Property(
                "delete-cascades",
                "deleting a group deletes its tags, and a deleted tag leaves every conversation",
                self.p_delete_cascades,
                st.tuples(st.sets(s.entity(n), min_size=1), st.integers(1, 3)),
                ("entity",),
            ),
            Property(
                "tenant-isolation",
                "another account's tags and groups are not found",
                self.p_tenant_isolation,
                None,
                ("entity", "other-credential"),
            ),
            self.auth_property(),
            Property(
                "tenant-writes",
                "the other account writing through this account's ids (set and remove on a "
                "conversation, rename, move, delete, a tag into a group) is not found and "
                "changes nothing",
                self.p_tenant_writes,
                None,
                ("entity", "other-credential"),
                on=MORE_ON_TAGFAKE,
            ),
            Property(
                "unsupported-method",
                "a method a path does not support answers the documented 501",
                self.p_unsupported,
                st.sampled_from(
                    [("PUT", "/tags"), ("PATCH", "/tags/groups"), ("GET", "/tags/{p}")]
                ),
            ),
            self.error_property(),
            self.body_property(),
        ]

    def body_cases(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            ("createTag", {}),
            ("updateTag", {"TAG_ID": self.pool[0]}),
            ("createTagsGroup", {}),
        ]

    def error_cases(self) -> list[ErrorCase]:
        return [
            ErrorCase("malformed JSON", "POST", "/tags", 400, "createTag", raw=b'{"data":'),
            ErrorCase(
                "a body that is not JSON",
                "POST",
                "/tags",
                400,
                "createTag",
                raw=b'{"data": {"Name": "x"}}',
                content_type="text/plain",
            ),
            ErrorCase(
                "a body breaking the schema",
                "POST",
                "/tags",
                400,
                "createTag",
                raw=b'{"data": {"Name": 5}}',
            ),
            ErrorCase("an unknown tag", "DELETE", f"/tags/{UNKNOWN}", 404, "deleteTag"),
            ErrorCase("an unknown route", "GET", "/tagfake-no-such-route", 404, shared="NotFound"),
            ErrorCase("a method the path lacks", "PUT", "/tags", 501, shared="NotImplemented"),
        ]

    def p_object_tags(self, ops: list[Op]) -> None:
        model = {i: self.stored(i) for i in range(len(self.t.entities))} if self.t.oracle else {}
        for on, k, i in ops:
            tag = self.pool[k]
            r = self.set_tag(i, tag) if on else self.del_tag(i, tag)
            expect(
                r, 200, f"{'POST' if on else 'DELETE'} .../objects/{{OBJECT_ID}}/tags/{{TAG_ID}}"
            )
            if model:
                (model[i].add if on else model[i].discard)(tag)
        for i, want in model.items():
            got = self.stored(i)
            if got != want:
                raise Deviation(
                    f"object {self.obj(i)} carries {sorted(want)} after those calls",
                    f"it carries {sorted(got)}",
                )

    def p_isolated(self, ex: tuple[tuple[int, int], int]) -> None:
        (a, b), k = ex
        before = self.stored(b)
        expect(self.set_tag(a, self.pool[k]), 200, "setting a tag on a conversation")
        if self.stored(b) != before:
            raise Deviation(
                "setting a tag on one conversation leaves the others alone",
                f"object {self.obj(b)} changed",
            )

    def p_rejected(self, ex: tuple[int, str, int]) -> None:
        i, kind, bad_type = ex
        tags, groups = self.tags(), self.groups()
        before = self.stored(i) if self.t.oracle is not None else None
        name = self.fresh("bad")
        if kind == "bad type":
            r = self.api.call("createTag", body={"data": {"Name": name, "Type": bad_type}})
            expect(r, 400, f"POST /tags with Type {bad_type}")
        elif kind == "unknown group":
            r = self.api.call("createTag", body={"data": {"Name": name, "TagGroupId": UNKNOWN}})
            expect(r, 404, "POST /tags with a TagGroupId that is no group of the account")
        elif kind == "empty name":
            r = self.api.call("createTag", body={"data": {"Name": ""}})
            expect(r, 400, "POST /tags with an empty Name")
        else:
            r = self.set_tag(i, UNKNOWN + self.ctx.next())
            expect(r, 404, "setting an unknown tag on a conversation")
        if self.tags() != tags or self.groups() != groups:
            raise Deviation("a rejected request changes no tag and no group", "they changed")
        if before is not None and self.stored(i) != before:
            raise Deviation("a rejected request leaves the conversation's tags", "they changed")

    def p_roundtrip(self, ex: tuple[str, int, bool, str, tuple[str, str]]) -> None:
        suffix, kind, grouped, new_suffix, (lead, trail) = ex
        group_name = self.fresh("g")
        group = self.create_group(group_name) if grouped else 0
        name = f"{lead}{self.fresh('r')}{suffix}{trail}"  # CommBox keeps a name as sent
        tid = self.create(name, Type=kind, TagGroupId=group)
        tag = self.tags().get(tid)
        want = {"id": tid, "name": name, "type": kind, "groupId": group}
        if tag is None or {k: tag.get(k) for k in want} != want:
            raise Deviation(f"GET /tags lists the created tag {want}", f"{tag}")
        new = f"{self.fresh('r')}{new_suffix}"
        u = self.api.call(
            "updateTag", {"TAG_ID": tid}, body={"data": {"Name": new, "TagGroupId": 0}}
        )
        expect(u, 200, "POST /tags/{TAG_ID} (update)")
        tag = self.tags().get(tid)
        want.update(name=new, groupId=0)
        if tag is None or {k: tag.get(k) for k in want} != want:
            raise Deviation(f"GET /tags shows the updated tag {want}", f"{tag}")
        expect(self.api.call("deleteTag", {"TAG_ID": tid}), 200, "DELETE /tags/{TAG_ID}")
        if tid in self.tags():
            raise Deviation("a deleted tag is no longer listed", "GET /tags still lists it")
        expect(self.api.call("deleteTag", {"TAG_ID": tid}), 404, "DELETE of a deleted tag")
        expect(
            self.api.call("updateTag", {"TAG_ID": tid}, body={"data": {"Name": "x"}}),
            404,
            "an update of a deleted tag",
        )
        if grouped:
            listed = self.groups().get(group)
            if listed is None or listed["name"] != group_name:
                raise Deviation("GET /tags/groups lists the created group", f"{listed}")
            renamed = self.fresh("g")
            u = self.api.call(
                "updateTagsGroup", {"TAGS_GROUP_ID": group}, body={"data": {"Name": renamed}}
            )
            expect(u, 200, "POST /tags/groups/{TAGS_GROUP_ID} (rename)")
            if self.groups().get(group, {}).get("name") != renamed:
                raise Deviation(f"the group is renamed {renamed!r}", f"{self.groups().get(group)}")
            d = self.api.call("deleteTagsGroup", {"TAGS_GROUP_ID": group})
            expect(d, 200, "DELETE /tags/groups/{TAGS_GROUP_ID}")
            if group in self.groups():
                raise Deviation("a deleted group is no longer listed", "it is")

    def p_delete_cascades(self, ex: tuple[set[int], int]) -> None:
        chosen, count = ex
        group = self.create_group(self.fresh("g"))
        members = [self.create(self.fresh("c"), TagGroupId=group) for _ in range(count)]
        loose = self.create(self.fresh("c"))
        for i in sorted(chosen):
            for tag in [*members, loose]:
                expect(self.set_tag(i, tag), 200, "setting a tag on a conversation")
        expect(self.api.call("deleteTag", {"TAG_ID": loose}), 200, "DELETE /tags/{TAG_ID}")
        d = self.api.call("deleteTagsGroup", {"TAGS_GROUP_ID": group})
        expect(d, 200, "DELETE /tags/groups/{TAGS_GROUP_ID}")
        left = set(self.tags()) & set(members)
        if left:
            raise Deviation(
                f"deleting a group deletes its {len(members)} tag(s)", f"{len(left)} still listed"
            )
        if group in self.groups():
            raise Deviation("the deleted group is no longer listed", "it is")
        for i in sorted(chosen):
            r = self.set_tag(i, members[0])
            expect(r, 404, "setting a tag deleted with its group")
            if self.t.oracle is not None:
                stuck = self.stored(i) & {*members, loose}
                if stuck:
                    raise Deviation(
                        "deleted tags leave every conversation",
                        f"object {self.obj(i)} still carries {sorted(stuck)}",
                    )

    def p_tenant_isolation(self, _: None) -> None:
        other = self.other
        assert other is not None
        tag = self.create(self.fresh("x"), api=other)
        group = self.create_group(self.fresh("x"), api=other)
        try:
            checks: list[tuple[Reply, str]] = [
                (
                    self.api.call("updateTag", {"TAG_ID": tag}, body={"data": {"Name": "x"}}),
                    "updating another account's tag",
                ),
                (self.api.call("deleteTag", {"TAG_ID": tag}), "deleting another account's tag"),
                (self.set_tag(0, tag), "setting another account's tag on a conversation"),
                (
                    self.api.call(
                        "updateTagsGroup", {"TAGS_GROUP_ID": group}, body={"data": {"Name": "x"}}
                    ),
                    "renaming another account's group",
                ),
                (
                    self.api.call("deleteTagsGroup", {"TAGS_GROUP_ID": group}),
                    "deleting another account's group",
                ),
                (
                    self.api.call("createTag", body={"data": {"Name": "x", "TagGroupId": group}}),
                    "creating a tag in another account's group",
                ),
                (
                    self.set_tag(0, self.pool[0], api=other),
                    "the other account setting a tag on this account's conversation",
                ),
            ]
            for r, what in checks:
                expect(r, 404, what)
            if tag in self.tags() or group in self.groups():
                raise Deviation("GET /tags and /tags/groups list only the account's own", "theirs")
        finally:
            other.call("deleteTagsGroup", {"TAGS_GROUP_ID": group}, check=False)
            other.call("deleteTag", {"TAG_ID": tag}, check=False)

    def p_tenant_writes(self, _: None) -> None:
        other = self.other
        assert other is not None
        group = self.create_group(self.fresh("tw"))
        tag = self.create(self.fresh("tw"), TagGroupId=group)
        try:
            expect(self.set_tag(0, tag), 200, "setting a tag on a conversation (this account)")
            before_obj = self.stored(0) if self.t.oracle is not None else None
            tags, groups = self.tags(), self.groups()
            stream, obj = self.obj(0)
            writes: list[tuple[str, dict[str, Any], Any]] = [
                ("setObjectTag", self.path(0, self.pool[1]), NO_BODY),
                ("deleteObjectTag", self.path(0, tag), NO_BODY),
                ("updateTag", {"TAG_ID": tag}, {"data": {"Name": self.fresh("stolen")}}),
                ("updateTag", {"TAG_ID": tag}, {"data": {"TagGroupId": 0}}),
                ("deleteTag", {"TAG_ID": tag}, NO_BODY),
                ("updateTagsGroup", {"TAGS_GROUP_ID": group}, {"data": {"Name": "stolen"}}),
                ("deleteTagsGroup", {"TAGS_GROUP_ID": group}, NO_BODY),
                ("createTag", {}, {"data": {"Name": self.fresh("x"), "TagGroupId": group}}),
            ]
            for op, params, body in writes:
                r = other.call(op, params, body=body)
                sent = "" if body is NO_BODY else f" with {json.dumps(body)}"
                expect(r, 404, f"the other account's {op} {params}{sent} (this account's ids)")
            if self.tags() != tags or self.groups() != groups:
                raise Deviation(
                    "the other account's writes leave this account's tags and groups",
                    "GET /tags or /tags/groups changed",
                )
            if before_obj is not None and self.stored(0) != before_obj:
                raise Deviation(
                    f"the other account's writes leave object {stream}/{obj}'s tags",
                    f"{sorted(before_obj)} became {sorted(self.stored(0))}",
                )
        finally:
            self.api.call("deleteObjectTag", self.path(0, tag), check=False)
            self.api.call("deleteTagsGroup", {"TAGS_GROUP_ID": group}, check=False)

    def p_auth_required(self, _: None) -> None:
        before = self.stored(0) if self.t.oracle is not None else None
        tags = self.tags()
        wrong = f"tagfake-{self.ctx.run_id}-not-a-token"
        for label, kw in (
            ("no Authorization header", {"credential": ANONYMOUS}),
            ("an unknown bearer token", {"credential": wrong}),
        ):
            for r in (
                self.api.call("getTags", **kw),
                self.api.call("createTag", body={"data": {"Name": self.fresh("a")}}, **kw),
                self.api.call("setObjectTag", self.path(0, self.pool[0]), **kw),
            ):
                expect(r, 401, f"{r.operation} with {label}")
        if self.tags() != tags or (before is not None and self.stored(0) != before):
            raise Deviation("unauthenticated requests change nothing", "the state changed")

    def p_unsupported(self, ex: tuple[str, str]) -> None:
        method, path = ex
        url = self.api.prefix + path.replace("{p}", str(self.pool[0]))
        ex_: Exchange = self.t.http.send(
            method, url, headers={"Authorization": f"Bearer {self.t.credential}"}
        )
        schema = self.t.contract.shared_responses.get("NotImplemented")
        if ex_.status != 501:
            raise Deviation(f"{method} {path} (not supported) → 501", ex_.answer())
        if schema is not None and schema.violations(ex_.json()):
            raise Deviation("the 501 in CommBox's error envelope", ex_.answer())

    # -- state machine ----------------------------------------------------------------------
    def machine(self) -> type[RuleBasedStateMachine]:
        suite = self
        n = len(self.t.entities)
        oracle = self.t.oracle is not None

        class CommBoxMachine(RuleBasedStateMachine):
            tags = Bundle("tags")
            groups = Bundle("groups")

            def __init__(self) -> None:
                super().__init__()
                self.alive: dict[int, dict[str, Any]] = {}
                self.live_groups: dict[int, str] = {}
                self.dead: set[int] = set()
                self.dead_groups: set[int] = set()
                self.objects = {i: suite.stored(i) if oracle else set() for i in range(n)}

            def drop(self, tag: int) -> None:
                self.alive.pop(tag, None)
                self.dead.add(tag)
                for ids in self.objects.values():
                    ids.discard(tag)

            @initialize(target=tags, i=s.entity(n))
            def tagged(self, i: int) -> int:
                """Start with a grouped tag of the run on a conversation."""
                group_name, name = suite.fresh("mg"), suite.fresh("mt")
                group = suite.create_group(group_name)
                self.live_groups[group] = group_name
                tag = suite.create(name, TagGroupId=group)
                self.alive[tag] = {"name": name, "groupId": group}
                expect(suite.set_tag(i, tag), 200, "setting a tag on a conversation")
                self.objects[i].add(tag)
                return tag

            @rule(target=groups)
            def create_group(self) -> int:
                name = suite.fresh("mg")
                gid = suite.create_group(name)
                self.live_groups[gid] = name
                return gid

            @rule(target=tags, group=st.one_of(st.just(0), groups))
            def create_tag(self, group: int) -> int:
                name = suite.fresh("mt")
                r = suite.api.call("createTag", body={"data": {"Name": name, "TagGroupId": group}})
                if group in self.dead_groups:
                    expect(r, 404, "POST /tags into a deleted group")
                    return UNKNOWN
                expect(r, 200, "POST /tags")
                tid = int(r.body["data"]["id"])
                self.alive[tid] = {"name": name, "groupId": group}
                return tid

            @rule(tag=tags)
            def delete_tag(self, tag: int) -> None:
                r = suite.api.call("deleteTag", {"TAG_ID": tag})
                if tag not in self.alive:
                    expect(r, 404, "DELETE of a tag that does not exist")
                    return
                expect(r, 200, "DELETE /tags/{TAG_ID}")
                self.drop(tag)

            @rule(group=groups)
            def delete_group(self, group: int) -> None:
                r = suite.api.call("deleteTagsGroup", {"TAGS_GROUP_ID": group})
                if group in self.dead_groups:
                    expect(r, 404, "DELETE of a deleted group")
                    return
                expect(r, 200, "DELETE /tags/groups/{TAGS_GROUP_ID}")
                del self.live_groups[group]
                self.dead_groups.add(group)
                for tag in [t for t, v in self.alive.items() if v["groupId"] == group]:
                    self.drop(tag)

            @rule(tag=tags, i=s.entity(n), on=st.booleans())
            def set_or_remove(self, tag: int, i: int, on: bool) -> None:
                r = suite.set_tag(i, tag) if on else suite.del_tag(i, tag)
                if tag not in self.alive:
                    expect(r, 404, "a tag that does not exist, on a conversation")
                    return
                expect(r, 200, "setting/removing a tag on a conversation")
                (self.objects[i].add if on else self.objects[i].discard)(tag)

            @rule(tag=tags, group=st.one_of(st.just(0), groups))
            def move(self, tag: int, group: int) -> None:
                assume(tag in self.alive and group not in self.dead_groups)
                r = suite.api.call(
                    "updateTag", {"TAG_ID": tag}, body={"data": {"TagGroupId": group}}
                )
                expect(r, 200, "POST /tags/{TAG_ID} moving the tag to another group")
                self.alive[tag]["groupId"] = group

            @rule(tag=tags, suffix=s.suffixes(5))
            def rename_tag(self, tag: int, suffix: str) -> None:
                """POST /tags/{TAG_ID} with a new Name alone: the group stays."""
                name = suite.fresh("mn") + suffix
                r = suite.api.call("updateTag", {"TAG_ID": tag}, body={"data": {"Name": name}})
                if tag not in self.alive:
                    expect(r, 404, "renaming a tag that does not exist")
                    return
                expect(r, 200, "POST /tags/{TAG_ID} with a new Name")
                self.alive[tag]["name"] = name

            @rule(group=groups, suffix=s.suffixes(5))
            def rename_group(self, group: int, suffix: str) -> None:
                """POST /tags/groups/{TAGS_GROUP_ID} with a new Name."""
                name = suite.fresh("mn") + suffix
                r = suite.api.call(
                    "updateTagsGroup", {"TAGS_GROUP_ID": group}, body={"data": {"Name": name}}
                )
                if group not in self.live_groups:
                    expect(r, 404, "renaming a deleted group")
                    return
                expect(r, 200, "POST /tags/groups/{TAGS_GROUP_ID} with a new Name")
                self.live_groups[group] = name

            @rule()
            def list_tags(self) -> None:
                listed = suite.tags()
                known = set(self.alive) | self.dead
                got = {
                    t: {"name": v["name"], "groupId": v["groupId"]}
                    for t, v in listed.items()
                    if t in known
                }
                if got != self.alive:
                    raise Deviation(f"GET /tags lists the model's tags {self.alive}", f"{got}")
                groups = {
                    g: v["name"]
                    for g, v in suite.groups().items()
                    if g in self.live_groups or g in self.dead_groups
                }
                if groups != self.live_groups:
                    raise Deviation(f"GET /tags/groups lists {self.live_groups}", f"{groups}")

            @rule(i=s.entity(n))
            def read_object(self, i: int) -> None:
                if not oracle:
                    return
                mine = set(self.alive) | self.dead
                got = suite.stored(i) & mine
                want = self.objects[i] & mine
                if got != want:
                    raise Deviation(
                        f"object {suite.obj(i)} carries {sorted(want)}", f"{sorted(got)}"
                    )

            def teardown(self) -> None:
                for group in self.live_groups:
                    suite.api.call("deleteTagsGroup", {"TAGS_GROUP_ID": group}, check=False)
                for tag in self.alive:
                    suite.api.call("deleteTag", {"TAG_ID": tag}, check=False)

        return CommBoxMachine

    # -- observations -----------------------------------------------------------------------
    def probes(self) -> dict[str, Probe]:
        object_tag = "/paths//streams/{STREAM_ID}/objects/{OBJECT_ID}/tags/{TAG_ID}"
        return {
            f"{object_tag}/post": self.o_set_twice,
            f"{object_tag}/delete": self.o_del_absent,
            "/components/schemas/CreateTagRequest/properties/data": self.o_defaults,
            "/components/schemas/TagName": self.o_same_name,
            "/components/schemas/TagsGroup/properties/brandId": self.o_brand,
            "/components/schemas/UpdateTagRequest/properties/data": self.o_empty_update,
            "/components/schemas/NullDataResponse": self.o_null_data,
            "/components/parameters/StreamId": self.o_stream_not_int,
            "/paths//tags/{TAG_ID}/delete": self.o_delete_detaches,
            "/components/schemas/TagsGroupRequest": self.o_blank_group,
            "/components/schemas/Tag": self.o_item_fields,
        }

    def o_set_twice(self) -> tuple[str, bool | None]:
        tag = self.pool[0]
        first, second = self.set_tag(0, tag), self.set_tag(0, tag)
        flagless = self.create(self.fresh("noobj"), ObjectTag=False)
        r = self.set_tag(0, flagless)
        return (
            f"setting a tag twice answered {first.status}, {second.status}; a tag with "
            f"ObjectTag false answered {r.status}",
            second.status == 200 and r.status == 400,
        )

    def o_del_absent(self) -> tuple[str, bool | None]:
        tag = self.pool[1]
        self.del_tag(0, tag)
        r = self.del_tag(0, tag)
        return f"removing a tag the conversation lacks answered {r.status}", r.status == 200

    def o_defaults(self) -> tuple[str, bool | None]:
        tid = self.create(self.fresh("def"))
        tag = self.tags().get(tid, {})
        flags = {k: tag.get(k) for k in ("type", "isObject", "isUser", "isChild")}
        return f"a tag created with a Name only has {flags}", flags == {
            "type": 1,
            "isObject": True,
            "isUser": False,
            "isChild": False,
        }

    def o_same_name(self) -> tuple[str, bool | None]:
        name = f"{self.fresh('same')}  "
        a = self.api.call("createTag", body={"data": {"Name": name}}, check=False)
        b = self.api.call("createTag", body={"data": {"Name": name}}, check=False)
        stored = [t["name"] for t in self.tags().values() if t["name"].startswith(name.strip())]
        return (
            f"two tags named {name!r} answered {a.status}, {b.status}; stored names {stored}",
            a.status == b.status == 200 and stored == [name, name],
        )

    def o_brand(self) -> tuple[str, bool | None]:
        self.create_group(self.fresh("brand"))
        brands = sorted({str(g["brandId"]) for g in self.groups().values()})
        return f"groups carry brandId {brands}", None

    def o_empty_update(self) -> tuple[str, bool | None]:
        r = self.api.call("updateTag", {"TAG_ID": self.pool[0]}, body={"data": {}}, check=False)
        both = self.api.call(
            "updateTag",
            {"TAG_ID": self.pool[0]},
            body={"data": {"TagGroupId": 0, "Tag Group Id": 0}},
            check=False,
        )
        return f"an empty update answered {r.status}; both group spellings {both.status}", (
            r.status == 400 and both.status == 400
        )

    def o_null_data(self) -> tuple[str, bool | None]:
        r = self.set_tag(0, self.pool[2])
        data = r.body.get("data", "absent") if isinstance(r.body, dict) else "absent"
        return f"setting an object tag answered data {data!r}", data is None

    def o_stream_not_int(self) -> tuple[str, bool | None]:
        url = (
            f"{self.api.prefix}/streams/hNyRN_fLUy7rrOrN9jLpipA%3d%3d/objects/1/tags/{self.pool[0]}"
        )
        ex = self.t.http.send("POST", url, headers={"Authorization": f"Bearer {self.t.credential}"})
        return f"an encrypted stream id answered {ex.status}", ex.status == 404

    def o_delete_detaches(self) -> tuple[str, bool | None]:
        if self.t.oracle is None:
            raise NotObservable("CommBox cannot show a conversation's tags")
        tid = self.create(self.fresh("det"))
        self.set_tag(0, tid)
        self.api.call("deleteTag", {"TAG_ID": tid})
        left = tid in self.stored(0)
        return f"a deleted tag {'stayed on' if left else 'left'} the conversation", not left

    def o_item_fields(self) -> tuple[str, bool | None]:
        item = self.tags().get(self.pool[0], {})
        want = ["groupId", "id", "isChild", "isObject", "isUser", "name", "type"]
        return f"GET /tags items carry {sorted(item)}", sorted(item) == want

    def o_blank_group(self) -> tuple[str, bool | None]:
        r = self.api.call("createTagsGroup", body={"data": {"Name": "  "}}, check=False)
        return f"a group named only by spaces answered {r.status}", r.status == 400

    def plan(self) -> list[str]:
        objs = ", ".join(f"{s_}/{o}" for s_, o in self.t.entities) or "-"
        return [
            f"create {POOL} pool tags named {self.ctx.prefix}p<n> (POST /tags)",
            f"set and remove them on conversation(s) {objs} (stream/object)",
            "create, rename and delete tags and tag groups named with the run prefix",
            "at the end: remove the pool tags from the conversations, delete every tag and "
            f"group named {self.ctx.prefix}*",
        ]
