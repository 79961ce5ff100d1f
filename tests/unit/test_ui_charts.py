"""The dashboard's charts: journal entries into per-second rates by status class and latency
percentiles per bucket, drawn as SVG."""

from __future__ import annotations

from typing import Any

from tagfake.ui.charts import latency_chart, percentile, rate_chart, series_by_vendor

NOW = 1_000_000.0


def entry(vendor: str, ago: float, status: int, ms: float) -> dict[str, Any]:
    return {"vendor": vendor, "wall_time": NOW - ago, "status": status, "duration_ms": ms}


def test_nearest_rank_percentiles() -> None:
    values = sorted(float(v) for v in range(1, 101))
    assert [percentile(values, p) for p in (50, 95, 99)] == [50.0, 95.0, 99.0]
    assert percentile([7.0], 99) == 7.0


def test_entries_fall_into_buckets_by_vendor_and_status_class() -> None:
    entries = [
        entry("healvi", 5, 200, 1),
        entry("healvi", 6, 201, 3),
        entry("healvi", 7, 404, 2),
        entry("healvi", 8, 0, 9),  # dropped by a fault
        entry("healvi", 55, 503, 4),
        entry("healvi", 61, 200, 1),  # older than the window
        entry("zapini", 5, 200, 1),
        entry("nobody", 5, 200, 1),  # not served: ignored
        {"vendor": "healvi", "status": 200, "duration_ms": 1},  # journaled before wall_time
    ]
    series = series_by_vendor(entries, ["healvi", "zapini"], NOW, minutes=1, buckets=6)
    healvi = series["healvi"]
    assert healvi.total == 5
    assert healvi.counts["2xx"] == [0, 0, 0, 0, 0, 2]
    assert healvi.counts["4xx"][5] == healvi.counts["dropped"][5] == 1
    assert healvi.counts["5xx"][0] == 1
    assert healvi.rates()["2xx"][5] == 0.2  # two in a 10 s bucket
    lat = healvi.latencies()
    assert lat["p50"][5] == 2.0 and lat["p99"][5] == 9.0
    assert lat["p50"][1] is None  # nothing came: a gap, not a zero
    assert series["zapini"].total == 1


def test_the_svg_draws_a_bar_per_class_and_a_line_per_percentile() -> None:
    series = series_by_vendor(
        [entry("healvi", 5, 200, 1), entry("healvi", 15, 422, 8)], ["healvi"], NOW, 1, 6
    )
    rates = rate_chart("healvi", series["healvi"], 1)
    assert rates.count('data-class="2xx"') == 1 and rates.count('data-class="4xx"') == 1
    latency = latency_chart("healvi", series["healvi"], 1)
    assert latency.count("<polyline") == 3
    assert rate_chart("<b>", series["healvi"], 1).count("<b>") == 0  # names are escaped
