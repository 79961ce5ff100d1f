"""The dashboard: a server-rendered Flask app over the admin backend (the admin API's own).

Pages read through `AdminBackend`; controls build the admin API's request bodies, check them
against the admin spec's schemas, and call the same backend methods the API handlers call.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tagfake.admin.backend import AdminBackend
from tagfake.admin.browse import PageQuery
from tagfake.admin.journal import JournalQuery, breaks_contract
from tagfake.contract.spec import VendorContract
from tagfake.errors import TagfakeError
from tagfake.pipeline.admin_guard import AdminPolicy
from tagfake.ui import charts, entries, security

PAGE_SIZE = 50
JOURNAL_ROWS = 100
CHART_BUCKETS = 30
SECURITY_HEADERS = {
    # Every asset is tagfake's own; no inline script, so an injected one would not run.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _int(value: str | None, default: int, low: int = 0, high: int = 10**9) -> int:
    try:
        return min(high, max(low, int(value))) if value not in (None, "") else default
    except ValueError:
        return default


def _opt(name: str) -> str | None:
    value = request.values.get(name, "").strip()
    return value or None


def create_ui(backend: AdminBackend, admin_contract: VendorContract, policy: AdminPolicy) -> Flask:
    ui = Flask(__name__)
    ui.config.update(TEMPLATES_AUTO_RELOAD=False, MAX_CONTENT_LENGTH=256 * 1024)
    _security(ui, backend, policy)
    _browse_pages(ui, backend)
    _journal_pages(ui, backend)
    _controls(ui, backend, admin_contract)
    return ui


def _back(notice: str, error: bool = False) -> Response:
    """Back to the page the form was on (only ever one of the dashboard's), with a notice."""
    target = request.form.get("next") or url_for("controls")
    if not target.startswith(request.script_root + "/"):
        target = url_for("controls")
    sep = "&" if "?" in target else "?"
    key = "error" if error else "notice"
    return redirect(f"{target}{sep}{urlencode({key: notice})}", 303)


def _security(ui: Flask, backend: AdminBackend, policy: AdminPolicy) -> None:
    """Sign-in and CSRF; the admin guard in front has checked the host, the token (or the
    sign-in cookie) and the origin already."""
    rt = backend.rt

    @ui.before_request
    def guard() -> Response | None:
        g.csrf = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_token()
        if request.endpoint == "static":
            return None
        given = request.args.get("token")
        if given is not None:
            # Jupyter's way: the token in a first URL becomes the cookie and leaves the URL
            # (history, screen shares). The guard let it through matching, or signed in already.
            rest = {k: v for k, v in request.args.items() if k != "token"}
            target = request.base_url + (f"?{urlencode(rest)}" if rest else "")
            response = redirect(target, 303)
            return _signed_in(response) if policy.token_matches(given) else response
        if request.method == "POST":
            why = security.csrf_problem(request)
            if why is not None:
                return Response(
                    render_template("refused.html", why=why), 403, {"Content-Type": "text/html"}
                )
        return None

    @ui.after_request
    def headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        if request.cookies.get(security.CSRF_COOKIE) != g.get("csrf"):
            response.set_cookie(
                security.CSRF_COOKIE,
                g.csrf,
                httponly=True,
                samesite="Strict",
                path=request.script_root or "/",
            )
        return response

    def _signed_in(response: Response) -> Response:
        session = policy.dashboard_session()
        if session is not None:
            response.set_cookie(
                security.AUTH_COOKIE,
                session,
                httponly=True,
                samesite="Strict",
                path=request.script_root or "/",
            )
        return response

    @ui.context_processor
    def common() -> dict[str, Any]:
        return {
            "csrf_field": security.CSRF_FIELD,
            "csrf_token": g.get("csrf", ""),
            "notice": request.args.get("notice"),
            "error": request.args.get("error"),
            "vendors": list(rt.vendors),
            "token_required": policy.token_required,
            "pretty": entries.pretty,
        }

    @ui.errorhandler(_Notice)
    def notice(exc: _Notice) -> Response:
        return _back(exc.message, error=exc.error)

    @ui.errorhandler(TagfakeError)
    def domain_error(exc: TagfakeError) -> Response:
        if request.method == "POST":
            return _back(exc.message, error=True)
        return Response(
            render_template("refused.html", why=exc.message, title="Not found"),
            404,
            {"Content-Type": "text/html"},
        )

    @ui.get("/login")
    def login() -> str | Response:
        if security.signed_in(policy, request):
            return redirect(url_for("overview"), 303)
        return render_template("login.html", next=request.args.get("next", ""))

    @ui.post("/login")
    def do_login() -> Response:
        given = request.form.get("token", "")
        target = request.form.get("next") or url_for("overview")
        if not target.startswith(request.script_root + "/"):
            target = url_for("overview")
        if not policy.token_matches(given):
            return Response(
                render_template("login.html", next=target, failed=True),
                401,
                {"Content-Type": "text/html"},
            )
        return _signed_in(redirect(target, 303))

    @ui.post("/logout")
    def logout() -> Response:
        response = redirect(url_for("login"), 303)
        response.delete_cookie(security.AUTH_COOKIE, path=request.script_root or "/")
        return response


def _browse_pages(ui: Flask, backend: AdminBackend) -> None:
    rt = backend.rt

    @ui.get("/")
    def overview() -> str:
        return render_template("overview.html", o=backend.overview(), base=request.host_url)

    @ui.get("/state")
    def state() -> str | Response:
        vendor = _opt("vendor") or next(iter(rt.vendors))
        tenants = sorted(rt.store.tenants(vendor)) if vendor in rt.vendors else []
        tenant = _opt("tenant") or (tenants[0] if tenants else "")
        q = PageQuery(
            search=request.args.get("q", ""),
            sort=request.args.get("sort", "id"),
            descending=request.args.get("order") == "desc",
            offset=(_int(request.args.get("page"), 1, 1) - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        page = backend.tag_page(vendor, tenant, q)
        return render_template(
            "state.html",
            page=page,
            tenants=tenants,
            q=q,
            number=q.offset // PAGE_SIZE + 1,
            pages=max(1, -(-page["matched"] // PAGE_SIZE)),
            args=dict(request.args),
        )

    @ui.get("/entities")
    def entity_list() -> str:
        vendor = _opt("vendor") or next(iter(rt.vendors))
        tenants = sorted(rt.store.tenants(vendor)) if vendor in rt.vendors else []
        tenant = _opt("tenant") or (tenants[0] if tenants else "")
        q = PageQuery(
            search=request.args.get("q", ""),
            sort="id",
            offset=(_int(request.args.get("page"), 1, 1) - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        page = backend.entity_page(vendor, tenant, q, tag=_opt("tag"))
        return render_template(
            "entities.html",
            page=page,
            tenants=tenants,
            q=q,
            number=q.offset // PAGE_SIZE + 1,
            pages=max(1, -(-page["matched"] // PAGE_SIZE)),
            args=dict(request.args),
        )

    @ui.get("/controls")
    def controls() -> str:
        return render_template("controls.html", o=backend.overview())


def _journal_pages(ui: Flask, backend: AdminBackend) -> None:
    rt = backend.rt

    def journal_query(after: int | None = None) -> JournalQuery:
        status = request.args.get("status", "").strip().lower()
        return JournalQuery(
            vendor=_opt("vendor"),
            tenant=_opt("tenant"),
            operation=_opt("operation"),
            status=_int(status, 0) if status.isdigit() else None,  # 0: dropped
            status_class=_int(status[0], 0) if len(status) == 3 and status[1:] == "xx" else None,
            violations_only=request.args.get("violations") in ("1", "on", "true"),
            after=after,
            limit=JOURNAL_ROWS,
        )

    def shown(found: dict[str, Any]) -> list[dict[str, Any]]:
        base = request.host_url
        credentials: dict[tuple[str, str], str | None] = {}
        rows = []
        for e in reversed(found["entries"]):
            key = (e["vendor"], e["tenant"])
            if key not in credentials:
                creds = rt.store.credentials(*key) if e["tenant"] else []
                credentials[key] = creds[0] if creds else None
            contract = rt.contracts.get(e["vendor"])
            rows.append(
                {
                    **e,
                    "class": charts.status_class(e["status"]),
                    "breaks": breaks_contract(e),
                    "shown_violations": [entries.violation(v, contract) for v in e["violations"]],
                    "curl": entries.curl(e, base, credentials[key]),
                }
            )
        return rows

    @ui.get("/journal")
    def journal() -> str:
        found = backend.journal(journal_query())
        rows = shown(found)
        return render_template(
            "journal.html",
            rows=rows,
            found=found,
            after=max((r["id"] for r in rows), default=0),
            args={k: v for k, v in request.args.items() if k not in ("notice", "error")},
            operations=sorted({op for c in rt.contracts.values() for op in c.operations}),
        )

    @ui.get("/journal/rows")
    def journal_rows() -> str:
        found = backend.journal(journal_query(after=_int(request.args.get("after"), 0)))
        return render_template("_journal_rows.html", rows=shown(found))

    def chart_context() -> dict[str, Any]:
        minutes = _int(request.args.get("minutes"), 5, 1, 60)
        found = backend.journal(JournalQuery())
        series = charts.series_by_vendor(
            found["entries"], list(rt.vendors), time.time(), minutes, CHART_BUCKETS
        )
        return {
            "minutes": minutes,
            "charts": [
                (
                    v,
                    s.total,
                    charts.rate_chart(v, s, minutes),
                    charts.latency_chart(v, s, minutes),
                )
                for v, s in series.items()
            ],
        }

    @ui.get("/charts")
    def chart_page() -> str:
        return render_template("charts.html", **chart_context())

    @ui.get("/charts/svg")
    def chart_fragment() -> str:
        return render_template("_charts.html", **chart_context())


def _controls(ui: Flask, backend: AdminBackend, admin_contract: VendorContract) -> None:
    def checked(operation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The body the admin API would accept, or a notice naming what is wrong."""
        schema = admin_contract.operations[operation_id].body
        problems = schema.violations(body, limit=3) if schema is not None else []
        if problems:
            raise _Notice("; ".join(str(p) for p in problems), error=True)
        return body

    @ui.post("/controls/reset")
    def reset() -> Response:
        vendor, tenant = _opt("vendor"), _opt("tenant")
        body = checked("reset", {k: v for k, v in (("vendor", vendor), ("tenant", tenant)) if v})
        backend.reset(body.get("vendor"), body.get("tenant"))
        scope = " / ".join(x for x in (vendor, tenant) if x) or "everything"
        return _back(f"Reset {scope} to the fixtures.")

    @ui.post("/controls/seed")
    def seed() -> Response:
        # The form's one choice is "<vendor>/<scenario>".
        vendor, _, scenario = (_opt("scenario") or "").partition("/")
        body: dict[str, Any] = {"vendor": vendor, "scenario": scenario}
        if _opt("tenant"):
            body["tenant"] = _opt("tenant")
        loaded = backend.seed(checked("seed", body))
        return _back(f"Seeded {body['vendor']} {body['scenario']}: {', '.join(loaded['tenants'])}.")

    @ui.post("/controls/faults")
    def add_fault() -> Response:
        match = {
            k: v
            for k in ("vendor", "operation", "method", "path", "tenant")
            if (v := _opt(k)) is not None
        }
        effect: dict[str, Any] = {"kind": _opt("kind")}
        for k in ("status", "delay_ms", "retry_after"):
            if _opt(k) is not None:
                effect[k] = _int(_opt(k), 0)
        rule: dict[str, Any] = {"match": match, "effect": effect}
        if _opt("times") is not None:
            rule["times"] = _int(_opt("times"), 1)
        if _opt("probability") is not None:
            try:
                rule["probability"] = float(_opt("probability") or "")
            except ValueError:
                raise _Notice("probability must be a number from 0 to 1", error=True) from None
        added = backend.add_fault(checked("addFault", rule))
        return _back(f"Fault {added['id']} added.")

    @ui.post("/controls/faults/<rule_id>/delete")
    def delete_fault(rule_id: str) -> Response:
        backend.delete_fault(rule_id)
        return _back(f"Fault {rule_id} removed.")

    @ui.post("/controls/clock")
    def set_clock() -> Response:
        action = request.form.get("action")
        body: dict[str, Any]
        if action == "freeze":
            at = _opt("at")
            body = {"at": at} if at else {"freeze": True}
        elif action == "advance":
            try:
                body = {"advance_seconds": float(request.form.get("seconds", ""))}
            except ValueError:
                raise _Notice("advance by a number of seconds", error=True) from None
        elif action == "release":
            body = {"release": True}
        else:
            raise _Notice("choose freeze, advance or release", error=True)
        now = backend.set_clock(checked("setClock", body))
        state = "frozen at" if now["frozen"] else "running, now"
        return _back(f"Clock {state} {now['now']}.")


class _Notice(Exception):
    """A control refused before it reached the backend: shown on the page it came from."""

    def __init__(self, message: str, error: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.error = error
