"""The options `bench.paired` and `bench.instructions` share."""

from __future__ import annotations

import argparse


def add_load_options(p: argparse.ArgumentParser) -> None:
    """Which requests, against which bare apps, how many connections, whether to write."""
    p.add_argument("--scenarios", default="get,put,create", help="comma-separated (get,put,create)")
    p.add_argument(
        "--against", default="bare-uvicorn", help="comma-separated: bare-uvicorn, bare-granian"
    )
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--no-write", action="store_true")


def listed(text: str) -> list[str]:
    """`a,b,` → ["a", "b"]."""
    return [part for part in text.split(",") if part]
