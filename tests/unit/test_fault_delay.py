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


def test_sleep_at_least_sleeps_again_when_a_timer_fires_early(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_sleep = asyncio.sleep
    naps: list[float] = []

    async def early(delay: float) -> None:
        naps.append(delay)
        await real_sleep(delay * 0.5)  # a timer that fires at half time

    monkeypatch.setattr(asyncio, "sleep", early)
    started = time.monotonic()
    asyncio.run(sleep_at_least(0.02))
    assert time.monotonic() - started >= 0.02
    assert len(naps) > 1
