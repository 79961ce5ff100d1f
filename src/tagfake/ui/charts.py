"""Requests per second by status class and latency percentiles, per vendor, as inline SVG.

Drawn from the journal's entries (their wall-clock `wall_time` and `duration_ms`), so the charts
cover what the journal still holds: its capacity bounds both the memory and the time they span.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

CLASSES = ("2xx", "3xx", "4xx", "5xx", "dropped")
COLOURS = {
    "2xx": "#2f855a",
    "3xx": "#2b6cb0",
    "4xx": "#d69e2e",
    "5xx": "#c53030",
    "dropped": "#4a5568",
    "p50": "#2b6cb0",
    "p95": "#d69e2e",
    "p99": "#c53030",
}
PERCENTILES = (50, 95, 99)
WIDTH, HEIGHT, PAD, TOP = 640, 190, 36, 44


def status_class(status: int) -> str:
    return "dropped" if status == 0 else f"{status // 100}xx"


def percentile(sorted_values: list[float], p: int) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Series:
    """One vendor's buckets: counts by status class and the durations seen in each bucket."""

    start: float
    step: float
    buckets: int
    counts: dict[str, list[int]] = field(default_factory=dict)
    durations: list[list[float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counts = {c: [0] * self.buckets for c in CLASSES}
        self.durations = [[] for _ in range(self.buckets)]

    def add(self, entry: dict[str, Any]) -> None:
        i = int((entry["wall_time"] - self.start) // self.step)
        if 0 <= i < self.buckets:
            self.counts[status_class(entry["status"])][i] += 1
            self.durations[i].append(float(entry["duration_ms"]))

    @property
    def total(self) -> int:
        return sum(sum(c) for c in self.counts.values())

    def rates(self) -> dict[str, list[float]]:
        return {c: [n / self.step for n in counts] for c, counts in self.counts.items()}

    def latencies(self) -> dict[str, list[float | None]]:
        out: dict[str, list[float | None]] = {f"p{p}": [] for p in PERCENTILES}
        for values in self.durations:
            ordered = sorted(values)
            for p in PERCENTILES:
                out[f"p{p}"].append(percentile(ordered, p) if ordered else None)
        return out


def series_by_vendor(
    entries: Iterable[dict[str, Any]], vendors: list[str], now: float, minutes: int, buckets: int
) -> dict[str, Series]:
    step = minutes * 60 / buckets
    start = now - minutes * 60
    out = {v: Series(start, step, buckets) for v in vendors}
    for e in entries:
        s = out.get(e["vendor"])
        if s is not None and "wall_time" in e:
            s.add(e)
    return out


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if value <= m * magnitude:
            return float(m * magnitude)
    return float(10 * magnitude)


def _frame(title: str, top: float, unit: str, minutes: int, legend: list[str]) -> list[str]:
    inner_h = HEIGHT - TOP - PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" class="chart"><title>{escape(title)}</title>',
        f'<text x="{PAD}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(5):
        y = TOP + inner_h * i / 4
        value = top * (4 - i) / 4
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{PAD - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{value:g}</text>"
        )
    parts.append(
        f'<text x="{PAD}" y="{HEIGHT - 8}" class="axis">-{minutes} min</text>'
        f'<text x="{WIDTH - 8}" y="{HEIGHT - 8}" class="axis" text-anchor="end">now</text>'
        f'<text x="{WIDTH - 8}" y="16" class="axis" text-anchor="end">{escape(unit)}</text>'
    )
    x = PAD
    for name in legend:
        parts.append(
            f'<rect x="{x}" y="23" width="10" height="10" fill="{COLOURS[name]}"/>'
            f'<text x="{x + 14}" y="32" class="axis">{name}</text>'
        )
        x += 64
    return parts


def rate_chart(vendor: str, s: Series, minutes: int) -> Markup:
    """Stacked bars: requests per second in each bucket, by status class."""
    rates = s.rates()
    stacked = [sum(rates[c][i] for c in CLASSES) for i in range(s.buckets)]
    top = _nice_max(max(stacked, default=0.0))
    inner_w, inner_h = WIDTH - PAD - 8, HEIGHT - TOP - PAD
    bar = inner_w / s.buckets
    parts = _frame(f"{vendor}: requests/s by status", top, "req/s", minutes, list(CLASSES))
    for i in range(s.buckets):
        y: float = TOP + inner_h
        for c in CLASSES:
            h = rates[c][i] / top * inner_h
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{PAD + i * bar + 1:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" '
                    f'height="{h:.1f}" fill="{COLOURS[c]}" data-class="{c}">'
                    f"<title>{c}: {rates[c][i]:.2f} req/s</title></rect>"
                )
    parts.append("</svg>")
    return Markup("".join(parts))


def latency_chart(vendor: str, s: Series, minutes: int) -> Markup:
    """Lines: p50, p95 and p99 of the answer time in each bucket (gaps where nothing came)."""
    lat = s.latencies()
    top = _nice_max(max((v or 0.0 for line in lat.values() for v in line), default=0.0))
    inner_w, inner_h = WIDTH - PAD - 8, HEIGHT - TOP - PAD
    bar = inner_w / s.buckets
    parts = _frame(f"{vendor}: latency", top, "ms", minutes, [f"p{p}" for p in PERCENTILES])
    for name, line in lat.items():
        points = [
            (PAD + (i + 0.5) * bar, TOP + inner_h - v / top * inner_h, v)
            for i, v in enumerate(line)
            if v is not None
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{COLOURS[name]}" '
                f'stroke-width="2" data-series="{name}"/>'
            )
            # A dot per bucket, so a lone bucket (a line of one point) is seen too.
            parts += [
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{COLOURS[name]}">'
                f"<title>{name}: {v:.1f} ms</title></circle>"
                for x, y, v in points
            ]
    parts.append("</svg>")
    return Markup("".join(parts))
