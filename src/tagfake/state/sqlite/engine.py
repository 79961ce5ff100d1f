"""`sqlite:PATH`: the store and the harness state on one SQLite file (see `db.py`)."""

from __future__ import annotations

from pathlib import Path

from tagfake.state.engines import Engine, StoreUrl
from tagfake.state.sqlite.db import open_database
from tagfake.state.sqlite.harness import sqlite_harness
from tagfake.state.sqlite.store import SqliteStore


def open_sqlite(
    url: StoreUrl, path: Path, seed: int | None, rate_limits: bool, primary: bool
) -> Engine:
    """Raises StoreFileError (the file untouched) when the file cannot be used."""
    db, fresh = open_database(path)
    store = SqliteStore(db)
    harness = sqlite_harness(db, rate_limits)
    if primary:
        # A new run of the server: its harness starts afresh, its data is what the file kept.
        harness.journal.clear()
        with harness.faults.change() as table:
            table.clear()
        harness.clock.update(lambda state: type(state)())
        harness.rates.set_enabled(rate_limits)
        if fresh or seed is not None:
            store.reseed(seed)
    return Engine(
        url,
        store,
        harness,
        fresh=fresh,
        close=store.close,
        summary=f"sqlite {db.path} ({'new' if fresh else 'existing'})",
    )
