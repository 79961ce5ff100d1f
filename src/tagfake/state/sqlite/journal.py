"""The journal of an SQLite store: one shard file per worker, read as one journal.

Every vendor request writes a journal entry. On the store's file that would be a write
transaction per request, and SQLite has one writer per file: the workers would take turns on
every request, GETs included. So each worker appends to a shard of its own beside the store,
`<store>-journal-<n>` (an SQLite file in WAL mode, like the store), and never waits for another
worker to journal. The append commits before the answer's last byte leaves, as before: a client
that reads the journal through any worker once it has its answer finds its entry.

A worker claims the lowest shard number no live process holds (an exclusive `flock` on
`<store>-journal-<n>.lock`, released by the kernel when the process ends), so a restarted worker
takes over the shard of the one that died, and the shards number no more than the most workers
that ever ran at once. Reads, counts and `clear` cover every shard found beside the store,
those of an earlier run with more workers too.

Entry ids order the journal across shards: `(microseconds since the run began on the machine's
monotonic clock) * 64 + (shard number mod 64)`, increasing within a shard and unique across up to
64 workers, and small enough (below 2**53 for four years of uptime) for a JavaScript number.
Entries recorded at the same moment by two workers are ordered by the moment each took its id.

The bounds are shared out: with N workers each shard keeps at most 1/N of `max_entries` and of
`max_bytes`, so together they hold no more than the bounds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

from tagfake.state.harness import JournalFilter, JournalPage, JournalRecord
from tagfake.state.sqlite.db import Database, add_to_counter, counter

#: Shard numbers that ids keep apart.
SLOTS = 64
_EPOCH_KEY = "journal_epoch_us"

_SHARD_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS journal ("
    " id INTEGER PRIMARY KEY, vendor TEXT NOT NULL, tenant TEXT, operation TEXT,"
    " method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, entry BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
    " WITHOUT ROWID",
)
_COUNTERS = ("entries", "bytes", "dropped")


def shard_paths(store: Path) -> list[Path]:
    """Every shard beside `store`, by number."""
    prefix = f"{store.name}-journal-"
    found = []
    for path in store.parent.glob(f"{store.name}-journal-*"):
        n = path.name[len(prefix) :]
        if n.isdigit():
            found.append((int(n), path))
    return [path for _, path in sorted(found)]


def _now_us() -> int:
    return time.monotonic_ns() // 1000


def start_run(db: Database) -> None:
    """Mark the start of a run (the primary process): ids count from here."""
    with db.write() as tx:
        tx.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_EPOCH_KEY, str(_now_us())),
        )


def _epoch(db: Database) -> int:
    row = db.connection().execute("SELECT value FROM meta WHERE key = ?", (_EPOCH_KEY,)).fetchone()
    if row is None:
        start_run(db)
        return _epoch(db)
    return int(row[0])


class _Shard:
    """The shard this process appends to, held by its lock for as long as the process lives."""

    def __init__(self, store: Path) -> None:
        self.pid = os.getpid()
        n = 0
        while True:
            fd = os.open(f"{store}-journal-{n}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                n += 1
                continue
            break
        self.number = n
        self.lock_fd = fd
        self.db = open_shard(Path(f"{store}-journal-{n}"))
        row = self.db.connection().execute("SELECT max(id) FROM journal").fetchone()
        self.last_id = int(row[0] or 0)

    def close(self) -> None:
        self.db.close()
        with contextlib.suppress(OSError):
            os.close(self.lock_fd)


def open_shard(path: Path) -> Database:
    db = Database(path)
    conn = db.connection()
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    with db.write() as tx:
        for statement in _SHARD_SCHEMA:
            tx.execute(statement)
    return db


class SqliteJournalStore:
    """The journal of the store at `db`: this process's shard for appends, all for reads.

    `shares`: how many workers share the bounds (the server's `--workers`)."""

    def __init__(self, db: Database, shares: int = 1) -> None:
        self.store_path = db.path
        self.shares = max(1, shares)
        self.epoch = _epoch(db)
        self._shard: _Shard | None = None
        self._claim = threading.Lock()
        self._readers: dict[Path, Database] = {}

    def _own(self) -> _Shard:
        shard = self._shard
        if shard is None or shard.pid != os.getpid():
            with self._claim:
                shard = self._shard
                # A forked child shares its parent's lock: it needs a shard of its own.
                if shard is None or shard.pid != os.getpid():
                    shard = self._shard = _Shard(self.store_path)
        return shard

    def _reader(self, path: Path) -> Database:
        own = self._shard
        if own is not None and own.pid == os.getpid() and own.db.path == path.absolute():
            return own.db
        db = self._readers.get(path)
        if db is None:
            db = self._readers.setdefault(path, Database(path))
        return db

    def append(self, record: JournalRecord, max_entries: int, max_bytes: int) -> None:
        r = record
        blob = r.blob  # encoded before the write lock is taken
        shard = self._own()
        max_entries = max(1, max_entries // self.shares)
        max_bytes = max(1, max_bytes // self.shares)
        with shard.db.write() as tx:
            # Inside the transaction: the process's threads take ids in commit order.
            moment = max(0, _now_us() - self.epoch) * SLOTS + shard.number % SLOTS
            entry_id = max(moment, shard.last_id + SLOTS)
            row = (entry_id, r.vendor, r.tenant, r.operation, r.method, r.path, r.status)
            tx.execute(
                "INSERT INTO journal(id, vendor, tenant, operation, method, path, status, bytes,"
                " entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, len(blob), blob),
            )
            shard.last_id = entry_id
            add_to_counter(tx, "entries", 1)
            add_to_counter(tx, "bytes", len(blob))
            entries, size = counter(tx, "entries"), counter(tx, "bytes")
            if entries <= max_entries and size <= max_bytes:
                return
            # Oldest first until both bounds hold; usually one row.
            doomed: list[int] = []
            freed = 0
            for row_id, row_bytes in tx.execute("SELECT id, bytes FROM journal ORDER BY id"):
                if entries - len(doomed) <= max_entries and size - freed <= max_bytes:
                    break
                doomed.append(row_id)
                freed += row_bytes
            tx.execute("DELETE FROM journal WHERE id <= ?", (doomed[-1],))
            add_to_counter(tx, "entries", -len(doomed))
            add_to_counter(tx, "bytes", -freed)
            add_to_counter(tx, "dropped", len(doomed))

    def query(self, f: JournalFilter) -> JournalPage:
        where, args = [], []
        for column, value in (
            ("vendor", f.vendor),
            ("tenant", f.tenant),
            ("operation", f.operation),
            ("method", f.method.upper() if f.method else None),
            ("status", f.status),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if f.path is not None:
            where.append("instr(path, ?) > 0")
            args.append(f.path)
        sql = "SELECT id, vendor, tenant, operation, method, path, status, entry FROM journal"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if f.limit is not None:
            sql += f" LIMIT {int(f.limit)}"
        rows: list[tuple[int, str, str | None, str | None, str, str, int, bytes]] = []
        totals = dict.fromkeys(_COUNTERS, 0)
        for path in shard_paths(self.store_path):
            try:
                with self._reader(path).read() as tx:
                    rows += tx.execute(sql, args).fetchall()
                    for name in _COUNTERS:
                        totals[name] += counter(tx, name)
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):
                    raise
                # A shard being created this moment: nothing in it yet.
        rows.sort(key=lambda row: row[0])
        if f.limit is not None:
            rows = rows[len(rows) - min(len(rows), int(f.limit)) :]
        records = [
            (int(i), JournalRecord(v, t, o, m, p, int(s), bytes(blob)))
            for i, v, t, o, m, p, s, blob in rows
        ]
        return JournalPage(records, totals["entries"], totals["dropped"], totals["bytes"])

    def clear(self) -> int:
        n = 0
        for path in shard_paths(self.store_path):
            try:
                with self._reader(path).write() as tx:
                    n += tx.execute("DELETE FROM journal").rowcount
                    tx.execute("DELETE FROM counters")
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):
                    raise
        return n

    def close(self) -> None:
        for db in self._readers.values():
            db.close()
        self._readers.clear()
        if self._shard is not None and self._shard.pid == os.getpid():
            self._shard.close()
        self._shard = None
