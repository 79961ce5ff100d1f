"""Who may use `/__admin` (the API, its spec and the dashboard under `/__admin/ui/`).

The admin API shows every tenant's credentials and the journal, and resets or seeds the whole
server, so a web page the developer happens to have open must not reach it. Checked in this
order, before anything reads the body:

1. Host: one tagfake serves — an IP address, `localhost` / `*.localhost`, the bound host name or
   a configured one — so a DNS-rebinding page (`Host: attacker.example`) is refused (403).
   An attacker's page cannot make the browser send an IP address as its own host, so IP
   addresses are always allowed.
2. The admin token, when one is set: `X-Tagfake-Admin-Token: <token>` or
   `Authorization: Bearer <token>`, compared in constant time (401).
3. Browsers: a request that says it comes from a page of another origin (`Sec-Fetch-Site` other
   than `same-origin`/`none`, or an `Origin` that is not tagfake's own) is refused (403), reads
   too: no page of another origin may read the state.
4. State-changing methods need `Content-Type: application/json` or a custom header
   (`X-Tagfake-Admin`, the token header, `Authorization`): what a `no-cors` fetch or an HTML form
   cannot send without a CORS preflight, which nothing here answers (403).

Under `/__admin/ui/` (the dashboard, used from a browser, which sends no token header):
- step 2 also accepts the dashboard's sign-in cookie (`DASHBOARD_COOKIE`, an HMAC of the token,
  set by the dashboard's login form or by a first URL with `?token=`); without it, the login
  form and its assets are served, a page load is sent to the login form (303) and anything else
  is refused (401);
- a same-origin browser form post (no JSON, no custom header) passes step 4 marked with
  `FORM_POST_KEY`: the dashboard must then check its CSRF token itself.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, quote, urlsplit

from tagfake.admin.surface import PROBLEM, problem
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, dumps, hands_on
from tagfake.pipeline.media import is_json_media

ADMIN_PREFIX = "/__admin"
UI_PREFIX = ADMIN_PREFIX + "/ui"
TOKEN_HEADER = "X-Tagfake-Admin-Token"
MARKER_HEADER = "X-Tagfake-Admin"
#: In the scope of a same-origin form post under UI_PREFIX: the dashboard must check CSRF.
FORM_POST_KEY = "tagfake.admin.form_post"
#: In the scope of every admin request: the `AdminPolicy` (the dashboard's CSRF tokens).
POLICY_KEY = "tagfake.admin.policy"
#: The dashboard's sign-in cookie (HttpOnly, SameSite=Strict, Path=/__admin/ui).
DASHBOARD_COOKIE = "tagfake_ui"
#: Dashboard paths served without the token: the login form and its assets.
_DASHBOARD_OPEN = (UI_PREFIX + "/login", UI_PREFIX + "/static/")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME_ORIGIN_SITES = frozenset({"same-origin", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True)
class Refusal:
    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=dict)


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def split_host(value: str) -> tuple[str, int | None] | None:
    """`name[:port]` or `[v6][:port]` → (lowercase name, port); None when it is not a host."""
    value = value.strip()
    port_text = ""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                return None
            port_text = rest[1:]
    elif ":" in value:
        name, port_text = value.rsplit(":", 1)
    else:
        name = value
    if port_text and not (port_text.isdigit() and int(port_text) < 65536):
        return None
    name = name.lower().rstrip(".")
    if not name or any(c in name for c in " /@\\[]"):
        return None
    return name, int(port_text) if port_text else None


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback_host(host: str) -> bool:
    """Whether binding to `host` keeps tagfake on this machine."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class AdminPolicy:
    def __init__(
        self, token: str | None = None, allowed_hosts: Iterable[str] = (), bound_host: str = ""
    ) -> None:
        self._token = token.encode() if token else None
        names = {h.lower().rstrip(".") for h in allowed_hosts}
        self.any_host = "*" in names
        self.suffixes = tuple(n for n in names if n.startswith("."))
        self.names = {n for n in names if not n.startswith(".")}
        if bound_host:
            self.names.add(bound_host.strip("[]").lower().rstrip("."))
        self.csrf_secret = secrets.token_bytes(32)

    def host_allowed(self, name: str) -> bool:
        if self.any_host or is_ip(name) or name == "localhost" or name.endswith(".localhost"):
            return True
        return name in self.names or any(name == s[1:] or name.endswith(s) for s in self.suffixes)

    def check(
        self,
        method: str,
        path: str,
        scheme: str,
        headers: Mapping[str, list[str]],
        query: str = "",
    ) -> Refusal | None:
        """Why this admin request is refused, or None when it may go on."""
        hosts = headers.get("host", [])
        if len(hosts) > 1:
            return Refusal(403, "more than one Host header")
        own: tuple[str, int | None] | None = None
        if hosts:
            own = split_host(hosts[0])
            if own is None or not self.host_allowed(own[0]):
                return Refusal(
                    403,
                    f"the admin API does not answer to the host {hosts[0][:100]!r}; "
                    "add it to --allowed-hosts (TAGFAKE_ALLOWED_HOSTS)",
                )
        refusal = self._check_token(headers)
        if refusal is not None and is_dashboard_path(path):
            refusal = self._dashboard_sign_in(method, path, query, headers, refusal)
        if refusal is not None:
            return refusal
        sites = [v.strip().lower() for v in headers.get("sec-fetch-site", [])]
        for site in sites:
            if site not in _SAME_ORIGIN_SITES:
                return Refusal(
                    403,
                    f"a page of another origin may not use the admin API (Sec-Fetch-Site: {site})",
                )
        origins = headers.get("origin", [])
        for origin in origins:
            if not _same_origin(origin, scheme, own):
                return Refusal(
                    403,
                    f"a page of another origin may not use the admin API (Origin: {origin[:100]})",
                )
        if method.upper() in SAFE_METHODS or _declared(headers):
            return None
        if path.startswith(UI_PREFIX + "/") and ("same-origin" in sites or origins):
            return None
        return Refusal(
            403,
            "a state-changing admin call needs a JSON body (Content-Type: application/json) "
            f"or the header {MARKER_HEADER}: 1",
        )

    def _check_token(self, headers: Mapping[str, list[str]]) -> Refusal | None:
        if self._token is None:
            return None
        presented = list(headers.get(TOKEN_HEADER.lower(), []))
        for value in headers.get("authorization", []):
            scheme, _, credentials = value.strip().partition(" ")
            if scheme.lower() == "bearer":
                presented.append(credentials.strip())
        challenge = {"WWW-Authenticate": 'Bearer realm="tagfake admin"'}
        if not presented:
            return Refusal(
                401,
                f"the admin API needs the admin token ({TOKEN_HEADER} or Authorization: Bearer)",
                challenge,
            )
        if len(set(presented)) > 1 or not all(
            hmac.compare_digest(p.strip().encode("latin-1"), self._token) for p in presented
        ):
            return Refusal(401, "wrong admin token", challenge)
        return None

    # -- for the dashboard: its sign-in cookie and CSRF tokens --------------------------------
    @property
    def token_required(self) -> bool:
        return self._token is not None

    def token_matches(self, given: str) -> bool:
        if self._token is None:
            return True
        return hmac.compare_digest(given.encode("latin-1", "replace"), self._token)

    def dashboard_session(self) -> str | None:
        """The dashboard cookie's value: an HMAC of the token, the same in every worker, and
        never the token itself."""
        if self._token is None:
            return None
        return hmac.new(self._token, b"tagfake-ui-session", "sha256").hexdigest()

    def _dashboard_sign_in(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, list[str]],
        refusal: Refusal,
    ) -> Refusal | None:
        session = self.dashboard_session()
        if session is not None and hmac.compare_digest(_cookie(headers, DASHBOARD_COOKIE), session):
            return None
        if path.startswith(_DASHBOARD_OPEN):
            return None
        if method.upper() == "GET":
            given = parse_qs(query).get("token", [])
            if given and self.token_matches(given[0]):
                return None  # the dashboard turns it into its cookie
            target = quote(path + (f"?{query}" if query else ""), safe="")
            if "x-tagfake-live" not in headers:
                return Refusal(
                    303, "sign in first", {"Location": f"{UI_PREFIX}/login?next={target}"}
                )
        return refusal

    # -- CSRF tokens of same-origin form posts ------------------------------------------------
    def csrf_token(self, session: str = "") -> str:
        """A token to embed in the dashboard's forms (bound to `session`, if it has one)."""
        return hmac.new(self.csrf_secret, session.encode(), "sha256").hexdigest()

    def csrf_ok(self, token: str, session: str = "") -> bool:
        return hmac.compare_digest(
            token.encode("latin-1", "replace"), self.csrf_token(session).encode()
        )


def is_dashboard_path(path: str) -> bool:
    return path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


def _cookie(headers: Mapping[str, list[str]], name: str) -> str:
    for raw in headers.get("cookie", []):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:
            continue
        if name in jar:
            return jar[name].value
    return ""


def _declared(headers: Mapping[str, list[str]]) -> bool:
    """What a no-cors fetch or a form cannot send: a JSON media type or a custom header."""
    if MARKER_HEADER.lower() in headers or TOKEN_HEADER.lower() in headers:
        return True
    # Bearer only: a browser may add Basic credentials it has cached to any request.
    if any(v.strip().lower().startswith("bearer ") for v in headers.get("authorization", [])):
        return True
    # Any JSON media type, in any spelling (media.py): none is CORS-safelisted, so a page can
    # send one only after a preflight tagfake never answers.
    types = headers.get("content-type", [])
    return len(types) == 1 and is_json_media(types[0])


def _same_origin(origin: str, scheme: str, own: tuple[str, int | None] | None) -> bool:
    if own is None or origin == "null":
        return False
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return False
    if not parts.scheme or not parts.hostname or parts.path not in ("", "/"):
        return False
    theirs = (parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS.get(parts.scheme.lower()))
    ours = (own[0], own[1] or _DEFAULT_PORTS.get(scheme))
    return parts.scheme.lower() == scheme and theirs == ours


def _header_lists(scope: Scope) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in scope.get("headers", []):
        out.setdefault(bytes(key).decode("latin-1").lower(), []).append(
            bytes(value).decode("latin-1")
        )
    return out


class AdminGuard:
    """The pipeline stage: refuses admin requests per `AdminPolicy` with problem+json."""

    def __init__(self, app: ASGIApp, *, policy: AdminPolicy) -> None:
        self.app = app
        self.policy = policy

    @hands_on
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "http" and is_admin_path(scope["path"]):
            return self._admin(scope, receive, send)
        return self.app(scope, receive, send)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _header_lists(scope)
        method = str(scope["method"])
        refusal = self.policy.check(
            method,
            scope["path"],
            scope.get("scheme", "http"),
            headers,
            scope.get("query_string", b"").decode("latin-1"),
        )
        if refusal is not None:
            await _refuse(send, refusal)
            return
        scope[POLICY_KEY] = self.policy
        if method not in SAFE_METHODS and not _declared(headers):
            scope[FORM_POST_KEY] = True
        await self.app(scope, receive, send)


async def _refuse(send: Send, refusal: Refusal) -> None:
    status, body, _ = problem(refusal.status, refusal.detail)
    payload = dumps(body)
    raw = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(payload)).encode())]
    raw += [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in refusal.headers.items()
        if k.lower() != "content-type"
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
