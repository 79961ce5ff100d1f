"""The harness state every engine keeps: journal (bounded in entries and bytes), fault rules and
their counts, the clock, rate windows. On SQLite two handles on one file stand for two workers,
on Redis two clients of one server for two replicas: what one does, the other sees."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tagfake.admin.faults import FaultBook, Target
from tagfake.admin.journal import Exchange, Journal, JournalQuery
from tagfake.admin.ratelimit import RateLimiter
from tagfake.clock import Clock
from tagfake.state.harness import Harness, JournalRecord, memory_harness
from tagfake.state.redis.conn import Keys, Locks, RedisOptions, connect
from tagfake.state.redis.harness import redis_harness
from tagfake.state.sqlite.db import Database, open_database
from tagfake.state.sqlite.harness import sqlite_harness
from tests.store.conftest import shared_redis

#: Two harness handles on one engine: the same object for memory, two connections for SQLite.
Pair = tuple[Harness, Harness]


def _memory(folder: Path) -> tuple[Pair, Callable[[], None]]:
    h = memory_harness()
    return (h, h), lambda: None


def _sqlite(folder: Path) -> tuple[Pair, Callable[[], None]]:
    first, _ = open_database(folder / "store.db")
    second = Database(folder / "store.db")

    # Two workers: each keeps its share of the journal's bounds in a shard of its own.
    handles = (sqlite_harness(first, workers=2), sqlite_harness(second, workers=2))

    def close() -> None:
        for h in handles:
            h.journal.close()  # type: ignore[attr-defined]
        first.close()
        second.close()

    return handles, close


def _redis(folder: Path) -> tuple[Pair, Callable[[], None]]:
    server = shared_redis(folder)
    options = RedisOptions(server.url, prefix=f"test-{uuid.uuid4().hex[:12]}:")
    clients = [(connect(options), connect(options, binary=True)) for _ in range(2)]
    keys = Keys(options.prefix)
    handles = [redis_harness(c, b, keys, Locks(c, options), False) for c, b in clients]

    def close() -> None:
        for c, b in clients:
            c.close()
            b.close()

    return (handles[0], handles[1]), close


@pytest.fixture(params=["memory", "sqlite", "redis"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    handles, close = {"memory": _memory, "sqlite": _sqlite, "redis": _redis}[request.param](
        tmp_path
    )
    try:
        yield handles
    finally:
        close()


def entry(vendor: str = "zapini", status: int = 200, path: str = "/tags") -> dict[str, object]:
    return {
        "vendor": vendor,
        "tenant": "acme",
        "operation_id": "listTags",
        "method": "GET",
        "path": path,
        "status": status,
        "request": {"headers": {}},
        "response": {"headers": {}},
    }


# -- journal --------------------------------------------------------------------------------


def test_journal_entries_written_by_one_worker_are_read_by_the_other(pair: Pair) -> None:
    a, b = (Journal(100, h.journal) for h in pair)
    a.record(entry(), b'{"name":"x"}', b'{"ok":true}')
    b.record(entry(status=404, path="/tags/nope"), None, b'{"message":"no"}')
    page = a.query(JournalQuery())
    assert [e["status"] for e in page["entries"]] == [200, 404]
    first = page["entries"][0]
    assert first["request"]["body"] == {"name": "x"}
    assert first["response"]["body"] == {"ok": True}
    assert [e["id"] for e in b.query(JournalQuery(status=404))["entries"]] == [
        page["entries"][1]["id"]
    ]
    assert b.query(JournalQuery(path="nope", method="get"))["total"] == 2
    assert b.clear() == 2
    assert a.query(JournalQuery())["entries"] == []


def test_journal_is_bounded_by_bytes_as_well_as_entries(pair: Pair) -> None:
    journal = Journal(1000, pair[0].journal, max_bytes=64 * 1024, body_limit=16 * 1024)
    body = b'"' + b"x" * 10_000 + b'"'
    for _ in range(100):
        journal.record(entry(), None, body)
    page = journal.query(JournalQuery())
    assert page["bytes"] <= 64 * 1024
    assert 0 < page["total"] < 10  # the bytes bound, not the count of 1000, kept it small
    assert page["dropped"] == 100 - page["total"]
    assert len(page["entries"]) == page["total"]
    assert page["entries"][-1]["response"]["body"] == "x" * 10_000


def test_journal_bodies_over_the_limit_are_cut_and_say_their_size(pair: Pair) -> None:
    journal = Journal(10, pair[0].journal, body_limit=1000)
    big = b'{"tags":[' + b",".join(b'{"id":%d}' % i for i in range(1000)) + b"]}"
    journal.record(entry(), b"{}", big)
    [kept] = journal.query(JournalQuery())["entries"]
    response = kept["response"]
    assert response["body_truncated"] is True
    assert response["body_bytes"] == len(big)
    assert response["body"] == big[:1000].decode()
    assert kept["request"] == {"headers": {}, "body": {}}
    # A streamed answer whose start alone was kept still says its whole size.
    journal.record(entry(), None, big[:1001], response_size=50_000)
    assert journal.query(JournalQuery(limit=1))["entries"][0]["response"]["body_bytes"] == 50_000


def test_journal_limit_is_the_newest_matches(pair: Pair) -> None:
    journal = Journal(10, pair[0].journal)
    for status in (200, 201, 404, 200):
        journal.record(entry(status=status))
    got = journal.query(JournalQuery(status=200, limit=1))["entries"]
    assert len(got) == 1 and got[0]["id"] == journal.query(JournalQuery())["entries"][-1]["id"]
    journal.clear()
    # The bound holds for the journal as a whole, whichever workers record.
    a, b = (Journal(4, h.journal) for h in pair)
    for _ in range(5):
        a.record(entry(status=500))
        b.record(entry(status=501))
    page = b.query(JournalQuery())
    assert (page["total"], page["dropped"]) == (4, 6)
    assert [e["status"] for e in page["entries"]] == [500, 501, 500, 501]


def exchange(
    request_body: bytes | None = b'{"name":"VIP"}', response_body: bytes = b"{}"
) -> Exchange:
    return Exchange(
        moment=datetime(2026, 12, 2, 1, 2, 3, 456_000, tzinfo=UTC),
        wall=1_796_000_000.123_456,
        vendor="zapini",
        tenant="acme",
        operation_id="createTag",
        method="POST",
        path="/zapini/api/v1/tags",
        query_string=b"api_key=s3cret&page=2",
        status=201,
        request_headers=[(b"authorization", b"Bearer sk_live"), (b"content-type", b"text/x")],
        response_headers=[(b"content-type", b"application/json")],
        violations=["createTag 201: 'id' is a required property"],
        fault=None,
        duration=0.00125,
        worker=4242,
        request_body=request_body,
        response_body=response_body,
        response_size=len(response_body),
    )


def test_a_served_request_reads_back_the_same_on_every_engine(pair: Pair) -> None:
    """The memory journal makes the entry when it is read, the others when they store it:
    what a reader gets is the same, credentials masked, bodies decoded."""
    journal = Journal(10, pair[0].journal)
    journal.record_exchange(exchange())
    [got] = Journal(10, pair[1].journal).query(JournalQuery())["entries"]
    got.pop("id")
    assert got == {
        "time": "2026-12-02T01:02:03Z",
        "wall_time": 1_796_000_000.123,
        "vendor": "zapini",
        "tenant": "acme",
        "operation_id": "createTag",
        "method": "POST",
        "path": "/zapini/api/v1/tags",
        "query": "api_key=%2A%2A%2A&page=2",
        "status": 201,
        "request": {
            "headers": {"authorization": "***", "content-type": "text/x"},
            "body": {"name": "VIP"},
        },
        "response": {"headers": {"content-type": "application/json"}, "body": {}},
        "violations": ["createTag 201: 'id' is a required property"],
        "fault": None,
        "duration_ms": 1.25,
        "worker": 4242,
    }


def test_served_requests_keep_to_the_byte_bound_and_cut_big_bodies(pair: Pair) -> None:
    journal = Journal(1000, pair[0].journal, max_bytes=160 * 1024, body_limit=16 * 1024)
    big = b'"' + b"x" * 100_000 + b'"'
    for _ in range(50):
        journal.record_exchange(exchange(request_body=big, response_body=big[: 16 * 1024 + 1]))
    page = journal.query(JournalQuery())
    assert page["bytes"] <= 160 * 1024
    assert 0 < page["total"] < 10
    assert page["dropped"] == 50 - page["total"]
    # Each entry holds its bodies cut to the limit, not the 100 kB request whole.
    assert page["bytes"] / page["total"] < 3 * 16 * 1024
    newest = page["entries"][-1]
    assert newest["request"]["body_truncated"] is True
    assert newest["request"]["body_bytes"] == len(big)
    assert newest["request"]["body"] == big[: 16 * 1024].decode()


# -- faults ---------------------------------------------------------------------------------

TARGET = Target(vendor="zapini", operation="listTags", method="GET", path="/tags", tenant="acme")


def test_a_rule_added_through_one_worker_fires_on_the_other_and_counts_once(pair: Pair) -> None:
    one, other = (FaultBook(h.faults) for h in pair)
    assert not other.has_rules()
    rule = one.add({"effect": {"kind": "status", "status": 503}, "times": 2})
    assert rule.id == "fault-1"
    assert other.has_rules()
    fired = [other.pick(TARGET, None), one.pick(TARGET, None), other.pick(TARGET, None)]
    assert [r.id if r else None for r in fired] == ["fault-1", "fault-1", None]
    [seen] = one.rules()
    assert (seen.matched, seen.applied) == (3, 2)
    assert other.remove("fault-1") is not None
    assert one.pick(TARGET, None) is None and not one.has_rules()


def test_header_retries_count_across_workers(pair: Pair) -> None:
    one, other = (FaultBook(h.faults) for h in pair)
    header = "status=503; times=1"
    first = one.pick(TARGET, header)
    assert first is not None and first.effect["status"] == 503
    assert other.pick(TARGET, header) is None  # the retry, on the other worker, goes through
    assert one.clear() == 1
    assert other.pick(TARGET, header) is not None


def test_a_seeded_probability_draws_one_sequence_whoever_draws(pair: Pair) -> None:
    def draws(books: list[FaultBook]) -> list[bool]:
        books[0].clear()
        books[0].add({"effect": {"kind": "status", "status": 500}, "probability": 0.5, "seed": 3})
        return [books[i % len(books)].pick(TARGET, None) is not None for i in range(40)]

    one, other = (FaultBook(h.faults) for h in pair)
    alone = draws([one])
    shared = draws([one, other])
    assert alone == shared
    assert 5 < sum(alone) < 35


def test_a_delay_range_is_chosen_when_the_rule_fires(pair: Pair) -> None:
    book = FaultBook(pair[0].faults)
    book.add({"effect": {"kind": "delay", "delay_ms": 10, "delay_max_ms": 20}, "seed": 1})
    picked = book.pick(TARGET, None)
    assert picked is not None and 0.010 <= picked.delay_seconds() <= 0.020


# -- clock and rate windows -------------------------------------------------------------------


def test_the_clock_is_one_clock_for_every_worker(pair: Pair) -> None:
    one, other = (Clock(h.clock) for h in pair)
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    one.freeze(moment)
    assert other.frozen and other.now() == moment
    other.advance(90)
    assert one.now() == moment + timedelta(seconds=90)
    one.unfreeze()
    other.advance(3600)  # running, an hour ahead
    assert not one.frozen
    ahead = one.now() - datetime.now(UTC)
    assert timedelta(minutes=59) < ahead < timedelta(minutes=61)


def test_rate_windows_count_every_workers_requests(pair: Pair) -> None:
    one, other = (RateLimiter(False, h.rates) for h in pair)
    assert not other.enabled
    one.set_enabled(True)
    assert other.enabled
    now = datetime(2030, 1, 1, tzinfo=UTC)
    limit = (3, 60)
    waits = [(one if i % 2 else other).hit("zapini", "tok", limit, now) for i in range(4)]
    assert waits == [0, 0, 0, 60]
    assert one.hit("zapini", "tok", limit, now + timedelta(seconds=61)) == 0
    assert other.hit("zapini", "other-tok", limit, now) == 0
    other.set_enabled(True)  # switching starts every window afresh
    assert [one.hit("zapini", "tok", limit, now) for _ in range(3)] == [0, 0, 0]


def test_a_record_encoded_on_read_cannot_slip_past_the_byte_bound() -> None:
    with pytest.raises(TypeError):
        JournalRecord("zapini", "acme", "listTags", "GET", "/tags", 200, lambda: b"{}")
    lazy = JournalRecord("zapini", "acme", "listTags", "GET", "/tags", 200, lambda: b"{}", 500)
    assert (lazy.size, lazy.blob) == (500, b"{}")
