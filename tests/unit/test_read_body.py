"""A request body is read whole within its deadline or refused: a body that stops arriving is
BodyTooSlow once the deadline passes (and the task goes on, not left cancelled), one over the
limit BodyTooLarge, and a cancellation from outside (a server shutting down) still cancels."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop

from tagfake.deadlines import deadlines_for
from tagfake.pipeline.http import BodyTooLarge, BodyTooSlow, Message, read_body


def _chunks(*parts: bytes, then_stall: bool = False) -> Any:
    queue = [
        {"type": "http.request", "body": p, "more_body": then_stall or i < len(parts) - 1}
        for i, p in enumerate(parts)
    ]

    async def receive() -> Message:
        if queue:
            await asyncio.sleep(0)
            return queue.pop(0)
        await asyncio.sleep(3600)  # the client stopped sending
        raise AssertionError("unreachable")

    return receive


def test_a_body_in_chunks_is_read_whole() -> None:
    got = asyncio.run(read_body(_chunks(b'{"a":', b"1}"), limit=100, timeout=5))
    assert got == b'{"a":1}'


def test_a_body_that_stops_arriving_is_too_slow_and_the_task_goes_on() -> None:
    async def scenario() -> int:
        with pytest.raises(BodyTooSlow):
            await read_body(_chunks(b'{"a":', then_stall=True), limit=100, timeout=0.05)
        task = asyncio.current_task()
        assert task is not None
        await asyncio.sleep(0)  # not cancelled: the deadline's cancellation was taken back
        return task.cancelling()

    assert asyncio.run(scenario()) == 0


def test_a_body_over_the_limit_is_too_large() -> None:
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_body(_chunks(b"x" * 60, b"x" * 60), limit=100, timeout=5))


def test_a_cancellation_from_outside_still_cancels() -> None:
    async def scenario() -> None:
        reading = asyncio.create_task(
            read_body(_chunks(b"{", then_stall=True), limit=100, timeout=5)
        )
        await asyncio.sleep(0.01)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading

    asyncio.run(scenario())


@pytest.mark.parametrize("loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop])
def test_among_many_bodies_only_the_stalled_one_is_too_slow(loop_factory: Any) -> None:
    async def scenario() -> tuple[list[Any], int]:
        loop = asyncio.get_running_loop()
        reads = [  # half told the loop, as `tagfake serve` tells it, half asking for it
            read_body(
                _chunks(b"{", then_stall=True) if i == 7 else _chunks(b"{}"),
                100,
                0.05,
                loop if i % 2 else None,
            )
            for i in range(40)
        ]
        got = await asyncio.gather(*reads, return_exceptions=True)
        return got, len(deadlines_for(loop, 0.05))

    loop = loop_factory()
    try:
        got, pending = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert [type(g) for g in got] == [bytes] * 7 + [BodyTooSlow] + [bytes] * 32
    assert pending == 0  # every read took its deadline back
