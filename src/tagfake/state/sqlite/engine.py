"""`sqlite:PATH`: the store and the harness state on one SQLite file (see `db.py`)."""

from __future__ import annotations

import json
from pathlib import Path

from tagfake.state.engines import Engine, StoreUrl
from tagfake.state.sqlite.db import open_database
from tagfake.state.sqlite.harness import sqlite_harness
from tagfake.state.sqlite.journal import SqliteJournalStore, start_run
from tagfake.state.sqlite.store import SqliteStore


def open_sqlite(
    url: StoreUrl, path: Path, seed: int | None, rate_limits: bool, primary: bool
) -> Engine:
    """Raises StoreFileError (the file untouched) when the file cannot be used."""
    db, fresh = open_database(path)
    store = SqliteStore(db)
    if primary:
        start_run(db)
    workers = int(str(url.options.get("workers") or 1))
    harness = sqlite_harness(db, rate_limits, workers)
    journal = harness.journal
    assert isinstance(journal, SqliteJournalStore)

    def close() -> None:
        journal.close()
        store.close()

    if primary:
        # A new run of the server: its harness starts afresh, its data is what the file kept.
        harness.journal.clear()
        with harness.faults.change() as table:
            table.clear()
        harness.clock.update(lambda state: type(state)())
        harness.rates.set_enabled(rate_limits)
    if fresh:
        # A file that already has data keeps its id source where it was: restarting a seeded
        # sequence would hand out the ids of tags that exist.
        store.reseed(seed)

    def kept_vendors() -> set[str]:
        row = db.connection().execute("SELECT value FROM meta WHERE key = 'vendors'").fetchone()
        return set() if row is None else set(json.loads(row[0]))

    def mark_vendors(vendors: set[str]) -> None:
        with db.write() as tx:
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('vendors', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (json.dumps(sorted(vendors)),),
            )

    return Engine(
        url,
        store,
        harness,
        fresh=fresh,
        close=close,
        summary=f"sqlite:{db.path}",
        kept_vendors=kept_vendors,
        mark_vendors=mark_vendors,
    )
