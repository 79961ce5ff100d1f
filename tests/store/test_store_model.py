"""Random runs of store changes against a plain model that scans everything: after any run
the indexes, tag sets, carriers and counts answer what a scan would, and a run that raises
leaves the tenant exactly as it was (order included)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tagfake.state.store import Clash, Missing, Store, StoreError, TenantWriter
from tests.store.conftest import VENDOR, fold

T = "acme"
TAGS = ["a", "b", "c", "d"]
NAMES = ["Red", "red", "Blue", "Green"]
KINDS = ["conv", "leads"]
ENTITIES = ["1", "2", "3"]
EMAILS = ["x@example.com", "X@example.com", "y@example.com", None]

Op = tuple[Any, ...]
#: Every run starts from a tenant with tags on entities, so that most changes change something.
PRELUDE: list[Op] = [
    ("put_tag", "a", "Red", 1),
    ("put_tag", "b", "Blue", 1),
    ("put_tag", "c", "Green", 2),
    ("put_entity", "conv", "1", None, ["a", "b"]),
    ("put_entity", "conv", "2", None, ["b"]),
    ("put_entity", "leads", "1", "x@example.com", ["c", "a"]),
    ("put_entity", "leads", "2", "X@example.com", []),
]
ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("put_tag"),
            st.sampled_from(TAGS),
            st.sampled_from(NAMES),
            st.sampled_from([None, 1, 2]),
        ),
        st.tuples(st.just("delete_tag"), st.sampled_from(TAGS)),
        st.tuples(
            st.just("put_entity"),
            st.sampled_from(KINDS),
            st.sampled_from(ENTITIES),
            st.sampled_from(EMAILS),
            st.none() | st.lists(st.sampled_from(TAGS), max_size=4),
        ),
        st.tuples(st.just("delete_entity"), st.sampled_from(KINDS), st.sampled_from(ENTITIES)),
        st.tuples(
            st.just("replace_tags"),
            st.sampled_from(KINDS),
            st.sampled_from(ENTITIES),
            st.lists(st.sampled_from(TAGS), max_size=4),
        ),
        st.tuples(
            st.sampled_from(["attach", "detach"]),
            st.sampled_from(KINDS),
            st.sampled_from(ENTITIES),
            st.sampled_from(TAGS),
        ),
    ),
    max_size=25,
)


@dataclass
class Model:
    """The same tenant as plain dicts, every question answered by a scan."""

    tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    entities: dict[str, dict[str, tuple[dict[str, Any], list[str]]]] = field(default_factory=dict)
    #: When each item took its current key of a non-unique index (group, email).
    took: dict[tuple[str, str], int] = field(default_factory=dict)
    clock: int = 0

    def _took(self, where: str, key: str, before: Any, after: Any) -> None:
        if before != after:
            self.clock += 1
            self.took[(where, key)] = self.clock

    def apply(self, op: Op) -> None:
        """Apply `op` as the store must, or raise the StoreError it must raise."""
        name = op[0]
        if name == "put_tag":
            _, key, tag_name, group = op
            for other, rec in self.tags.items():
                if other != key and fold(rec.get("name")) == fold(tag_name):
                    raise Clash("name", str(fold(tag_name)), other)
            old = self.tags.get(key)
            self._took("tags", key, old.get("group") if old else None, group)
            self.tags[key] = _tag(tag_name, group)
        elif name == "delete_tag":
            if self.tags.pop(op[1], None) is not None:
                for items in self.entities.values():
                    for _, tags in items.values():
                        if op[1] in tags:
                            tags.remove(op[1])
        elif name == "put_entity":
            _, kind, key, email, tags = op
            if tags is not None:
                self._known(tags)
            items = self.entities.setdefault(kind, {})
            had = items.get(key)
            self._took(kind, key, fold(had[0].get("email")) if had else None, fold(email))
            items[key] = (_attrs(key, email), list(had[1]) if had else [])
            if tags is not None:
                items[key] = (items[key][0], list(dict.fromkeys(tags)))
        elif name == "delete_entity":
            self.entities.get(op[1], {}).pop(op[2], None)
        else:
            _, kind, key, *rest = op
            found = self.entities.get(kind, {}).get(key)
            if found is None:
                raise Missing(key)
            tags = found[1]
            if name == "replace_tags":
                self._known(rest[0])
                tags[:] = list(dict.fromkeys(rest[0]))
            elif name == "attach":
                self._known(rest)
                if rest[0] not in tags:
                    tags.append(rest[0])
            elif rest[0] in tags:
                tags.remove(rest[0])

    def _known(self, tags: list[str]) -> None:
        if any(t not in self.tags for t in tags):
            raise Missing("tag")


def _tag(name: str, group: int | None) -> dict[str, Any]:
    return {"name": name, **({"group": group} if group else {})}


def _attrs(key: str, email: str | None) -> dict[str, Any]:
    return {"id": key, **({"email": email} if email else {})}


def apply(w: TenantWriter, op: Op) -> None:
    name = op[0]
    if name == "put_tag":
        w.put_tag(op[1], _tag(op[2], op[3]))
    elif name == "delete_tag":
        w.delete_tag(op[1])
    elif name == "put_entity":
        w.put_entity(op[1], op[2], _attrs(op[2], op[3]), op[4])
    elif name == "delete_entity":
        w.delete_entity(op[1], op[2])
    elif name == "replace_tags":
        w.replace_tags(op[1], op[2], op[3])
    elif name == "attach":
        w.attach(op[1], op[2], op[3])
    else:
        w.detach(op[1], op[2], op[3])


def observe(store: Store) -> dict[str, Any]:
    """Everything the store answers about the tenant, indexes included."""
    with store.read(VENDOR, T) as r:
        return {
            "export": json.dumps(r.export().to_dict()),
            "names": {n: r.tag_by("name", str(fold(n))) for n in NAMES},
            "groups": {g: r.tags_by("group", g) for g in ("1", "2")},
            "emails": {
                e: r.entity_by("leads", "email", e) for e in ("x@example.com", "y@example.com")
            },
            "counts": {
                (k, t): (r.count_carrying(k, t), sorted(r.carrying(k, t)))
                for k in KINDS
                for t in TAGS
            },
            "listed": r.tags_counted("conv", "n"),
        }


def expected(model: Model) -> dict[str, Any]:
    leads = model.entities.get("leads", {})
    return {
        "names": {
            n: next((k for k, t in model.tags.items() if fold(t["name"]) == fold(n)), None)
            for n in NAMES
        },
        "groups": {
            g: sorted(
                (k for k, t in model.tags.items() if str(t.get("group")) == g),
                key=lambda k: model.took[("tags", k)],
            )
            for g in ("1", "2")
        },
        "emails": {
            e: min(
                (k for k, (a, _) in leads.items() if fold(a.get("email")) == e),
                key=lambda k: model.took[("leads", k)],
                default=None,
            )
            for e in ("x@example.com", "y@example.com")
        },
        "counts": {
            (k, t): (
                sum(t in tags for _, tags in model.entities.get(k, {}).values()),
                sorted(key for key, (_, tags) in model.entities.get(k, {}).items() if t in tags),
            )
            for k in KINDS
            for t in TAGS
        },
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=ops, during=ops)
@example(before=[("detach", "conv", "1", "a")], during=[])
@example(before=[], during=[("delete_tag", "b"), ("put_tag", "d", "Blue", 2)])
def test_the_store_answers_what_a_scan_would_and_a_failed_run_changes_nothing(
    engine: Store, before: list[Op], during: list[Op]
) -> None:
    engine.drop(VENDOR, T)
    model = Model()
    for op in [*PRELUDE, *before]:  # one transaction per change, as requests make them
        try:
            model.apply(op)
        except StoreError as exc:
            error: type[StoreError] | None = type(exc)
        else:
            error = None
        try:
            with engine.transaction(VENDOR, T) as w:
                apply(w, op)
        except StoreError as exc:
            assert type(exc) is error, op
        else:
            assert error is None, op
    seen = observe(engine)
    assert {k: seen[k] for k in ("names", "groups", "emails", "counts")} == expected(model)
    assert [t["n"] for t in seen["listed"]] == [
        seen["counts"][("conv", k)][0] for k in json.loads(seen["export"]).get("tags", {})
    ]

    class Boom(Exception):
        pass

    try:
        with engine.transaction(VENDOR, T) as w:
            for op in during:
                # a refused change inside a transaction leaves the rest standing
                with contextlib.suppress(StoreError):
                    apply(w, op)
            raise Boom
    except Boom:
        pass
    assert observe(engine) == seen
