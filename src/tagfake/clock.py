"""The clock behind every timestamp; it can be frozen and advanced for deterministic runs.

Its time stays within [EARLIEST, LATEST], so every moment it shows is a four-digit-year RFC 3339
timestamp and `now()` cannot overflow Python's datetime. A change that would leave that range
is refused as a whole (ClockRangeError) and changes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

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
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta()

    def _now(self) -> datetime:
        if self._frozen_at is not None:
            return self._frozen_at
        real = datetime.now(UTC)
        # Real time keeps running after an offset was checked; it never runs past LATEST.
        if self._offset > LATEST - real:
            return LATEST
        return real + self._offset

    def now(self) -> datetime:
        with self._lock:
            return self._now()

    def set(
        self,
        *,
        release: bool = False,
        freeze: bool = False,
        at: datetime | None = None,
        advance_seconds: float | None = None,
    ) -> None:
        """Release, then freeze (now or `at`), then advance, all or nothing."""
        with self._lock:
            frozen_at, offset = self._frozen_at, self._offset
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
            self._frozen_at, self._offset = frozen_at, offset

    def freeze(self, at: datetime | None = None) -> None:
        self.set(freeze=True, at=at)

    def advance(self, seconds: float) -> None:
        self.set(advance_seconds=seconds)

    def unfreeze(self) -> None:
        self.set(release=True)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None


def rfc3339(moment: datetime) -> str:
    """`2025-01-15T10:30:00Z`: UTC, whole seconds, as the vendors' examples write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
