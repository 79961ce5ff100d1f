"""The clock behind every timestamp; it can be frozen and advanced for deterministic runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> None:
        with self._lock:
            base = at if at is not None else datetime.now(UTC) + self._offset
            self._frozen_at = base.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen_at = None
            self._offset = timedelta()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None


def rfc3339(moment: datetime) -> str:
    """`2025-01-15T10:30:00Z`: UTC, whole seconds, as the vendors' examples write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
