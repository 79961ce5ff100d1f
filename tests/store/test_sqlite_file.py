"""The SQLite file: created in WAL mode with its schema version, and refused — untouched, with
one line naming it — when it is not a tagfake store this tagfake can read."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tagfake.state.engines import parse_store_url
from tagfake.state.sqlite.db import SCHEMA_VERSION, StoreFileError, open_database
from tagfake.state.store import Store
from tests.store.conftest import VENDOR


def test_a_new_file_is_a_wal_database_of_this_schema(tmp_path: Path) -> None:
    db, fresh = open_database(tmp_path / "t.db")
    assert fresh
    conn = db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    db.close()
    again, fresh = open_database(tmp_path / "t.db")
    assert not fresh
    again.close()


def _newer(path: Path) -> None:
    db, _ = open_database(path)
    db.connection().execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()


def _damaged(path: Path) -> None:
    db, _ = open_database(path)
    with db.write() as tx:
        for i in range(2000):
            tx.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (f"k{i}", "v" * 100))
    db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    for at in range(4096 * 2, len(data), 4096):  # scribble over every page after the first two
        data[at + 8 : at + 64] = b"\xff" * 56
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.write_bytes(b"hello, not a database\n"), "is not an SQLite database"),
        (
            lambda p: p.write_text('{"format": "tagfake-state/1", "namespaces": []}'),
            "is a JSON state snapshot",
        ),
        (_foreign, "is an SQLite database, but not a tagfake store"),
        (_newer, "was written by a newer tagfake"),
        (_damaged, "is damaged"),
    ],
)
def test_an_unusable_file_is_refused_and_left_as_it_was(
    tmp_path: Path, make: object, problem: str
) -> None:
    path = tmp_path / "t.db"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    with pytest.raises(StoreFileError) as refused:
        open_database(path)
    text = str(refused.value)
    assert text.startswith(f"store {path}: {problem}")
    assert "\n" not in text
    assert path.read_bytes() == before


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError, match="is a directory"):
        open_database(tmp_path)


@pytest.mark.parametrize(
    ("text", "scheme", "target", "shared"),
    [
        ("memory", "memory", "", False),
        ("sqlite:state.db", "sqlite", "state.db", True),
        ("sqlite:///tmp/x.db", "sqlite", "///tmp/x.db", True),
        ("SQLITE:/abs/y.db", "sqlite", "/abs/y.db", True),
    ],
)
def test_store_urls(text: str, scheme: str, target: str, shared: bool) -> None:
    url = parse_store_url(text)
    assert (url.scheme, url.target, url.shared) == (scheme, target, shared)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("postgres://x", "unknown kind 'postgres'"),
        ("memory:foo", "takes no address"),
        ("sqlite:", "name the database file"),
        ("sqlite:/tmp/", "name the database file"),
    ],
)
def test_bad_store_urls_are_refused_with_the_reason(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_store_url(text)


def test_any_string_a_record_holds_reads_back_as_it_was(engine: Store) -> None:
    # Not in an index: index keys are text SQLite holds, which is all the request checks let in.
    odd = {"note": 'a\udfffb \u0000 \U0001f600 \\ "q"', "nested": {"list": [1, None, 2.5]}}
    with engine.transaction(VENDOR, "acme") as w:
        w.put_tag("odd", odd)
    with engine.read(VENDOR, "acme") as r:
        assert r.tag("odd") == odd
        assert r.tag_records() == [odd]


def test_each_thread_keeps_one_connection_of_its_own(tmp_path: Path) -> None:
    db, _ = open_database(tmp_path / "t.db")
    mine = db.connection()
    theirs: list[object] = []

    def other() -> None:
        theirs.extend([db.connection(), db.connection()])

    for _ in range(3):  # interleaved: a thread's first connection must not cost another's
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert db.connection() is mine
    assert theirs[0] is theirs[1] and theirs[0] is not mine
    db.close()
