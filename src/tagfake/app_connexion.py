"""The part of tagfake's app that connexion serves: what no compiled operation answers (the
router's 404 and 405 for unknown paths and methods, each spec at `<mount>/openapi.json`,
Swagger UI at `<mount>/ui/`, the index page). Imported when that part is first needed, so a
server or test session that only calls operations never loads connexion."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from tagfake.handlers import handler_lookup, handlers_module
from tagfake.pipeline.guard import Mount

with warnings.catch_warnings():
    # Import-time warnings of connexion 3.3's own imports, none about tagfake's use of it, that
    # would break users running with `-W error` or pytest's `filterwarnings = error`:
    # starlette's TestClient (imported, never used here) prefers httpx2 to connexion's httpx,
    # and connexion still imports the RefResolver names jsonschema deprecated in 4.18.
    for message, category in (
        ("Using `httpx` with `starlette.testclient`", UserWarning),
        ("jsonschema.RefResolver is deprecated", DeprecationWarning),
        ("jsonschema.exceptions.RefResolutionError is deprecated", DeprecationWarning),
    ):
        warnings.filterwarnings("ignore", message=message, category=category)
    from connexion import AsyncApp
    from connexion.middleware.context import ContextMiddleware
    from connexion.middleware.exceptions import ExceptionMiddleware
    from connexion.middleware.lifespan import LifespanMiddleware
    from connexion.middleware.routing import RoutingMiddleware
    from connexion.middleware.swagger_ui import SwaggerUIMiddleware
    from connexion.options import SwaggerUIOptions
    from connexion.resolver import Resolver
    from connexion.spec import Specification

SWAGGER_UI_PATH = "/ui"


def spec_page_paths(mounts: list[Mount]) -> tuple[str, ...]:
    """The path prefixes connexion's spec and Swagger UI routes answer (one per mount)."""
    out: list[str] = []
    for m in mounts:
        out += [f"{m.prefix}/openapi.json", f"{m.prefix}/openapi.yaml"]
        if m.surface.is_vendor:
            out.append(f"{m.prefix}{SWAGGER_UI_PATH}")
    return tuple(out)


class SpecPages(SwaggerUIMiddleware):  # type: ignore[misc]
    """connexion's SwaggerUIMiddleware, entered only for its own paths: one `startswith` for a
    vendor request instead of a walk through a router of every mount's spec and UI routes."""

    def __init__(self, app: Any, *, paths: tuple[str, ...]) -> None:
        super().__init__(app)
        self.paths = paths

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.paths):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def handler_resolver(module_name: str) -> Resolver:
    return Resolver(function_resolver=handler_lookup(module_name))


@contextmanager
def trusted_specs() -> Iterator[None]:
    """Skip connexion's metaschema check of each spec, done on every `add_api` and again on the
    clone it makes (about a second per app). tests/specs validates every bundled spec with
    openapi-spec-validator, and start-up time is what the pytest plugin waits for."""
    original = Specification.__dict__["_validate_spec"]
    Specification._validate_spec = classmethod(lambda cls, spec: None)
    try:
        yield
    finally:
        Specification._validate_spec = original


def add_api(app: AsyncApp, m: Mount) -> None:
    app.add_api(
        # The document parsed once at start; connexion may resolve references in place.
        copy.deepcopy(m.contract.document),
        base_path=m.prefix,
        name=m.surface.slug,
        resolver=handler_resolver(handlers_module(m)),
        validate_responses=False,
        swagger_ui_options=SwaggerUIOptions(
            swagger_ui=m.surface.is_vendor,
            swagger_ui_path=SWAGGER_UI_PATH,
            # "Try it out" sends to the spec's servers, which connexion sets to this mount.
            swagger_ui_config={"tryItOutEnabled": False, "displayRequestDuration": True},
        ),
    )


def connexion_app(
    mounts: list[Mount],
    outer: list[Any],
    front: list[Any],
    inner: list[Any],
    index: Callable[..., Any] | None,
) -> AsyncApp:
    """connexion's app around tagfake's stages, for what no compiled operation names (the
    route table has decided already): `outer`, connexion's exception handling and spec pages,
    `front`, connexion's router, `inner`, then connexion's own innermost middleware."""
    pipeline = [
        *outer,
        ExceptionMiddleware,
        # Each spec at `<mount>/openapi.json` and Swagger UI at `<mount>/ui/`, ahead of auth, as
        # vendors publish theirs; other paths skip its router.
        partial(SpecPages, paths=spec_page_paths(mounts)),
        *front,
        RoutingMiddleware,
        *inner,
        LifespanMiddleware,
        ContextMiddleware,
    ]
    app = AsyncApp("tagfake.app", middlewares=pipeline)
    with trusted_specs():
        for m in mounts:
            add_api(app, m)
    if index is not None:
        app.add_url_rule("/", "index", index, methods=["GET"])
    return app
