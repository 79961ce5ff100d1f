"""Deadlines of one length on one event loop, sharing one timer.

Every request has two: its headers must come within the request timeout (`connections`) and
its body within the body timeout (`pipeline.http.read_body`). Nearly all are met within a
millisecond and cancelled. A loop timer for each — `call_later` and then `cancel` — showed as
about 5 % of a request's CPU under load on uvloop (each one a libuv handle made, started,
stopped and closed). Here a deadline is an entry in an insertion-ordered dict: all of one
length, added as time goes on, the first entry is always due first, and one timer, set for the
earliest, finds on firing what is due and sets itself for the next.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from collections.abc import Callable

_deadlines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, Deadlines]] = (
    weakref.WeakKeyDictionary()
)


class Deadlines:
    __slots__ = ("_due", "_ids", "_loop", "_seconds", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self._loop = loop
        self._seconds = seconds
        self._due: dict[int, tuple[float, Callable[[], None]]] = {}
        self._ids = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, expire: Callable[[], None]) -> int:
        """Call `expire` once, `seconds` from now, unless `stop` is called first."""
        due = self._loop.time() + self._seconds
        token = next(self._ids)
        self._due[token] = (due, expire)
        if self._timer is None:
            self._timer = self._loop.call_at(due, self._fire)
        return token

    def stop(self, token: int) -> None:
        self._due.pop(token, None)

    def __len__(self) -> int:
        return len(self._due)

    def _fire(self) -> None:
        self._timer = None
        now = self._loop.time()
        due = self._due
        while due:
            token = next(iter(due))
            when, expire = due[token]
            if when > now:
                self._timer = self._loop.call_at(when, self._fire)
                return
            del due[token]
            try:
                expire()
            except Exception as exc:  # one failing expiry must not keep the others waiting
                self._loop.call_exception_handler(
                    {"message": "a deadline's expiry failed", "exception": exc}
                )


def deadlines_for(loop: asyncio.AbstractEventLoop, seconds: float) -> Deadlines:
    """The loop's deadlines of this length (made on first use, gone with the loop)."""
    of_loop = _deadlines.get(loop)
    if of_loop is None:
        of_loop = _deadlines[loop] = {}
    found = of_loop.get(seconds)
    if found is None:
        found = of_loop[seconds] = Deadlines(loop, seconds)
    return found
