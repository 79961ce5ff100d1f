"""`tagfake reset | seed | journal | faults`: talk to a running server's admin API."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the admin subcommands (each sets `handler`)."""
