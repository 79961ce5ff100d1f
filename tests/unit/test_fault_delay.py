"""An injected delay lasts at least as long as the rule says, whatever the event loop's timers."""

from __future__ import annotations

import asyncio
import time

import pytest

from tagfake.pipeline.faults import sleep_at_least


@pytest.mark.parametrize("seconds", [0.0, 0.0015, 0.02])
def test_sleep_at_least_never_wakes_early(seconds: float) -> None:
    async def timed() -> float:
        started = time.monotonic()
        await sleep_at_least(seconds)
        return time.monotonic() - started

    assert asyncio.run(timed()) >= seconds


def test_sleep_at_least_sleeps_again_when_a_timer_fires_early() -> None:
    now = [100.0]
    naps: list[float] = []

    async def early(delay: float) -> None:
        naps.append(delay)
        now[0] += delay / 2 if len(naps) == 1 else delay  # the first timer fires at half time

    asyncio.run(sleep_at_least(0.02, clock=lambda: now[0], sleep=early))
    assert now[0] >= 100.02
    assert naps == [pytest.approx(0.02), pytest.approx(0.01)]
