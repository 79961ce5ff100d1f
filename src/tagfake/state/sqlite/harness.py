"""The harness state on the SQLite file: fault rules, clock and rate windows, one set for every
worker, and the journal in shards beside the file (`journal.py`). Each operation is one short
transaction of its own."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from tagfake.state.harness import (
    ClockState,
    FaultTable,
    Harness,
    window_hit,
)
from tagfake.state.sqlite.db import Database, add_to_counter, counter
from tagfake.state.sqlite.journal import SqliteJournalStore


def _get(conn: sqlite3.Connection, name: str) -> Any:
    row = conn.execute("SELECT doc FROM harness WHERE name = ?", (name,)).fetchone()
    return None if row is None else json.loads(row[0])


def _set(conn: sqlite3.Connection, name: str, doc: Any) -> None:
    conn.execute(
        "INSERT INTO harness(name, doc) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
        (name, json.dumps(doc)),
    )


# -- clock ----------------------------------------------------------------------------------


class SqliteClockStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self) -> ClockState:
        return _clock_from(_get(self.db.connection(), "clock"))

    def update(self, change: Callable[[ClockState], ClockState]) -> ClockState:
        with self.db.write() as tx:
            state = change(_clock_from(_get(tx, "clock")))
            _set(
                tx,
                "clock",
                {
                    "frozen_at": state.frozen_at.isoformat() if state.frozen_at else None,
                    "offset_us": round(state.offset / timedelta(microseconds=1)),
                },
            )
            return state


def _clock_from(doc: Any) -> ClockState:
    if not doc:
        return ClockState()
    frozen = doc.get("frozen_at")
    return ClockState(
        frozen_at=datetime.fromisoformat(frozen) if frozen else None,
        offset=timedelta(microseconds=int(doc.get("offset_us", 0))),
    )


# -- rate windows ---------------------------------------------------------------------------


class SqliteRateWindows:
    def __init__(self, db: Database, enabled: bool) -> None:
        self.db = db
        with db.write() as tx:
            if _get(tx, "rate_limits") is None:
                _set(tx, "rate_limits", {"enabled": enabled})

    def enabled(self) -> bool:
        doc = _get(self.db.connection(), "rate_limits")
        return bool(doc and doc.get("enabled"))

    def set_enabled(self, enabled: bool) -> None:
        with self.db.write() as tx:
            _set(tx, "rate_limits", {"enabled": enabled})
            tx.execute("DELETE FROM rate_windows")

    def hit(self, vendor: str, credential: str, limit: tuple[int, int], now: datetime) -> int:
        with self.db.write() as tx:
            row = tx.execute(
                "SELECT started, count FROM rate_windows WHERE vendor = ? AND credential = ?",
                (vendor, credential),
            ).fetchone()
            window = None if row is None else (datetime.fromisoformat(row[0]), int(row[1]))
            wait, kept = window_hit(window, limit, now)
            if kept is not None:
                tx.execute(
                    "INSERT INTO rate_windows(vendor, credential, started, count) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(vendor, credential) "
                    "DO UPDATE SET started = excluded.started, count = excluded.count",
                    (vendor, credential, kept[0].isoformat(), kept[1]),
                )
            return wait


# -- fault rules ----------------------------------------------------------------------------


class _SqliteFaultTable:
    def __init__(self, tx: sqlite3.Connection) -> None:
        self.tx = tx

    def rules(self) -> list[dict[str, Any]]:
        rows = self.tx.execute("SELECT doc FROM fault_rules WHERE from_header = 0 ORDER BY seq")
        return [json.loads(doc) for (doc,) in rows]

    def header_rule(self, key: str) -> dict[str, Any] | None:
        row = self.tx.execute(
            "SELECT doc FROM fault_rules WHERE id = ? AND from_header = 1", (key,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def every(self) -> list[dict[str, Any]]:
        rows = self.tx.execute("SELECT doc FROM fault_rules ORDER BY from_header, used, seq")
        return [json.loads(doc) for (doc,) in rows]

    def put(self, doc: dict[str, Any], *, from_header: bool = False) -> None:
        self.tx.execute(
            "INSERT INTO fault_rules(id, from_header, used, doc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, "
            "from_header = excluded.from_header, used = excluded.used",
            (doc["id"], int(from_header), float(doc.get("used", 0)), json.dumps(doc)),
        )

    def forget_headers(self, used_before: float, keep: int) -> None:
        self.tx.execute(
            "DELETE FROM fault_rules WHERE from_header = 1 AND used < ?", (used_before,)
        )
        self.tx.execute(
            "DELETE FROM fault_rules WHERE from_header = 1 AND seq NOT IN "
            "(SELECT seq FROM fault_rules WHERE from_header = 1 ORDER BY used DESC LIMIT ?)",
            (keep,),
        )

    def remove(self, rule_id: str) -> dict[str, Any] | None:
        row = self.tx.execute(
            "DELETE FROM fault_rules WHERE id = ? RETURNING doc", (rule_id,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def clear(self) -> int:
        n = self.tx.execute("DELETE FROM fault_rules").rowcount
        self.tx.execute("DELETE FROM counters WHERE name = 'fault_serial'")
        return int(n)

    def next_serial(self) -> int:
        add_to_counter(self.tx, "fault_serial", 1)
        return counter(self.tx, "fault_serial")


class SqliteFaultStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def has_rules(self) -> bool:
        row = self.db.connection().execute("SELECT EXISTS (SELECT 1 FROM fault_rules)")
        return bool(row.fetchone()[0])

    @contextmanager
    def change(self) -> Iterator[FaultTable]:
        with self.db.write() as tx:
            yield _SqliteFaultTable(tx)


def sqlite_harness(db: Database, rate_limits: bool = False, workers: int = 1) -> Harness:
    """`workers`: how many processes share the journal's bounds (see `journal.py`)."""
    return Harness(
        journal=SqliteJournalStore(db, workers),
        faults=SqliteFaultStore(db),
        clock=SqliteClockStore(db),
        rates=SqliteRateWindows(db, rate_limits),
    )
