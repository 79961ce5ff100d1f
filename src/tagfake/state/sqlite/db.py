"""One SQLite file shared by every worker: connections, transactions and the schema check.

Each thread of each process gets its own connection (sqlite3 connections must not cross threads,
and never a fork). The file is in WAL mode with `synchronous=NORMAL`: a transaction that
committed survives a kill of the process (SIGKILL included); on a power loss or OS crash the last
transactions before it may be lost, never half of one. Writers start with `BEGIN IMMEDIATE`, so
two transactions never both read and then fight to write; a writer that finds the file locked
waits up to `busy_timeout` for the other to commit.

`open_database` checks the file before anything writes to it: a file that is not SQLite, is
damaged, is some other program's database, or comes from a newer tagfake is refused with one
line, and left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: `PRAGMA application_id`: marks a file as tagfake's (the bytes "tgfk").
APPLICATION_ID = 0x7467666B
#: `PRAGMA user_version`: the schema this tagfake writes and reads.
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS harness (
    name TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) WITHOUT ROWID;
-- The journal is not here: it lives in shards beside the file (journal.py).
CREATE TABLE IF NOT EXISTS fault_rules (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    from_header INTEGER NOT NULL,
    -- when a header-born rule was last used (monotonic seconds, one clock per machine)
    used REAL NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fault_rules_by_use ON fault_rules (from_header, used);
CREATE TABLE IF NOT EXISTS spaces (
    id INTEGER PRIMARY KEY,
    vendor TEXT NOT NULL,
    tenant TEXT NOT NULL,
    UNIQUE (vendor, tenant)
);
CREATE TABLE IF NOT EXISTS credentials (
    vendor TEXT NOT NULL,
    credential TEXT NOT NULL,
    space INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (vendor, credential)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS credentials_of_space ON credentials (space, position);
CREATE TABLE IF NOT EXISTS id_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- Tags ('tag'), groups ('group') and entities ('e:<kind>') of a tenant. The rowid is the put
-- order: a replaced item keeps its row, a deleted and re-put one goes to the end.
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    space INTEGER NOT NULL,
    sort TEXT NOT NULL,
    key TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (space, sort, key)
);
CREATE INDEX IF NOT EXISTS items_in_order ON items (space, sort);
-- A unique index of a vendor's layout: one row per index key, the key held by one item.
CREATE TABLE IF NOT EXISTS unique_keys (
    space INTEGER NOT NULL,
    sort TEXT NOT NULL,
    ix TEXT NOT NULL,
    value TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (space, sort, ix, value)
) WITHOUT ROWID;
-- A non-unique index: every item under an index key, in the order they took it (`took`).
CREATE TABLE IF NOT EXISTS index_keys (
    space INTEGER NOT NULL,
    sort TEXT NOT NULL,
    ix TEXT NOT NULL,
    value TEXT NOT NULL,
    took INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (space, sort, ix, value, took)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS index_keys_of_item ON index_keys (space, sort, ix, key);
-- Which entity carries which tag, in the order the entity got them; by tag for the cascades
-- and the live counts.
CREATE TABLE IF NOT EXISTS entity_tags (
    space INTEGER NOT NULL,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    tag TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (space, kind, entity, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_tags_in_order ON entity_tags (space, kind, entity, position);
CREATE INDEX IF NOT EXISTS entity_tags_by_tag ON entity_tags (space, tag, kind);
-- The entity kinds of a tenant in the order it first had one.
CREATE TABLE IF NOT EXISTS kinds (
    seq INTEGER PRIMARY KEY,
    space INTEGER NOT NULL,
    kind TEXT NOT NULL,
    UNIQUE (space, kind)
);
CREATE TABLE IF NOT EXISTS rate_windows (
    vendor TEXT NOT NULL,
    credential TEXT NOT NULL,
    started TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (vendor, credential)
) WITHOUT ROWID;
"""


class StoreFileError(Exception):
    """The store's file cannot be used; `str()` is the one line to show, naming the file."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"store {path}: {problem}; tagfake left it as it is")


class Database:
    """The file, and one connection per thread of this process."""

    def __init__(self, path: Path, extra_schema: str = "") -> None:
        self.path = Path(path).absolute()
        self.extra_schema = extra_schema
        self._local = threading.local()
        self._pid = os.getpid()
        self._write_lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            # A forked child must not use its parent's connections (SQLite forbids it).
            self._pid = os.getpid()
            self._local = threading.local()
            self._write_lock = threading.Lock()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; every one below is explicit.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True, timeout=0)
        # No busy handler: `_begin_immediate` waits for the write lock itself. Readers never
        # wait in WAL mode; a checkpoint here is PASSIVE and never blocks anyone.
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        conn = self.connection()
        if conn.in_transaction:  # nested: part of the caller's transaction
            yield conn
            return
        # Threads of this process queue here, on a mutex, for the one write lock SQLite has:
        # a writer that finds the file locked sleeps in SQLite's busy handler (1, 2, 5 ... 100
        # ms), which under a thread pool's worth of writers costs far more than the wait.
        with self._write_lock:
            self._begin_immediate(conn)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def _begin_immediate(conn: sqlite3.Connection) -> None:
        """Take the write lock, waiting for another process's transaction to commit.

        SQLite's own busy handler sleeps at least a millisecond per try, growing to 100 ms;
        the writers here hold the lock for well under a millisecond, so poll more often."""
        pause, deadline = 0.00005, time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.002)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot for several reads (WAL: readers never wait for writers)."""
        conn = self.connection()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN DEFERRED")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def counter(conn: sqlite3.Connection, name: str) -> int:
    """A file's named counter (0 when never set): journal sizes, id sources, drop counts."""
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return 0 if row is None else int(row[0])


def add_to_counter(conn: sqlite3.Connection, name: str, delta: int) -> None:
    conn.execute(
        "INSERT INTO counters(name, value) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
        (name, delta),
    )


def open_database(path: Path, extra_schema: str = "") -> tuple[Database, bool]:
    """The checked database at `path`, created when missing; True when it was just created.

    Raises StoreFileError, with the file untouched, when it cannot be used."""
    path = Path(path).absolute()
    fresh = _check_existing(path)
    if fresh and not path.parent.is_dir():
        raise StoreFileError(path, f"folder {path.parent} does not exist")
    db = Database(path, extra_schema)
    try:
        conn = db.connection()
        if fresh:
            # WAL is a property of the file: set once, kept by every later connection.
            conn.execute("PRAGMA journal_mode = WAL")
        with db.write() as tx:
            version = tx.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:  # another process upgraded it meanwhile
                raise StoreFileError(path, _newer(version))
            for statement in _statements(SCHEMA + extra_schema):
                tx.execute(statement)
            tx.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.Error as exc:
        db.close()
        raise StoreFileError(path, f"cannot be opened ({exc})") from None
    except BaseException:
        db.close()
        raise
    return db, fresh


def _statements(script: str) -> list[str]:
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def _newer(version: int) -> str:
    return (
        f"was written by a newer tagfake (schema {version}; this one reads up to "
        f"{SCHEMA_VERSION}): upgrade tagfake, or start with another file"
    )


def _check_existing(path: Path) -> bool:
    """Refuse an existing file we must not touch; True when there is none (or it is empty)."""
    try:
        with path.open("rb") as f:
            head = f.read(len(_HEADER))
    except FileNotFoundError:
        return True
    except IsADirectoryError:
        raise StoreFileError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise StoreFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not head and path.stat().st_size == 0:
        return True  # an empty file (e.g. made by mktemp): SQLite takes it as a new database
    if head != _HEADER:
        if head.lstrip()[:1] == b"{":
            raise StoreFileError(
                path,
                "is a JSON state snapshot, not a store: start tagfake on a new file and "
                "load it with `tagfake state import FILE`",
            )
        raise StoreFileError(path, "is not an SQLite database")
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreFileError(path, f"cannot be opened ({exc})") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID:
            if tables or version:
                raise StoreFileError(path, "is an SQLite database, but not a tagfake store")
            return False  # an empty SQLite database: ours from now on
        if version > SCHEMA_VERSION:
            raise StoreFileError(path, _newer(version))
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            first = " ".join(str(problems[0]).split())  # SQLite's report spans lines
            raise StoreFileError(path, f"is damaged ({first[:200]})")
    except sqlite3.DatabaseError as exc:
        raise StoreFileError(path, f"is damaged ({exc})") from None
    finally:
        conn.close()
    return False
