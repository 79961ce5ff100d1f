"""healvi: `POST /profiles/{profileId}/tags` syncs a profile's tags by id (attach) or title
(create). The API has no read of a profile's tags nor any tag listing: the sync's answer is the
only view, so "nothing else changed" is checked through tagfake's admin API where available."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, multiple, rule

from tagfake.suite import strategies as s
from tagfake.suite.api import ANONYMOUS, Api, Reply, expect
from tagfake.suite.base import (
    MORE_ON_TAGFAKE,
    ErrorCase,
    Probe,
    Property,
    VendorSuite,
    same_times,
)
from tagfake.suite.model import Deviation, sent_json

POOL = 4
UNAUTHENTICATED = "Unauthenticated."
#: An id no tenant is likely to have (healvi ids are small integers).
UNKNOWN_BASE = 900_000_000

#: One item of a generated sync: ("id", pool index) | ("title", n) | ("both", pool index).
Item = tuple[str, int]


class HealviSuite(VendorSuite):
    vendor = "healvi"
    entity = "profile"
    machine_judges = MORE_ON_TAGFAKE
    oracle_aided = frozenset(
        {
            "sync-sets-exact",
            "sync-idempotent",
            "sync-empty-clears",
            "tenant-isolation",
            "auth-required",
        }
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool: list[int] = []
        self.titles: dict[int, str] = {}
        self.original: dict[int, list[int]] = {}

    # -- helpers ----------------------------------------------------------------------------
    def pid(self, i: int) -> int:
        return int(self.t.entities[i])

    def sync(self, pid: int, items: list[Any], api: Api | None = None) -> Reply:
        return (api or self.api).call("syncProfileTags", {"profileId": pid}, body={"tags": items})

    def synced(self, r: Reply, what: str) -> list[dict[str, Any]]:
        expect(r, 200, what)
        data: list[dict[str, Any]] = r.body["data"]
        return data

    def stored(self, pid: int) -> set[int]:
        """The profile's tags as tagfake stores them (the oracle; healvi cannot show them)."""
        assert self.t.oracle is not None
        return {int(k) for k in self.t.oracle.entity_tags("profiles", str(pid))}

    def all_tags(self) -> set[str]:
        assert self.t.oracle is not None
        return self.t.oracle.tag_keys()

    def show(self, ids: Any) -> str:
        if not ids:
            return "no tag"
        return "{" + ", ".join(sorted(self.titles.get(int(i), str(i)) for i in ids)) + "}"

    def items(self, spec: list[Item]) -> tuple[list[dict[str, Any]], set[int], list[str]]:
        """Sync items for `spec`: the ids it attaches and the titles it creates."""
        out: list[dict[str, Any]] = []
        ids: set[int] = set()
        titles: list[str] = []
        for kind, k in spec:
            if kind == "title":
                title = f"{self.fresh('n')} new"
                titles.append(title)
                out.append({"id": None, "title": title} if k % 2 else {"title": title})
            else:
                tag = self.pool[k % len(self.pool)]
                ids.add(tag)
                out.append(
                    {"id": tag, "title": "ignored when id is set"}
                    if kind == "both"
                    else {"id": tag}
                )
        return out, ids, titles

    @staticmethod
    def item_specs(max_titles: int = 2) -> st.SearchStrategy[list[Item]]:
        ids = st.tuples(st.sampled_from(["id", "id", "both"]), st.integers(0, POOL - 1))
        titles = st.tuples(st.just("title"), st.integers(0, 3))
        return s.with_repeats(
            st.lists(st.one_of(ids, titles), max_size=5).filter(
                lambda xs: sum(k == "title" for k, _ in xs) <= max_titles
            )
        )

    def check_answer(
        self, pid: int, data: list[dict[str, Any]], ids: set[int], titles: list[str], what: str
    ) -> set[int]:
        got = {int(t["id"]) for t in data}
        new = got - ids
        if not ids <= got or sorted(t["title"] for t in data if t["id"] in new) != sorted(titles):
            raise Deviation(
                f"{what} answers the tags {self.show(ids)} plus one new tag per title {titles}",
                f"it answered {[(t['id'], t['title']) for t in data]}",
            )
        if len(data) != len(got):
            raise Deviation(f"{what} answers each tag once", f"{[t['id'] for t in data]}")
        answered = [int(t["id"]) for t in data]
        if answered != sorted(answered):
            raise Deviation(f"{what} answers the tags ordered by id", f"ids {answered}")
        if self.t.oracle is not None and self.stored(pid) != got:
            raise Deviation(
                f"after {what}, the profile carries exactly the answered tags {self.show(got)}",
                f"it carries {self.show(self.stored(pid))}",
            )
        for t in data:
            if int(t["id"]) in new:
                self.titles[int(t["id"])] = str(t["title"]).removeprefix(self.ctx.prefix)
        return got

    # -- set-up and clean-up ----------------------------------------------------------------
    def setup(self) -> None:
        for pid in self.t.entities:
            r = self.api.call("getProfile", {"id": pid})
            expect(r, 200, f"GET /profiles/{pid} (a profile named for the run)")
            if self.t.oracle is not None:
                self.original[int(pid)] = sorted(self.stored(int(pid)))
            elif self.t.restore_tags is not None:
                given = self.t.restore_tags.get(str(pid), self.t.restore_tags.get("*"))
                if given is not None:
                    self.original[int(pid)] = [int(x) for x in given]
        if not self.t.entities:
            return
        titles = [self.fresh("p") for _ in range(POOL)]
        data = self.synced(
            self.sync(self.pid(0), [{"title": t} for t in titles]), "creating the pool by title"
        )
        by_title = {str(t["title"]): int(t["id"]) for t in data}
        self.pool = [by_title[t] for t in titles]
        for t in titles:
            self.titles[by_title[t]] = t.removeprefix(self.ctx.prefix)
        if self.t.oracle is None:
            self.notes.append(
                "healvi has no read of a profile's tags: "
                + (
                    "the profiles named in --restore-tag-ids get those tags back at the end"
                    if self.t.restore_tags
                    else "their original tags cannot be restored (pass --restore-tag-ids)"
                )
            )

    def cleanup(self) -> None:
        for pid, ids in self.original.items():
            r = self.sync(pid, [{"id": i} for i in ids])
            if r.status != 200:
                self.notes.append(f"could not restore profile {pid}: {r.short()}")
        if self.titles:
            self.notes.append(
                f"healvi cannot delete tags: {len(self.titles)} tag(s) titled "
                f"{self.ctx.prefix}* remain (detached from the profiles)"
            )

    # -- properties -------------------------------------------------------------------------
    def properties(self) -> list[Property]:
        n = len(self.t.entities)
        return [
            Property(
                "sync-sets-exact",
                "a profile's set after a sync equals the requested set: the ids listed plus one "
                "new tag per title (order and duplicates do not matter)",
                self.p_sync_sets_exact,
                st.tuples(s.entity(n), self.item_specs()),
                ("entity",),
            ),
            Property(
                "sync-idempotent",
                "repeating a sync by ids changes nothing",
                self.p_sync_idempotent,
                st.tuples(s.entity(n), s.picks(POOL)),
                ("entity",),
            ),
            Property(
                "sync-empty-clears",
                "`tags: []` detaches every tag",
                self.p_sync_empty_clears,
                st.tuples(s.entity(n), s.picks(POOL)),
                ("entity",),
            ),
            Property(
                "sync-isolated",
                "a sync touches only its own profile",
                self.p_sync_isolated,
                st.tuples(s.two_entities(n), self.item_specs(1)) if n >= 2 else None,
                ("two-entities", "oracle"),
            ),
            Property(
                "rejected-changes-nothing",
                "a rejected sync changes nothing (no tag attached, detached or created)",
                self.p_rejected,
                st.tuples(
                    s.entity(n),
                    self.item_specs(),
                    st.sampled_from(["unknown id", "no id nor title", "blank title"]),
                    st.integers(0, 6),
                ),
                ("entity", "oracle"),
            ),
            Property(
                "roundtrip",
                "a tag created from a title (any letters, digits, punctuation; surrounding "
                "whitespace trimmed) comes back unchanged when synced by its id",
                self.p_roundtrip,
                st.tuples(s.entity(n), s.suffixes(), s.edges()),
                ("entity",),
            ),
            Property(
                "timestamps",
                "a new tag's created_at and updated_at are the vendor's clock; attaching it "
                "again changes neither",
                self.p_timestamps,
                s.entity(n),
                ("entity",),
                examples=2,
            ),
            Property(
                "tenant-writes",
                "the other tenant syncing this tenant's profile (empty, by this tenant's tag "
                "ids, by titles) is not found and changes nothing",
                self.p_tenant_writes,
                st.lists(st.integers(0, POOL - 1), max_size=3),
                ("entity", "other-credential"),
                examples=3,
                on=MORE_ON_TAGFAKE,
            ),
            Property(
                "tenant-isolation",
                "another tenant's profiles are not found and its tags cannot be attached",
                self.p_tenant_isolation,
                None,
                ("entity", "other-credential"),
            ),
            self.auth_property(),
            self.error_property(),
            self.body_property(),
        ]

    def body_cases(self) -> list[tuple[str, dict[str, Any]]]:
        return [("syncProfileTags", {"profileId": self.pid(0)})]

    def error_cases(self) -> list[ErrorCase]:
        sync = f"/profiles/{self.pid(0)}/tags"
        return [
            ErrorCase("malformed JSON", "POST", sync, 400, "syncProfileTags", raw=b'{"tags":'),
            ErrorCase(
                "a body that is not JSON",
                "POST",
                sync,
                415,
                "syncProfileTags",
                raw=b'{"tags": []}',
                content_type="text/plain",
            ),
            ErrorCase(
                "a body breaking the schema",
                "POST",
                sync,
                422,
                "syncProfileTags",
                raw=b'{"tags": "x"}',
            ),
            ErrorCase("an unknown profile", "GET", f"/profiles/{UNKNOWN_BASE}", 404, "getProfile"),
            ErrorCase("an unknown route", "GET", "/tagfake-no-such-route", 404, shared="NotFound"),
            ErrorCase("a method the path lacks", "GET", sync, 405, shared="MethodNotAllowed"),
        ]

    def p_sync_sets_exact(self, ex: tuple[int, list[Item]]) -> None:
        pid = self.pid(ex[0])
        items, ids, titles = self.items(ex[1])
        data = self.synced(self.sync(pid, items), "POST /profiles/{profileId}/tags")
        got = self.check_answer(pid, data, ids, titles, f"syncing {sent_json(items)}")
        if len(got) != len(ids) + len(titles):
            raise Deviation(
                f"syncing {sent_json(items)} leaves exactly {len(ids) + len(titles)} tag(s)",
                f"{len(got)}: {self.show(got)}",
            )

    def p_sync_idempotent(self, ex: tuple[int, list[int]]) -> None:
        pid = self.pid(ex[0])
        items = [{"id": self.pool[j]} for j in ex[1]]
        first = self.synced(self.sync(pid, items), "the first sync")
        tags = self.all_tags() if self.t.oracle is not None else set()
        again = self.synced(self.sync(pid, items), "the same sync again")
        if again != first:
            raise Deviation(
                "repeating a sync answers the same tags",
                f"{[t['id'] for t in first]} then {[t['id'] for t in again]}",
            )
        if self.t.oracle is not None and (
            self.all_tags() != tags or self.stored(pid) != {int(t["id"]) for t in first}
        ):
            raise Deviation("repeating a sync changes nothing stored", "the state changed")

    def p_sync_empty_clears(self, ex: tuple[int, list[int]]) -> None:
        pid = self.pid(ex[0])
        self.synced(self.sync(pid, [{"id": self.pool[j]} for j in ex[1]]), "a sync")
        data = self.synced(self.sync(pid, []), "a sync with tags []")
        left = self.stored(pid) if self.t.oracle is not None else set()
        if data or left:
            raise Deviation(
                "`tags: []` detaches every tag",
                f"the answer lists {len(data)} tag(s), the profile keeps {self.show(left)}",
            )

    def p_sync_isolated(self, ex: tuple[tuple[int, int], list[Item]]) -> None:
        (a, b), spec = ex
        before = self.stored(self.pid(b))
        items, _, _ = self.items(spec)
        self.synced(self.sync(self.pid(a), items), "a sync")
        after = self.stored(self.pid(b))
        if after != before:
            raise Deviation(
                "a sync of one profile leaves every other profile's tags alone",
                f"profile {self.pid(b)} went from {self.show(before)} to {self.show(after)}",
            )

    def p_rejected(self, ex: tuple[int, list[Item], str, int]) -> None:
        i, spec, kind, at = ex
        pid = self.pid(i)
        items, _, _ = self.items(spec)
        bad: Any = {
            "unknown id": {"id": UNKNOWN_BASE + self.ctx.next()},
            "no id nor title": {"id": None},
            "blank title": {"title": "   "},
        }[kind]
        items.insert(min(at, len(items)), bad)
        # A new title beside the bad item: a request half applied would create its tag.
        items.insert(at % (len(items) + 1), {"title": f"{self.fresh('rej')} new"})
        before, tags = self.stored(pid), self.all_tags()
        r = self.sync(pid, items)
        if r.status < 400:
            raise Deviation(f"a sync with {kind} ({bad}) is rejected", r.short())
        if self.stored(pid) != before:
            raise Deviation(
                "a rejected sync leaves the profile's tags as they were",
                f"{self.show(before)} became {self.show(self.stored(pid))}",
            )
        created = self.all_tags() - tags
        if created:
            raise Deviation("a rejected sync creates no tag", f"{len(created)} tag(s) created")

    def p_roundtrip(self, ex: tuple[int, str, tuple[str, str]]) -> None:
        pid = self.pid(ex[0])
        lead, trail = ex[2]
        title = f"{self.fresh('r')} {ex[1]}".strip()
        sent = {"title": lead + title + trail}
        data = self.synced(
            self.sync(pid, [sent]), f"a sync creating a tag with {json.dumps({'tags': [sent]})}"
        )
        created = [t for t in data if t["title"] == title]
        if len(data) != 1 or len(created) != 1:
            raise Deviation(f"the answer is the one new tag {title!r}", f"{data}")
        tag = created[0]
        again = self.synced(self.sync(pid, [{"id": tag["id"]}]), "the sync by its id")
        if again != [tag]:
            raise Deviation(f"syncing by id {tag['id']} answers the same tag {tag}", f"{again}")
        g = self.api.call("getProfile", {"id": pid})
        expect(g, 200, "GET /profiles/{id}")
        if g.body["data"]["id"] != pid:
            raise Deviation(f"GET /profiles/{pid} shows profile {pid}", f"{g.body['data']['id']}")

    def p_tenant_isolation(self, _: None) -> None:
        other = self.other
        assert other is not None
        pid = self.pid(0)
        expect(other.call("getProfile", {"id": pid}), 404, "GET of another tenant's profile")
        before = self.stored(pid) if self.t.oracle is not None else None
        r = self.sync(pid, [], api=other)
        expect(r, 404, "a sync of another tenant's profile")
        if before is not None and self.stored(pid) != before:
            raise Deviation("another tenant cannot change this profile", "it changed")
        for foreign in self.t.other_tags[:2]:
            r = self.sync(pid, [{"id": foreign}])
            if r.status < 400:
                raise Deviation(f"another tenant's tag {foreign} cannot be attached", r.short())

    def p_timestamps(self, i: int) -> None:
        pid = self.pid(i)
        first = self.synced(self.sync(pid, [{"title": self.fresh("ts")}]), "a sync by title")[0]
        if first["created_at"] != first["updated_at"]:
            raise Deviation(
                "a new tag's updated_at is its created_at",
                f"{first['created_at']} / {first['updated_at']}",
            )
        self.tick()
        data = self.synced(
            self.sync(pid, [{"id": first["id"]}, {"title": self.fresh("ts")}]),
            "a sync attaching the tag by id beside a new title",
        )
        again = next((t for t in data if t["id"] == first["id"]), None)
        later = next((t for t in data if t["id"] != first["id"]), None)
        if again is None or later is None:
            raise Deviation("the sync answers both tags", f"{data}")
        same_times(again, first, "attaching the tag again")
        self.moved(first["created_at"], later["created_at"], "a tag created a tick later")

    def p_tenant_writes(self, picks: list[int]) -> None:
        other = self.other
        assert other is not None
        pid = self.pid(0)
        before = self.stored(pid) if self.t.oracle is not None else None
        tags = self.all_tags() if self.t.oracle is not None else None
        ids = [{"id": self.pool[k]} for k in picks]
        for items in (
            [],
            ids,
            [{"title": self.fresh("stolen")}],
            [*ids, {"id": None, "title": self.fresh("stolen")}],
        ):
            r = self.sync(pid, items, api=other)
            expect(
                r,
                404,
                f"the other tenant's sync of profile {pid} with {json.dumps({'tags': items})}",
            )
        if before is not None and self.stored(pid) != before:
            raise Deviation(
                "the other tenant's syncs leave this profile's tags",
                f"{self.show(before)} became {self.show(self.stored(pid))}",
            )
        if tags is not None and self.all_tags() != tags:
            raise Deviation("a sync refused as not found creates no tag", "tags were created")

    def p_auth_required(self, _: None) -> None:
        pid = self.pid(0)
        before = self.stored(pid) if self.t.oracle is not None else None
        wrong = f"tagfake-{self.ctx.run_id}-not-a-token"
        for label, kw in (
            ("no Authorization header", {"credential": ANONYMOUS}),
            ("an unknown bearer token", {"credential": wrong}),
        ):
            for r in (
                self.api.call("getProfile", {"id": pid}, **kw),
                self.api.call("syncProfileTags", {"profileId": pid}, body={"tags": []}, **kw),
            ):
                expect(r, 401, f"{r.operation} with {label}")
                if r.body.get("message") != UNAUTHENTICATED:
                    raise Deviation(f"the 401 says {UNAUTHENTICATED!r}", r.short())
        if before is not None and self.stored(pid) != before:
            raise Deviation("an unauthenticated sync changes nothing", "the profile changed")

    # -- state machine ----------------------------------------------------------------------
    def machine(self) -> type[RuleBasedStateMachine]:
        suite = self
        n = len(self.t.entities)
        oracle = self.t.oracle is not None

        class HealviMachine(RuleBasedStateMachine):
            tags = Bundle("tags")

            def __init__(self) -> None:
                super().__init__()
                self.known = {t: suite.ctx.prefix + suite.titles[t] for t in suite.pool}
                self.sets: dict[int, set[int] | None] = {
                    suite.pid(i): (suite.stored(suite.pid(i)) if oracle else None) for i in range(n)
                }

            @initialize(target=tags, i=s.entity(n))
            def tagged(self, i: int) -> Any:
                """Start with a profile carrying a tag made from a title."""
                return self.sync(i, [], 1, False)

            @rule(
                target=tags,
                i=s.entity(n),
                chosen=st.lists(st.one_of(tags, st.sampled_from(suite.pool)), max_size=4),
                titles=st.integers(0, 2),
                unknown=st.booleans(),
            )
            def sync(self, i: int, chosen: list[int], titles: int, unknown: bool) -> Any:
                pid = suite.pid(i)
                names = [f"{suite.fresh('s')} m" for _ in range(titles)]
                items: list[dict[str, Any]] = [{"id": t} for t in chosen]
                items += [{"title": x} for x in names]
                if unknown:
                    items.append({"id": UNKNOWN_BASE + suite.ctx.next()})
                    tags_before = suite.all_tags() if oracle else set()
                    r = suite.sync(pid, items)
                    if r.status < 400:
                        raise Deviation("a sync naming an unknown id is rejected", r.short())
                    if oracle and (
                        suite.stored(pid) != self.sets[pid] or suite.all_tags() != tags_before
                    ):
                        raise Deviation("a rejected sync changes nothing", "the state changed")
                    return multiple()
                data = suite.synced(suite.sync(pid, items), "a sync")
                got = {int(t["id"]): str(t["title"]) for t in data}
                if len(got) != len(data):
                    raise Deviation("the sync answers each tag once", f"{[t['id'] for t in data]}")
                new = {k: v for k, v in got.items() if k not in self.known}
                want_old = set(chosen)
                if set(got) - set(new) != want_old or sorted(new.values()) != sorted(names):
                    raise Deviation(
                        f"the sync answers {sorted(want_old)} plus new tags {names}",
                        f"{sorted(got.items())}",
                    )
                for k in want_old:
                    if got[k] != self.known[k]:
                        raise Deviation(f"tag {k} keeps its title {self.known[k]!r}", got[k])
                self.known.update(new)
                self.sets[pid] = set(got)
                return multiple(*new)

            @rule(i=s.entity(n))
            def read(self, i: int) -> None:
                pid = suite.pid(i)
                want = self.sets[pid]
                if not oracle or want is None:
                    return
                got = suite.stored(pid)
                if got != want:
                    raise Deviation(f"profile {pid} carries {sorted(want)}", f"{sorted(got)}")

            @rule(i=s.entity(n))
            def get_profile(self, i: int) -> None:
                r = suite.api.call("getProfile", {"id": suite.pid(i)})
                expect(r, 200, "GET /profiles/{id}")

        return HealviMachine

    # -- observations -----------------------------------------------------------------------
    def probes(self) -> dict[str, Probe]:
        return {
            "/components/schemas/SyncTagItem": self.o_title_twice,
            "/components/schemas/SyncTagsRequest": self.o_tags_missing,
            "/components/parameters/ProfileIdInPath": self.o_profile_not_int,
            "/components/parameters/ProfileIdInPathForSync": self.o_sync_not_int,
            "/paths//profiles/{id}/get": self.o_unknown_profile,
            "/paths//profiles/{profileId}/tags/post": self.o_unknown_tag,
            "/components/responses/ValidationError": self.o_validation_body,
            "/components/schemas/Error": self.o_error_shape,
            "/components/schemas/Tag": self.o_timestamps,
            "/components/schemas/Profile/properties/date_of_birth": self.o_date_of_birth,
            "/components/schemas/CustomField": self.o_custom_fields,
        }

    def o_title_twice(self) -> tuple[str, bool | None]:
        pid = self.pid(0)
        title = self.fresh("twice")
        first = self.sync(pid, [{"title": title}])
        second = self.sync(pid, [{"title": title}])
        if first.status != 200 or second.status != 200:
            return f"syncs by title answered {first.status} and {second.status}", None
        a, b = first.body["data"][0]["id"], second.body["data"][0]["id"]
        self.titles[int(a)] = self.titles[int(b)] = title
        if a != b:
            return f"healvi: a second sync by title created another tag ({a}, then {b})", True
        return f"healvi: a second sync by title reused tag {a}", False

    def o_tags_missing(self) -> tuple[str, bool | None]:
        r = self.api.call("syncProfileTags", {"profileId": self.pid(0)}, body={}, check=False)
        return f"a sync without `tags` answered {r.status}", r.status == 422

    def o_profile_not_int(self) -> tuple[str, bool | None]:
        r = self.api.call("getProfile", {"id": "abc"}, check=False)
        return f"GET /profiles/abc answered {r.short(80)}", r.status == 404

    def o_sync_not_int(self) -> tuple[str, bool | None]:
        r = self.api.call("syncProfileTags", {"profileId": "abc"}, body={"tags": []}, check=False)
        return f"POST /profiles/abc/tags answered {r.status}", r.status == 404

    def o_unknown_profile(self) -> tuple[str, bool | None]:
        r = self.api.call("getProfile", {"id": UNKNOWN_BASE}, check=False)
        return f"an unknown profile answered {r.short(80)}", (
            r.status == 404 and r.body == {"message": "Not found."}
        )

    def o_unknown_tag(self) -> tuple[str, bool | None]:
        pid = self.pid(0)
        good = self.synced(self.sync(pid, [{"id": t} for t in reversed(self.pool)]), "a sync")
        ordered = [t["id"] for t in good] == sorted(t["id"] for t in good)
        r = self.sync(pid, [{"id": self.pool[0]}, {"id": UNKNOWN_BASE + 1}])
        after = self.synced(self.sync(pid, [{"id": t} for t in self.pool]), "a sync")
        return (
            f"an unknown tag id answered {r.status}; answers ordered by id: {ordered}",
            r.status == 422 and ordered and len(after) == len(self.pool),
        )

    def o_validation_body(self) -> tuple[str, bool | None]:
        r = self.sync(self.pid(0), [{"id": UNKNOWN_BASE + 2}])
        errors = (r.body or {}).get("errors", {}) if isinstance(r.body, dict) else {}
        return f"an unknown id answered {r.status} with errors {sorted(errors)}", (
            r.status == 422 and "tags.0.id" in errors
        )

    def o_error_shape(self) -> tuple[str, bool | None]:
        r = self.api.call("getProfile", {"id": self.pid(0)}, credential=ANONYMOUS, check=False)
        return f"a request without a token answered {r.short(80)}", r.body == {
            "message": UNAUTHENTICATED
        }

    def o_timestamps(self) -> tuple[str, bool | None]:
        data = self.synced(self.sync(self.pid(0), [{"id": self.pool[0]}]), "a sync")
        tag = data[0] if data else {}
        stamp = str(tag.get("created_at"))
        return f"a tag's created_at is {stamp!r}", stamp.endswith("Z") and "T" in stamp

    def o_date_of_birth(self) -> tuple[str, bool | None]:
        values = []
        for pid in self.t.entities:
            r = self.api.call("getProfile", {"id": pid}, check=False)
            if r.status == 200:
                values.append(r.body["data"].get("date_of_birth"))
        dated = [v for v in values if v]
        if not dated:
            return f"no profile has a date of birth ({values})", None
        return f"date_of_birth values {dated}", all("T00:00:00" in str(v) for v in dated)

    def o_custom_fields(self) -> tuple[str, bool | None]:
        r = self.api.call("getProfile", {"id": self.pid(0)}, check=False)
        if r.status != 200:
            return f"GET /profiles answered {r.status}", None
        fields = {k: r.body["data"].get(k) for k in (f"custom_{i}" for i in range(1, 6))}
        return f"custom fields {fields}", None in fields.values() or None

    def plan(self) -> list[str]:
        return [
            f"read profile(s) {', '.join(map(str, self.t.entities)) or '-'} (GET /profiles/{{id}})",
            f"create {POOL} pool tags by title {self.ctx.prefix}p<n> on the first profile",
            "sync the profiles with pool tags and new titled tags (POST /profiles/{id}/tags)",
            "healvi cannot delete tags: the tags created by title stay (titles carry the prefix)",
            "healvi has no read of a profile's tags: the original tags are restored only when "
            "known (tagfake, or --restore-tag-ids)",
        ]
