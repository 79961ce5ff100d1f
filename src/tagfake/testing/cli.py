"""`tagfake reset | seed | journal | faults`: talk to a running server's admin API.

Every subcommand takes `--url` (default `$TAGFAKE_URL`, else http://127.0.0.1:8080),
`--admin-token` (default `$TAGFAKE_ADMIN_TOKEN`) and `--json` (the admin API's answer as JSON,
for machines). Exit 0 on success, 1 with a one-line
message when the server cannot be reached or answers an error, 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagfake.settings import VENDORS
from tagfake.testing.client import JSON, TOKEN_ENV, AdminClient, AdminError

DEFAULT_URL = "http://127.0.0.1:8080"
KINDS = ("delay", "status", "rate_limit", "drop", "malformed")
Handler = Callable[[argparse.Namespace], int]
if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


class UsageError(Exception):
    """A command line the server need not see (exit 2)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the admin subcommands (each sets `handler`)."""
    top = _common(None)
    _reset_parser(sub, top)
    _seed_parser(sub, top)
    _journal_parser(sub, top)
    _faults_parser(sub, top)


def _reset_parser(sub: Subparsers, top: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "reset",
        parents=[top],
        help="reset a running server to its fixtures (all, a vendor or a tenant)",
        description="Back to the fixtures. With no --vendor, everything: every vendor's "
        "state, the journal, the fault rules and the clock.",
    )
    p.add_argument("--vendor", choices=VENDORS, help="only this vendor")
    p.add_argument("--tenant", help="only this tenant of --vendor")
    p.set_defaults(handler=_wrap(cmd_reset))


def _seed_parser(sub: Subparsers, top: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "seed",
        parents=[top],
        help="load a fixture scenario or a fixture file into a running server",
        description="Load fixtures/<vendor>/<scenario>.yaml (on the server) or a fixture "
        "document from a local YAML or JSON file; the tenants it names replace the current ones.",
    )
    p.add_argument("--vendor", choices=VENDORS, help="the vendor (default: the file's `vendor`)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--scenario", help="a scenario name on the server, e.g. default")
    what.add_argument("--file", type=Path, help="a fixture document, .yaml or .json")
    p.add_argument("--tenant", help="load only this tenant of it")
    p.set_defaults(handler=_wrap(cmd_seed))


def _journal_parser(sub: Subparsers, top: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "journal",
        parents=[top],
        help="show (or clear) the requests a running server recorded",
        description="The recorded vendor requests, oldest first, one line each.",
    )
    p.add_argument("--vendor", choices=VENDORS)
    p.add_argument("--tenant")
    p.add_argument("--operation", help="an operationId, e.g. updateConversationTags")
    p.add_argument("--method", help="GET, PUT, ...")
    p.add_argument("--path", help="a substring of the request path")
    p.add_argument("--status", type=int, help="the answer's status (0: dropped connection)")
    p.add_argument("--limit", type=int, help="only the newest N matches")
    p.add_argument("--bodies", action="store_true", help="also print each request's body")
    p.add_argument("--clear", action="store_true", help="forget every recorded request")
    p.set_defaults(handler=_wrap(cmd_journal))


def _faults_parser(sub: Subparsers, top: argparse.ArgumentParser) -> None:
    common = _common(argparse.SUPPRESS)
    p = sub.add_parser(
        "faults",
        parents=[top],
        help="list, add, delete or clear fault rules on a running server",
        description="Fault rules make the vendors misbehave on purpose. With no action: list them.",
    )
    p.set_defaults(handler=_wrap(cmd_faults_list))
    actions = p.add_subparsers(dest="faults_command", metavar="{list,add,delete,clear}")
    a = actions.add_parser("list", parents=[common], help="the rules in force (default)")
    a.set_defaults(handler=_wrap(cmd_faults_list))
    a = actions.add_parser(
        "add",
        parents=[common],
        help="add a rule",
        description="Add a fault rule: --kind with its options, or the X-Tagfake-Fault header "
        'syntax (--header-style "status=503; times=1"); --vendor, --operation, --method, '
        "--path and --tenant narrow which requests it hits.",
    )
    effect = a.add_mutually_exclusive_group(required=True)
    effect.add_argument("--kind", choices=KINDS)
    effect.add_argument("--header-style", metavar="SPEC", help='e.g. "rate_limit; retry_after=2"')
    a.add_argument("--status", type=int, help="the status of a status fault (400..599)")
    a.add_argument("--delay-ms", type=int, help="the delay of a delay fault")
    a.add_argument("--delay-max-ms", type=int, help="with --delay-ms: a random delay up to this")
    a.add_argument("--retry-after", type=int, help="Retry-After seconds of a rate_limit fault")
    a.add_argument("--vendor", choices=VENDORS)
    a.add_argument("--operation", help="an operationId")
    a.add_argument("--method")
    a.add_argument("--path", help="a regular expression searched in the request path")
    a.add_argument("--tenant")
    a.add_argument("--times", type=int, help="only the first N matching requests")
    a.add_argument("--probability", type=float, help="apply with this probability (0..1)")
    a.add_argument("--seed", type=int, help="seed of the probability draws and random delays")
    a.add_argument("--id", dest="rule_id", help="name the rule (default fault-N)")
    a.set_defaults(handler=_wrap(cmd_faults_add))
    a = actions.add_parser("delete", parents=[common], help="remove one rule")
    a.add_argument("rule_id", metavar="ID")
    a.set_defaults(handler=_wrap(cmd_faults_delete))
    a = actions.add_parser("clear", parents=[common], help="remove every rule")
    a.set_defaults(handler=_wrap(cmd_faults_clear))


def _common(default: Any) -> argparse.ArgumentParser:
    """--url, --admin-token and --json; on nested parsers with SUPPRESS, so either position
    works."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--url",
        default=default,
        help=f"the server's base URL (default $TAGFAKE_URL, else {DEFAULT_URL})",
    )
    p.add_argument(
        "--admin-token",
        dest="admin_token",
        default=default,
        metavar="TOKEN",
        help=f"the server's admin token, if it has one (default ${TOKEN_ENV})",
    )
    p.add_argument(
        "--json",
        action="store_true",
        default=False if default is None else default,
        help="print the admin API's answer as JSON",
    )
    return p


def _wrap(fn: Callable[[argparse.Namespace, AdminClient], int]) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        url = args.url or os.environ.get("TAGFAKE_URL") or DEFAULT_URL
        try:
            token = args.admin_token or os.environ.get(TOKEN_ENV) or None
            return fn(args, AdminClient(url, token=token))
        except AdminError as error:
            _fail(error.message)
            return 1
        except UsageError as error:
            _fail(str(error))
            return 2

    handler.__name__ = fn.__name__
    return handler


def _fail(message: str) -> None:
    print(f"tagfake: {' '.join(message.split())}", file=sys.stderr)


def _emit(args: argparse.Namespace, data: Any, text: str) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text)
    return 0


# -- reset and seed ----------------------------------------------------------------------------


def cmd_reset(args: argparse.Namespace, admin: AdminClient) -> int:
    if args.tenant and not args.vendor:
        raise UsageError("--tenant needs --vendor")
    result = admin.reset(args.vendor, args.tenant)
    if args.vendor is None:
        text = "reset everything: fixtures reloaded; journal, fault rules and clock cleared"
    elif args.tenant is None:
        text = f"reset {args.vendor} to its fixtures"
    else:
        text = f"reset {args.vendor} tenant {args.tenant} to its fixtures"
    return _emit(args, result, text)


def _read_document(path: Path) -> JSON:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path} is not valid JSON: {exc}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError) as exc:
            raise UsageError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a fixture document is a mapping with `vendor` and `tenants`")
    return data


def cmd_seed(args: argparse.Namespace, admin: AdminClient) -> int:
    document = _read_document(args.file) if args.file is not None else None
    vendor = args.vendor or (document or {}).get("vendor")
    if not isinstance(vendor, str):
        raise UsageError("name the vendor (--vendor), or give a file with `vendor:`")
    tenants = admin.seed(vendor, scenario=args.scenario, document=document, tenant=args.tenant)
    source = f"scenario {args.scenario}" if args.scenario else str(args.file)
    text = f"seeded {vendor} from {source}: {', '.join(tenants) or 'no tenants'}"
    return _emit(args, {"vendor": vendor, "tenants": tenants}, text)


# -- journal -----------------------------------------------------------------------------------


def cmd_journal(args: argparse.Namespace, admin: AdminClient) -> int:
    filters = ("vendor", "tenant", "operation", "method", "path", "status", "limit")
    if args.clear:
        given = [f"--{f}" for f in filters if getattr(args, f) is not None]
        if given:
            raise UsageError(f"--clear forgets the whole journal; drop {', '.join(given)}")
        cleared = admin.clear_journal()
        return _emit(args, {"cleared": cleared}, f"cleared {cleared} journal entries")
    page = admin.journal_page(**{f: getattr(args, f) for f in filters})
    entries: list[JSON] = page["entries"]
    lines = [_entry_line(e, args.bodies) for e in entries]
    summary = f"{len(entries)} of {page['total']} recorded request(s)"
    if page.get("dropped"):
        summary += f" ({page['dropped']} older ones dropped: the journal keeps {page['capacity']})"
    return _emit(args, page, "\n".join([*lines, summary]))


def _entry_line(e: JSON, bodies: bool) -> str:
    path = e["path"] + (f"?{e['query']}" if e.get("query") else "")
    status = "dropped" if e["status"] == 0 else str(e["status"])
    who = f"{e['vendor']}/{e['tenant']}" if e.get("tenant") else e["vendor"]
    line = f"#{e['id']:<4} {e['time']}  {e['method']:6} {path} -> {status}  {who}"
    if e.get("operation_id"):
        line += f" {e['operation_id']}"
    line += f"  {e['duration_ms']:.0f}ms"
    if e.get("fault"):
        line += f"  [fault {e['fault']}]"
    if e.get("violations"):
        line += f"  [{len(e['violations'])} violation(s)]"
    body = e.get("request", {}).get("body")
    if bodies and body is not None:
        line += "\n      " + json.dumps(body, ensure_ascii=False)
    return line


# -- faults ------------------------------------------------------------------------------------


def cmd_faults_list(args: argparse.Namespace, admin: AdminClient) -> int:
    rules = admin.faults()
    text = "\n".join(_rule_line(r) for r in rules) if rules else "no fault rules"
    return _emit(args, {"faults": rules}, text)


def _rule_line(rule: JSON) -> str:
    what = describe_effect(rule["effect"])
    match = " ".join(f"{k}={v}" for k, v in rule.get("match", {}).items()) or "every request"
    limits = " ".join(f"{k}={rule[k]}" for k in ("times", "probability", "seed") if k in rule)
    counts = f"applied {rule['applied']} of {rule['matched']} matched"
    return "  ".join(p for p in (rule["id"], what, f"on {match}", limits, counts) if p)


def describe_effect(effect: JSON) -> str:
    kind = str(effect["kind"])
    if kind == "status":
        return f"status {effect.get('status')}"
    if kind == "delay":
        high = effect.get("delay_max_ms")
        return f"delay {effect.get('delay_ms')}{'' if high is None else f'-{high}'}ms"
    if kind == "rate_limit":
        return f"rate_limit retry_after={effect.get('retry_after', 1)}"
    return kind


def cmd_faults_add(args: argparse.Namespace, admin: AdminClient) -> int:
    match = {
        k: getattr(args, k)
        for k in ("vendor", "operation", "method", "path", "tenant")
        if getattr(args, k) is not None
    }
    limits: dict[str, Any] = {}
    if args.header_style is not None:
        from tagfake.admin.faults import FaultSpecError, parse_header

        try:
            spec = parse_header(args.header_style)
        except FaultSpecError as exc:
            raise UsageError(f"--header-style: {exc}") from None
        effect: JSON = spec.pop("effect")
        limits.update(spec)
    else:
        effect = {"kind": args.kind}
    for key, value in (
        ("status", args.status),
        ("delay_ms", args.delay_ms),
        ("delay_max_ms", args.delay_max_ms),
        ("retry_after", args.retry_after),
    ):
        if value is not None:
            effect[key] = value
    if effect["kind"] == "status" and "status" not in effect:
        raise UsageError("a status fault needs --status")
    if effect["kind"] == "delay" and "delay_ms" not in effect:
        raise UsageError("a delay fault needs --delay-ms")
    for key in ("times", "probability", "seed"):
        if getattr(args, key) is not None:
            limits[key] = getattr(args, key)
    rule = admin.fault(effect=effect, match=match, id=args.rule_id, **limits)
    return _emit(args, rule.rule, f"added {_rule_line(rule.rule)}")


def cmd_faults_delete(args: argparse.Namespace, admin: AdminClient) -> int:
    rule = admin.delete_fault(args.rule_id)
    return _emit(args, rule, f"deleted {rule['id']}")


def cmd_faults_clear(args: argparse.Namespace, admin: AdminClient) -> int:
    cleared = admin.clear_faults()
    return _emit(args, {"cleared": cleared}, f"cleared {cleared} fault rule(s)")
