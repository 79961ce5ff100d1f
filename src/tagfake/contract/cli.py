"""`tagfake contract`: the contract suite against a base URL (implemented in issue #3)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("contract", help="run the contract suite against a base URL")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print("tagfake contract: not available yet")
    return 2
