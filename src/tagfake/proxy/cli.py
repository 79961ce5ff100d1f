"""`tagfake proxy` and `tagfake fixtures from-har` (the latter needs no server)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tagfake.settings import VENDORS

PROXY_EPILOG = """\
examples:
  tagfake proxy --vendor zapini --upstream https://zapini.app/api/v1 --port 8081
  tagfake proxy --vendor nexor --upstream https://api.getnexor.ai/api/public \\
      --shadow --import-reads --record recordings/
  TAGFAKE_UPSTREAM_NEXOR=https://api.getnexor.ai/api/public tagfake proxy --vendor nexor

The app points at the proxy instead of the vendor (same paths, same credential). Nothing is sent
upstream that the app did not send, except, with --import-reads, the vendor's own GETs that fill
the shadow's state (listed in the README).
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "proxy",
        help="check an app's traffic to a vendor's API against the spec (and against tagfake)",
        description="Forward each request to the vendor's API (the upstream), checking request "
        "and answer against the vendor's spec; violations in X-Tagfake-Violations, the journal "
        "and a report.",
        epilog=PROXY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--vendor", required=True, choices=VENDORS)
    p.add_argument(
        "--upstream",
        help="the vendor's API base URL (default $TAGFAKE_UPSTREAM_<VENDOR>)",
    )
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    p.add_argument(
        "--timeout",
        type=float,
        help="seconds the upstream may take before the app gets a 502 "
        "(default $TAGFAKE_UPSTREAM_TIMEOUT, else 10)",
    )
    p.add_argument(
        "--request-check",
        dest="request_check",
        choices=["report", "enforce"],
        help="report (default): a request that breaks the spec is reported and forwarded "
        "unchanged; enforce: it gets the vendor's error and is not forwarded",
    )
    p.add_argument(
        "--shadow",
        action="store_true",
        default=None,
        help="also answer each request from tagfake's own state and report the differences",
    )
    p.add_argument(
        "--import-reads",
        dest="import_reads",
        action="store_true",
        default=None,
        help="with --shadow: fill the shadow's state from the upstream with the vendor's own "
        "GETs (tags, the entities the traffic touches); without it, from --fixtures",
    )
    p.add_argument("--fixtures", dest="fixtures_dir", help="the shadow's fixtures folder")
    p.add_argument(
        "--admin-token",
        dest="admin_token",
        metavar="TOKEN",
        help="require this token on every /__admin call of the proxy (as for serve; prefer "
        "TAGFAKE_ADMIN_TOKEN)",
    )
    p.add_argument(
        "--allowed-hosts",
        dest="allowed_hosts",
        metavar="NAMES",
        help="host names the proxy's admin API answers to besides IPs and localhost",
    )
    p.add_argument(
        "--log-format",
        dest="log_format",
        choices=["text", "json"],
        help="json: one JSON line per request on stdout",
    )
    p.add_argument("--seed", type=int, help="the shadow's generated ids, reproducible")
    p.add_argument("--record", dest="record_dir", type=Path, help="write a HAR file here")
    p.add_argument(
        "--report-dir", dest="report_dir", type=Path, help="report.json/html (./reports/proxy)"
    )
    p.set_defaults(handler=cmd_proxy)

    f = sub.add_parser("fixtures", help="fixture scenarios: make one from a HAR recording")
    fsub = f.add_subparsers(dest="fixtures_command", required=True)
    h = fsub.add_parser(
        "from-har",
        help="turn a `tagfake proxy --record` HAR into a fixture scenario",
        description="The tags and entities (with their tag sets) a recording saw, as a fixture "
        "scenario for `serve --fixtures` or `tagfake seed`. Credentials are redacted in the "
        "recording: each tenant gets a placeholder credential (or --credential).",
    )
    h.add_argument("har", type=Path, help="the HAR file")
    h.add_argument(
        "--out",
        type=Path,
        default=Path("fixtures-from-har"),
        help="folder: writes <out>/<vendor>/<scenario>.yaml (./fixtures-from-har); - for stdout",
    )
    h.add_argument("--scenario", default="default", help="the scenario's name (default)")
    h.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="TENANT=CREDENTIAL",
        help="the credential to give a tenant of the recording (repeatable)",
    )
    h.set_defaults(handler=cmd_from_har)


def cmd_proxy(args: argparse.Namespace) -> int:
    from tagfake.cli import settings_from
    from tagfake.fixtures import FixtureError
    from tagfake.proxy.options import ProxyOptions
    from tagfake.proxy.server import serve_proxy

    try:
        settings = settings_from(args)
        options = ProxyOptions.from_env(
            args.vendor,
            upstream=args.upstream,
            timeout=args.timeout,
            request_check=args.request_check,
            shadow=args.shadow,
            import_reads=args.import_reads,
            record_dir=args.record_dir,
            report_dir=args.report_dir,
        )
    except ValueError as exc:
        print(f"tagfake proxy: {exc}", file=sys.stderr)
        return 2
    try:
        return serve_proxy(settings, options)
    except FixtureError as exc:
        print(f"tagfake proxy: bad fixture: {exc}", file=sys.stderr)
        return 2


def cmd_from_har(args: argparse.Namespace) -> int:
    from tagfake.proxy.from_har import HarError, fixture_from_har, write_fixture

    credentials: dict[str, str] = {}
    for item in args.credential:
        tenant, sep, value = item.partition("=")
        if not sep or not tenant or not value:
            print(
                f"tagfake fixtures: --credential wants TENANT=CREDENTIAL, not {item!r}",
                file=sys.stderr,
            )
            return 2
        credentials[tenant] = value
    try:
        vendor, doc = fixture_from_har(args.har, credentials)
    except HarError as exc:
        print(f"tagfake fixtures: {exc}", file=sys.stderr)
        return 2
    text = write_fixture(vendor, doc)
    if str(args.out) == "-":
        sys.stdout.write(text)
        return 0
    path = args.out / vendor / f"{args.scenario}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    tenants = ", ".join(doc["tenants"])
    print(f"wrote {path} ({vendor}: tenants {tenants})")
    return 0
