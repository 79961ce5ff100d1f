"""The clock behind every timestamp; it can be frozen and advanced for deterministic runs.

Its state (frozen or not, the offset) lives in the engine's `ClockStore`, so every worker of a
server tells the same time and sees a change made through any of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tagfake.state.harness import ClockState, ClockStore, MemoryClockStore


class Clock:
    def __init__(self, store: ClockStore | None = None) -> None:
        self.store: ClockStore = store or MemoryClockStore()

    def now(self) -> datetime:
        state = self.store.get()
        if state.frozen_at is not None:
            return state.frozen_at
        return datetime.now(UTC) + state.offset

    def freeze(self, at: datetime | None = None) -> None:
        def change(state: ClockState) -> ClockState:
            base = at if at is not None else datetime.now(UTC) + state.offset
            return replace(state, frozen_at=base.astimezone(UTC))

        self.store.update(change)

    def advance(self, seconds: float) -> None:
        def change(state: ClockState) -> ClockState:
            if state.frozen_at is not None:
                return replace(state, frozen_at=state.frozen_at + timedelta(seconds=seconds))
            return replace(state, offset=state.offset + timedelta(seconds=seconds))

        self.store.update(change)

    def unfreeze(self) -> None:
        self.store.update(lambda state: ClockState())

    @property
    def frozen(self) -> bool:
        return self.store.get().frozen_at is not None


def rfc3339(moment: datetime) -> str:
    """`2025-01-15T10:30:00Z`: UTC, whole seconds, as the vendors' examples write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
