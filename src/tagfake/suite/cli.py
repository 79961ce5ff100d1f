"""`tagfake contract`: the contract suite against a base URL — a running tagfake (every vendor it
serves, credentials and entities from its admin API) or one vendor's own sandbox."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from tagfake.settings import VENDORS

EPILOG = """\
examples:
  tagfake contract --base-url http://127.0.0.1:8080            # a tagfake server: all vendors
  tagfake contract --vendor nexor --base-url https://api.getnexor.ai/api/public \\
      --credential "$NEXOR_KEY" --lead-email qa-lead@example.com --lead-email qa-2@example.com
  tagfake contract --vendor zapini --base-url https://zapini.app/api/v1 \\
      --credential "$ZAPINI_TOKEN" --conversation-id 550e8400-e29b-41d4-a716-446655440045 --dry-run

Everything the run creates is named tagfake-<run>-… and deleted at the end where the API can;
only the entities named are changed, and their tags are restored where the API allows.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "contract",
        help="run the contract suite against a base URL (tagfake or a vendor's sandbox)",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--base-url",
        default=os.environ.get("TAGFAKE_URL"),
        help="the server: tagfake's root, or the vendor's API base URL (default $TAGFAKE_URL)",
    )
    p.add_argument(
        "--vendor",
        action="append",
        choices=VENDORS,
        default=[],
        help="vendor to check (repeatable; default: every vendor tagfake serves)",
    )
    p.add_argument(
        "--admin-token",
        default=os.environ.get("TAGFAKE_ADMIN_TOKEN"),
        metavar="TOKEN",
        help="a tagfake server's admin token, if it has one (default $TAGFAKE_ADMIN_TOKEN)",
    )
    p.add_argument("--credential", help="the tenant's credential (token or X-API-Key)")
    p.add_argument(
        "--other-credential", help="a second tenant's credential, for the tenant-isolation checks"
    )
    g = p.add_argument_group("entities the run may change (their tags are restored)")
    g.add_argument("--lead-email", action="append", default=[], help="nexor lead, by email")
    g.add_argument("--lead-id", action="append", default=[], help="nexor lead, by id")
    g.add_argument("--conversation-id", action="append", default=[], help="zapini conversation")
    g.add_argument("--profile-id", action="append", type=int, default=[], help="healvi profile")
    g.add_argument("--stream", type=int, help="CommBox stream of the --object(s)")
    g.add_argument(
        "--object",
        action="append",
        default=[],
        help="CommBox conversation: OBJECT (with --stream) or STREAM/OBJECT",
    )
    g.add_argument(
        "--restore-tag-ids",
        action="append",
        type=_restore,
        default=[],
        metavar="[PROFILE=]ID,ID",
        help="healvi: the tag ids to give a profile (or every profile) back at the end, since "
        "healvi cannot show a profile's tags (repeatable)",
    )
    b = p.add_argument_group("budget")
    b.add_argument(
        "--max-requests",
        type=int,
        help="stop testing after this many requests (clean-up and restore still run)",
    )
    b.add_argument("--examples", type=int, default=10, help="examples per property (10)")
    b.add_argument("--machine-examples", type=int, default=8, help="state machine runs (8)")
    b.add_argument("--machine-steps", type=int, default=12, help="steps per run (12)")
    b.add_argument(
        "--schemathesis",
        choices=["full", "safe", "off"],
        help="full: every phase and check; safe: read-only operations; "
        "default full against tagfake, safe against a vendor",
    )
    b.add_argument("--schemathesis-examples", type=int, default=5)
    b.add_argument(
        "--max-wait",
        type=float,
        default=120.0,
        help="longest Retry-After to honour on a 429, in seconds (120)",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/contract"),
        help="where junit.xml and report.html go (./reports/contract)",
    )
    o.add_argument("--junit", type=Path, help="JUnit XML path (default <report-dir>/junit.xml)")
    o.add_argument("--html", type=Path, help="HTML path (default <report-dir>/report.html)")
    o.add_argument("--run-id", help="the run's name in the prefix tagfake-<run>- (random)")
    o.add_argument("--seed", type=int, default=1, help="schemathesis seed (1)")
    o.add_argument("--dry-run", action="store_true", help="print the plan; send nothing")
    o.add_argument(
        "--strict",
        action="store_true",
        help="an observation that differs from the spec's assumptions fails the run (always so "
        "against tagfake; against a vendor it is otherwise only reported)",
    )
    o.add_argument(
        "--reset",
        action="store_true",
        help="tagfake only: reset each vendor to its fixtures before and after",
    )
    o.add_argument(
        "--show-credentials",
        action="store_true",
        help="write credentials into curl lines instead of ${VENDOR_CREDENTIAL}",
    )
    o.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=run)


def _restore(value: str) -> tuple[str, list[int]]:
    profile, _, ids = value.rpartition("=")
    try:
        return profile.strip() or "*", [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not [PROFILE=]ID,ID: {value!r}") from None


def run(args: argparse.Namespace) -> int:
    try:
        import hypothesis  # noqa: F401
        import schemathesis  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the install
        print(
            f"tagfake contract needs hypothesis and schemathesis ({exc}); "
            "install tagfake with its dev extra",
            file=sys.stderr,
        )
        return 2
    from tagfake.suite.base import Budget
    from tagfake.suite.remote import Named

    if not args.base_url:
        print("tagfake contract: give --base-url (or set TAGFAKE_URL)", file=sys.stderr)
        return 2
    run_id = args.run_id or secrets.token_hex(3)
    if not (run_id.replace("-", "").isalnum() and run_id.isascii() and len(run_id) <= 12) or (
        run_id.lower() != run_id
    ):
        # Names carry the prefix; zapini allows 50 characters in a tag name.
        print(
            "tagfake contract: --run-id must be 1-12 lowercase letters, digits and '-'",
            file=sys.stderr,
        )
        return 2
    named = Named(
        vendors=list(dict.fromkeys(args.vendor)),
        credential=args.credential,
        other_credential=args.other_credential,
        lead_emails=args.lead_email,
        lead_ids=args.lead_id,
        conversation_ids=args.conversation_id,
        profile_ids=args.profile_id,
        stream=args.stream,
        objects=args.object,
        restore_tags=dict(args.restore_tag_ids) if args.restore_tag_ids else None,
    )
    budget = Budget(
        examples=args.examples,
        machine_examples=args.machine_examples,
        machine_steps=args.machine_steps,
        schemathesis_examples=args.schemathesis_examples,
        schemathesis=args.schemathesis or "full",
    )
    if args.dry_run:
        return _dry_run(args, named, budget, run_id)
    return _run(args, named, budget, run_id)


def _say(args: argparse.Namespace) -> Any:
    if args.quiet:
        return None
    return lambda line: print(line, flush=True)


def _dry_run(args: argparse.Namespace, named: Any, budget: Any, run_id: str) -> int:
    from tagfake.suite.base import RunContext
    from tagfake.suite.http import Http
    from tagfake.suite.target import VendorTarget
    from tagfake.suite.vendors import suite_class

    class Refuse:
        def request(self, *a: Any, **k: Any) -> Any:
            raise AssertionError("--dry-run sends nothing")

    http = Http(Refuse())
    print(f"tagfake contract — plan (dry run, nothing is sent); run prefix tagfake-{run_id}-")
    print(f"target: {args.base_url}")
    vendors = named.vendors or list(VENDORS)
    if named.credential is None:
        print(f"would ask {args.base_url.rstrip('/')}/__admin/health whether it is tagfake; if so,")
        print(
            "  check every vendor it serves, with tenants acme and globex from "
            "GET /__admin/state/{vendor}/{tenant}"
        )
    for vendor in vendors:
        target = VendorTarget(
            vendor=vendor,
            http=http,
            prefix="",
            base_url=args.base_url,
            credential=named.credential or "<from tagfake's admin API>",
            other_credential=named.other_credential,
            entities=named.entities(vendor),
            restore_tags=named.restore_tags,
        )
        suite = suite_class(vendor)(target, RunContext(run_id, budget))
        print(f"\n{vendor}:")
        for line in suite.plan():
            print(f"  - {line}")
        print("  checks:")
        for prop in suite.properties():
            missing = suite.missing(prop.needs) if named.credential else None
            print(f"    {prop.check:26} {prop.title}" + (f"  [skip: {missing}]" if missing else ""))
        print(
            f"    {'state-machine':26} up to {budget.machine_examples} runs x "
            f"{budget.machine_steps} steps"
        )
        mode = args.schemathesis or ("full" if named.credential is None else "safe")
        print(
            f"    {'schemathesis':26} {mode}, {budget.schemathesis_examples} examples per "
            "operation and phase"
        )
        print(f"  observations: {len(target.contract.assumptions())} assumptions in the spec")
    limit = f"at most {args.max_requests} requests" if args.max_requests else "no request limit"
    print(
        f"\nbudget: {budget.examples} examples per property, {limit}; "
        f"429 answers wait up to {args.max_wait:.0f}s (Retry-After)"
    )
    print(
        f"reports: {args.junit or args.report_dir / 'junit.xml'}, "
        f"{args.html or args.report_dir / 'report.html'}"
    )
    return 0


def _run(args: argparse.Namespace, named: Any, budget: Any, run_id: str) -> int:
    import httpx

    from tagfake.suite.http import Http
    from tagfake.suite.remote import TargetError, url_targets
    from tagfake.suite.report import html_report, junit_xml, summary
    from tagfake.suite.runner import Options, run_suite

    say = _say(args)

    def throttled(what: str, wait: float) -> None:
        if say is not None:
            say(f"  429 on {what}: waiting {wait:.0f}s (Retry-After)")

    with httpx.Client(base_url=args.base_url, timeout=30.0) as client:
        http = Http(
            client,
            max_requests=args.max_requests,
            max_wait=args.max_wait,
            on_throttle=throttled,
            admin_token=args.admin_token or None,
        )
        try:
            targets, health = url_targets(http, args.base_url, named)
        except (TargetError, ValueError) as exc:
            print(f"tagfake contract: {exc}", file=sys.stderr)
            return 2
        except httpx.HTTPError as exc:
            print(f"tagfake contract: cannot reach {args.base_url}: {exc}", file=sys.stderr)
            return 2
        if args.schemathesis is None and health is None:
            budget.schemathesis = "safe"
        for t in targets:
            t.mask = not args.show_credentials
        if args.reset and health is not None:
            _reset(http, targets)
        if say is not None:
            kind = "tagfake" if health is not None else "a vendor API"
            say(
                f"tagfake contract run {run_id} against {args.base_url} ({kind}); "
                f"names start tagfake-{run_id}-"
            )
        opts = Options(
            run_id, budget, progress=say, seed=args.seed, strict=args.strict, fuzz_progress=say
        )
        result = run_suite(targets, opts)
        if args.reset and health is not None:
            _reset(http, targets)
    junit = args.junit or args.report_dir / "junit.xml"
    page = args.html or args.report_dir / "report.html"
    for path in (junit, page):
        path.parent.mkdir(parents=True, exist_ok=True)
    junit.write_bytes(junit_xml(result))
    page.write_text(html_report(result), encoding="utf-8")
    print(summary(result))
    print(f"reports: {junit} {page}")
    return 0 if result.ok else 1


def _reset(http: Any, targets: list[Any]) -> None:
    for t in targets:
        with http.unbudgeted():
            http.send("POST", "/__admin/reset", body={"vendor": t.vendor}, record=False)
