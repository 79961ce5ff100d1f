"""The dashboard's side of the admin guard (`tagfake.pipeline.admin_guard`).

The guard, ahead of every `/__admin` path, checks the Host, the admin token (for the dashboard:
its sign-in cookie) and that a browser request comes from tagfake's own origin. What is left to
the dashboard:

- **Signing in.** With an admin token, the login form or a first URL with `?token=` (as Jupyter
  prints it) sets the sign-in cookie: HttpOnly, SameSite=Strict, scoped to the dashboard's path,
  holding `AdminPolicy.dashboard_session()` (an HMAC of the token, the same in every worker).
- **CSRF.** Every form carries a token that must equal the dashboard's CSRF cookie (a random
  value per browser, HttpOnly, SameSite=Strict): a page of another site can neither read it nor
  make the browser send it. Being a double submit, it needs no server secret, so a form served
  by one worker posts to another.
"""

from __future__ import annotations

import hmac
import secrets

from werkzeug.wrappers import Request

from tagfake.pipeline.admin_guard import DASHBOARD_COOKIE, AdminPolicy

AUTH_COOKIE = DASHBOARD_COOKIE
CSRF_COOKIE = "tagfake_csrf"
CSRF_FIELD = "csrf_token"


def signed_in(policy: AdminPolicy, request: Request) -> bool:
    session = policy.dashboard_session()
    if session is None:
        return True
    cookie = request.cookies.get(AUTH_COOKIE, "")
    return hmac.compare_digest(cookie.encode("latin-1", "replace"), session.encode())


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_problem(request: Request) -> str | None:
    """Why a form post is refused as possibly cross-site, or None when it may go ahead."""
    cookie = request.cookies.get(CSRF_COOKIE)
    field = request.form.get(CSRF_FIELD)
    if not cookie or not field or not hmac.compare_digest(cookie, field):
        return "the form's CSRF token is missing or does not match (a cross-site post?)"
    return None
