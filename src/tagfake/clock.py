"""The clock behind every timestamp; it can be frozen and advanced for deterministic runs.

Its time stays within [EARLIEST, LATEST], so every moment it shows is a four-digit-year RFC 3339
timestamp and `now()` cannot overflow Python's datetime. A change that would leave that range
is refused as a whole (ClockRangeError) and changes nothing.

Its state (frozen or not, the offset) lives in the engine's `ClockStore`, so every worker of a
server tells the same time and sees a change made through any of them."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime, timedelta

from tagfake.state.harness import ClockState, ClockStore, MemoryClockStore

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


class ClockRangeError(ValueError):
    pass


def _out_of_range() -> ClockRangeError:
    return ClockRangeError(f"the clock must stay between {rfc3339(EARLIEST)} and {rfc3339(LATEST)}")


def _checked(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise _out_of_range() from None
    if not EARLIEST <= moment <= LATEST:
        raise _out_of_range()
    return moment


def _shifted(moment: datetime, seconds: float) -> datetime:
    try:
        later = moment + timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # past datetime's own range, or not a number
        raise _out_of_range() from None
    return _checked(later)


class Clock:
    def __init__(self, store: ClockStore | None = None) -> None:
        self.store: ClockStore = store or MemoryClockStore()

    def now(self) -> datetime:
        state = self.store.get()
        if state.frozen_at is not None:
            return state.frozen_at
        real = datetime.now(UTC)
        # Real time keeps running after an offset was checked; it never runs past LATEST.
        if state.offset > LATEST - real:
            return LATEST
        return real + state.offset

    def set(
        self,
        *,
        release: bool = False,
        freeze: bool = False,
        at: datetime | None = None,
        advance_seconds: float | None = None,
    ) -> None:
        """Release, then freeze (now or `at`), then advance, all or nothing."""

        def change(state: ClockState) -> ClockState:
            frozen_at, offset = state.frozen_at, state.offset
            if release:
                frozen_at, offset = None, timedelta()
            real = datetime.now(UTC)
            current = frozen_at if frozen_at is not None else real + offset
            if at is not None:
                frozen_at = _checked(at)
            elif freeze:
                frozen_at = _checked(current)
            if advance_seconds is not None:
                if frozen_at is not None:
                    frozen_at = _shifted(frozen_at, advance_seconds)
                else:
                    offset = _shifted(current, advance_seconds) - real
            return ClockState(frozen_at=frozen_at, offset=offset)

        self.store.update(change)

    def freeze(self, at: datetime | None = None) -> None:
        self.set(freeze=True, at=at)

    def advance(self, seconds: float) -> None:
        self.set(advance_seconds=seconds)

    def unfreeze(self) -> None:
        self.set(release=True)

    @property
    def frozen(self) -> bool:
        return self.store.get().frozen_at is not None


def rfc3339(moment: datetime) -> str:
    """`2025-01-15T10:30:00Z`: UTC, whole seconds, as the vendors' examples write it; each
    second formatted once, however many answers and journal entries stamp it."""
    return _rfc3339_second(math.floor(moment.timestamp()))


@functools.lru_cache(maxsize=16)
def _rfc3339_second(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
