"""tagfake: a stateful mock and contract-testing server for healvi, CommBox, Zapini and Nexor."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tagfake import __version__
from tagfake.contract.spec import SpecError
from tagfake.fixtures import FixtureError
from tagfake.settings import VENDORS, Settings


def _serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the fake vendors (all four by default)")
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    p.add_argument(
        "--vendor",
        choices=VENDORS,
        help="serve only this vendor, at its own base path (e.g. /api/v1 for zapini)",
    )
    p.add_argument("--fixtures", dest="fixtures_dir", help="folder of <vendor>/default.yaml")
    p.add_argument(
        "--validation",
        choices=["off", "report", "enforce"],
        help="check answers against the spec: report (default) adds X-Tagfake-Violations, "
        "enforce turns a breach into the vendor's 500",
    )
    p.add_argument("--seed", type=int, help="make generated ids reproducible")
    p.add_argument(
        "--store",
        help="where the state lives: memory (default; one process), sqlite:PATH (a file: "
        "kept across restarts and kill -9, shared by --workers) or redis://HOST:PORT/DB "
        "(also rediss:// and unix:///PATH: shared by replicas on any machine)",
    )
    p.add_argument(
        "--store-prefix",
        dest="store_prefix",
        help="prefix of every Redis key of this world (default tagfake:)",
    )
    p.add_argument(
        "--store-timeout",
        dest="store_timeout",
        type=float,
        metavar="SECONDS",
        help="a Redis call taking longer fails its request with a 503 (default 2)",
    )
    p.add_argument(
        "--state-file",
        dest="state_file",
        metavar="PATH",
        help="another name for --store sqlite:PATH",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="worker processes on one port (default 1; more need --store sqlite:PATH or redis)",
    )
    p.add_argument(
        "--journal-bytes",
        dest="journal_bytes",
        type=int,
        help="the journal keeps its newest entries within this many bytes (default 64 MiB)",
    )
    p.add_argument(
        "--journal-body-bytes",
        dest="journal_body_bytes",
        type=int,
        help="the journal keeps at most this many bytes of one body (default 256 KiB)",
    )
    p.add_argument(
        "--log-format",
        dest="log_format",
        choices=["text", "json"],
        help="json: one JSON line per request on stdout",
    )
    p.add_argument(
        "--body-timeout",
        dest="body_timeout",
        type=float,
        metavar="SECONDS",
        help="a request's headers, and then its body, must arrive within this (default 5); "
        "a slower body gets the vendor's 400 and the connection is closed",
    )
    p.add_argument(
        "--max-connections",
        dest="max_connections",
        type=int,
        metavar="N",
        help="connections served at once (default 1000); requests beyond get a 503",
    )
    p.add_argument(
        "--rate-limits",
        dest="rate_limits",
        action="store_true",
        default=None,
        help="enforce the vendors' documented rate limits (Zapini 100 / 15 min; CommBox)",
    )
    p.add_argument(
        "--admin-token",
        dest="admin_token",
        metavar="TOKEN",
        help="require this token on every /__admin call (X-Tagfake-Admin-Token or "
        "Authorization: Bearer); prefer TAGFAKE_ADMIN_TOKEN, which `ps` does not show",
    )
    p.add_argument(
        "--allowed-hosts",
        dest="allowed_hosts",
        metavar="NAMES",
        help="comma list of host names the admin API answers to besides IP addresses and "
        "localhost, e.g. tagfake (a container's service name); * for any",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {
        k: getattr(args, k, None)
        for k in (
            "host",
            "port",
            "fixtures_dir",
            "validation",
            "seed",
            "store",
            "state_file",
            "workers",
            "store_prefix",
            "store_timeout",
            "journal_bytes",
            "journal_body_bytes",
            "log_format",
            "rate_limits",
            "body_timeout",
            "max_connections",
            "admin_token",
        )
    }
    if getattr(args, "allowed_hosts", None) is not None:
        overrides["allowed_hosts"] = tuple(
            h.strip() for h in str(args.allowed_hosts).split(",") if h.strip()
        )
    for key in ("fixtures_dir", "state_file"):
        if overrides[key] is not None:
            overrides[key] = Path(str(overrides[key]))
    if getattr(args, "vendor", None):
        overrides["vendors"] = (args.vendor,)
        overrides["single_vendor"] = True
    return Settings.from_env(None, **overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from tagfake.server import serve

    try:
        settings = settings_from(args)
    except ValueError as exc:
        print(f"tagfake: {exc}", file=sys.stderr)
        return 2
    try:
        return serve(settings)
    except FixtureError as exc:
        print(f"tagfake: bad fixture: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        print(f"tagfake: bad spec: {exc}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tagfake", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tagfake {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    from tagfake.proxy.cli import register as register_proxy
    from tagfake.suite.cli import register as register_contract
    from tagfake.testing.cli import register as register_admin

    register_contract(sub)
    register_proxy(sub)
    register_admin(sub)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", cmd_serve)
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
