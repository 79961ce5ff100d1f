"""Who may use the dashboard, and which form posts it accepts.

- **Admin token.** When tagfake runs with an admin token, the dashboard asks for it once: on its
  login form, or as `?token=` in the first URL (as Jupyter prints it). It then sets an HttpOnly,
  SameSite=Strict cookie holding an HMAC of the token (never the token itself), scoped to the
  dashboard's path; the same token in every worker verifies the same cookie.
- **Cross-site posts.** Every form carries a CSRF token that must equal the dashboard's CSRF
  cookie (double submit; a cross-site page can neither read the cookie nor, being SameSite=Strict,
  make the browser send it), and a post must come from the dashboard's own origin: the browser's
  `Sec-Fetch-Site` must say `same-origin` and `Origin`, when sent, must be this server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from werkzeug.wrappers import Request

AUTH_COOKIE = "tagfake_ui"
CSRF_COOKIE = "tagfake_csrf"
CSRF_FIELD = "csrf_token"


def session_value(admin_token: str) -> str:
    return hmac.new(admin_token.encode(), b"tagfake-ui-session", hashlib.sha256).hexdigest()


def token_matches(admin_token: str | None, given: str | None) -> bool:
    if admin_token is None:
        return True
    return given is not None and hmac.compare_digest(given.encode(), admin_token.encode())


def signed_in(admin_token: str | None, request: Request) -> bool:
    if admin_token is None:
        return True
    cookie = request.cookies.get(AUTH_COOKIE)
    return cookie is not None and hmac.compare_digest(cookie, session_value(admin_token))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_origin(request: Request) -> str | None:
    """Why a state-changing request does not come from this server's own pages, or None."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site != "same-origin":
        return f"Sec-Fetch-Site is {site!r}"
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.netloc.lower() != request.host.lower():
            return f"Origin {origin!r} is not this server ({request.host})"
    return None


def csrf_problem(request: Request) -> str | None:
    """Why a form post is refused as possibly cross-site, or None when it may go ahead."""
    why = same_origin(request)
    if why is not None:
        return why
    cookie = request.cookies.get(CSRF_COOKIE)
    field = request.form.get(CSRF_FIELD)
    if not cookie or not field or not hmac.compare_digest(cookie, field):
        return "the form's CSRF token is missing or does not match"
    return None
