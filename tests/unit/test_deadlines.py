"""Deadlines of one length share one loop timer and still each fire on time: a stopped one
never, the others in the order they were started, a quiet loop's next one too, and one
expiry that fails neither stops the rest nor the loop. On asyncio's loop and on uvloop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import uvloop

from tagfake.deadlines import Deadlines, deadlines_for

LENGTH = 0.05


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Iterator[Callable[[Any], Any]]:
    factory = asyncio.new_event_loop if request.param == "asyncio" else uvloop.new_event_loop
    loop = factory()
    yield loop.run_until_complete
    loop.close()


def test_each_fires_once_after_its_length_and_a_stopped_one_never(run: Any) -> None:
    async def scenario() -> tuple[list[str], list[float]]:
        loop = asyncio.get_running_loop()
        deadlines = deadlines_for(loop, LENGTH)
        fired: list[str] = []
        late: list[float] = []
        started = {}
        for name in "abcd":
            started[name] = loop.time()

            def expire(name: str = name) -> None:
                fired.append(name)
                late.append(loop.time() - started[name])

            token = deadlines.start(expire)
            if name == "b":
                deadlines.stop(token)
            await asyncio.sleep(0.01)
        await asyncio.sleep(LENGTH * 4)
        return fired, late

    fired, late = run(scenario())
    assert fired == ["a", "c", "d"]
    assert all(LENGTH - 0.005 <= t < LENGTH + 1.0 for t in late)


def test_many_pending_deadlines_hold_one_loop_timer(run: Any) -> None:
    async def scenario() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        timers = 0
        real_call_at = loop.call_at

        class Counting:  # the loop as Deadlines sees it, counting the timers it sets
            def time(self) -> float:
                return loop.time()

            def call_at(self, when: float, callback: Any) -> asyncio.TimerHandle:
                nonlocal timers
                timers += 1
                return real_call_at(when, callback)

        deadlines = Deadlines(Counting(), LENGTH)  # type: ignore[arg-type]
        fired: list[int] = []
        for i in range(500):
            token = deadlines.start(partial(fired.append, i))
            if i % 2:
                deadlines.stop(token)
        pending = timers
        await asyncio.sleep(LENGTH * 4)
        assert fired == list(range(0, 500, 2))
        return pending, len(deadlines)

    assert run(scenario()) == (1, 0)


def test_a_deadline_after_a_quiet_spell_fires_too(run: Any) -> None:
    async def scenario() -> list[int]:
        deadlines = deadlines_for(asyncio.get_running_loop(), LENGTH)
        fired: list[int] = []
        deadlines.start(lambda: fired.append(1))
        await asyncio.sleep(LENGTH * 3)  # fired, nothing pending: no timer left
        deadlines.start(lambda: fired.append(2))
        await asyncio.sleep(LENGTH * 3)
        return fired

    assert run(scenario()) == [1, 2]


def test_a_failing_expiry_is_reported_and_the_rest_still_fire(run: Any) -> None:
    async def scenario() -> tuple[list[str], list[Any]]:
        loop = asyncio.get_running_loop()
        reported: list[Any] = []
        loop.set_exception_handler(lambda _, context: reported.append(context["exception"]))
        deadlines = deadlines_for(loop, LENGTH)
        fired: list[str] = []

        def fails() -> None:
            raise RuntimeError("boom")

        deadlines.start(fails)
        deadlines.start(lambda: fired.append("after"))
        await asyncio.sleep(LENGTH * 4)
        return fired, reported

    fired, reported = run(scenario())
    assert fired == ["after"]
    assert [str(e) for e in reported] == ["boom"]


def test_each_loop_and_length_has_its_own(run: Any) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        assert deadlines_for(loop, 1.0) is deadlines_for(loop, 1.0)
        assert deadlines_for(loop, 1.0) is not deadlines_for(loop, 2.0)

    run(scenario())
    other = asyncio.new_event_loop()
    try:
        mine = other.run_until_complete(_deadlines_here(1.0))
        theirs = asyncio.run(_deadlines_here(1.0))
        assert mine is not theirs
    finally:
        other.close()


async def _deadlines_here(seconds: float) -> Deadlines:
    return deadlines_for(asyncio.get_running_loop(), seconds)
