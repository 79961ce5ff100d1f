"""The admin clock refuses any change that would take it out of its range (set or advance, frozen
or running) as a 422 problem and stays as it was; it never answers 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tagfake.clock import LATEST, Clock, ClockRangeError
from tests.conftest import World
from tests.envelopes import error_envelope_ok


def clock(world: World, body: dict[str, Any] | None = None) -> Any:
    if body is None:
        return world.http.get("/__admin/clock")
    return world.http.post("/__admin/clock", json=body)


def test_advancing_past_the_end_of_time_is_a_422_and_changes_nothing(world: World) -> None:
    assert clock(world, {"at": "9999-12-31T23:59:59Z"}).status_code == 200
    before = clock(world).json()
    r = clock(world, {"advance_seconds": 86400})
    assert r.status_code == 422, r.text
    error_envelope_ok("admin", r)
    assert "advance_seconds" in r.json()["errors"]
    assert clock(world).json() == before == {"now": "9999-12-31T23:59:59Z", "frozen": True}
    # the vendors still answer with that moment
    assert (
        world.client("zapini")
        .post("/tags", json={"name": "Late", "color": "#000000"})
        .json()["data"]["tag"]["created_at"]
        == "9999-12-31T23:59:59Z"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"at": "1969-12-31T23:59:59Z"},
        {"at": "0001-01-01T00:00:00Z"},
        {"at": "9999-12-31T23:59:59-01:00"},  # in range as written, past the end in UTC
        {"at": "0001-01-01T00:00:00+01:00"},  # before datetime's own start in UTC
        {"at": "9999-12-01T00:00:00Z", "advance_seconds": 315360000},
        {"release": True, "at": "1900-01-01T00:00:00Z"},  # not even the release happens
        {"at": "not a time"},
    ],
)
def test_out_of_range_or_bad_clock_values_are_refused_whole(
    world: World, body: dict[str, Any]
) -> None:
    clock(world, {"at": "2030-01-01T00:00:00Z"})
    before = clock(world).json()
    r = clock(world, body)
    assert r.status_code in {400, 422}, r.text
    error_envelope_ok("admin", r)
    assert clock(world).json() == before  # neither released nor moved


def test_a_running_clock_cannot_be_advanced_past_the_end() -> None:
    c = Clock()
    c.advance(315360000)  # ten years: fine
    with pytest.raises(ClockRangeError):
        c.advance(8000 * 365 * 86400)
    assert c.now().year < 2100
    c.set(at=LATEST)
    c.set(release=True)
    assert not c.frozen


def test_a_running_clock_near_the_end_never_overflows() -> None:
    c = Clock()
    c.set(at=datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC))
    c.set(release=True)
    offset_end = LATEST - datetime.now(UTC)
    c.set(advance_seconds=offset_end.total_seconds() - 1)
    assert c.now() <= LATEST
    # As if real time ran on for a while: the offset, checked when set, now points past the end.
    c._offset += timedelta(seconds=30)
    assert c.now() == LATEST
