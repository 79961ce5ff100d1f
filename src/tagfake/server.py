"""Running the app under uvicorn: the store, start banner, workers, clean exit on SIGTERM.

SIGTERM and SIGINT stop the server gracefully (open requests get `timeout_graceful_shutdown`,
one second) and `serve` returns 0: a container stopped by `docker stop` exits 0 well inside
two seconds. Nothing is left to write then: a store acknowledges a change once it is kept.

With `--workers N` (a store processes can share), this process opens the store, loads the
fixtures it lacks and binds the socket; uvicorn's supervisor then spawns N workers, each
building the app from `worker_app` on the same socket and store.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from tagfake.app import create_app
from tagfake.connections import guarded_protocol
from tagfake.pipeline.access_log import AccessLog, JsonFormatter, json_line, utc_now
from tagfake.pipeline.admin_guard import is_loopback_host
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.state.sqlite.db import StoreFileError
from tagfake.state.store import StoreUnavailable

log = logging.getLogger("tagfake")


def banner(runtime: Runtime, base: str, state: str | None = None) -> str:
    settings = runtime.settings
    lines = [f"tagfake serving {len(runtime.vendors)} vendor(s) at {base}"]
    for slug, vendor in runtime.vendors.items():
        url = f"{base}{vendor.mount_path(settings.single_vendor)}"
        lines.append(f"  {slug:8} {url}   ({vendor.auth_hint})")
        for tenant in runtime.store.tenants(slug):
            creds = runtime.store.credentials(slug, tenant)
            with runtime.store.read(slug, tenant) as ns:
                for line in vendor.banner(tenant, creds, ns):
                    lines.append(f"           {line}")
    if state is not None:
        lines.append(f"store: {state}")
    if settings.workers > 1:
        lines.append(f"workers: {settings.workers} (X-Tagfake-Worker names the one that answered)")
    lines.append(f"dashboard: {base}/__admin/ui/   (each spec in Swagger UI at <base URL>/ui/)")
    lines.append(f"validation: {settings.validation}; stop with Ctrl-C or SIGTERM")
    return "\n".join(lines)


def json_banner(runtime: Runtime, base: str, state: str | None = None) -> str:
    """The banner as one JSON line; its "message" is the text banner's first line."""
    settings = runtime.settings
    return json_line(
        time=utc_now(),
        event="start",
        message=f"tagfake serving {len(runtime.vendors)} vendor(s) at {base}",
        url=base,
        vendors={
            slug: f"{base}{v.mount_path(settings.single_vendor)}"
            for slug, v in runtime.vendors.items()
        },
        validation=settings.validation,
        store=state,
        workers=settings.workers,
    )


def exposure_warning(settings: Settings, port: int) -> str | None:
    """The one line said at start when the admin API is open to other machines."""
    if settings.admin_token is not None or is_loopback_host(settings.host):
        return None
    return (
        f"no admin token: anyone who can reach {settings.host or '*'}:{port} can read every "
        "tenant's credentials and reset the server at /__admin; set TAGFAKE_ADMIN_TOKEN "
        "(or --admin-token)"
    )


class _Stop:
    """SIGTERM/SIGINT handler: ask uvicorn to stop, and remember that we were asked."""

    def __init__(self) -> None:
        self.requested = False
        self.server: uvicorn.Server | None = None
        self.supervisor: Multiprocess | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True
        if self.supervisor is not None:
            self.supervisor.should_exit.set()


@contextmanager
def _stop_on_signals(stop: _Stop) -> Iterator[None]:
    """Our handler around the whole run. uvicorn installs its own while serving and, once
    stopped, raises the signal again for the handler it replaced: ours, so the process
    returns 0 instead of dying by the signal (exit 143)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _configure_logging(settings: Settings) -> dict[str, Any] | None:
    """Root logging for the format; returns uvicorn's log_config (None: leave it to ours)."""
    if settings.log_format == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler])
        return None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return LOGGING_CONFIG


def serve(settings: Settings) -> int:
    stop = _Stop()
    with _stop_on_signals(stop):
        code = _serve(settings, stop)
    if threading.current_thread() is threading.main_thread():
        # The process ends next. Its last garbage collection would walk every compiled spec
        # and schema for ~0.3 s of a SIGTERM stop: everything is freed with the process anyway.
        gc.freeze()
    return code


def _listen(settings: Settings) -> socket.socket | None:
    """The bound, listening socket uvicorn serves on, or None after saying why it can't be had."""
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
        # Listening before the banner: once it is printed, a client's connect waits in the
        # backlog until uvicorn accepts, instead of being refused.
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        where = f"{settings.host}:{settings.port}"
        print(f"tagfake: cannot listen on {where}: {exc.strerror}", file=sys.stderr, flush=True)
        return None
    return sock


def _announce(runtime: Runtime, sock: socket.socket, state: str | None) -> None:
    settings = runtime.settings
    port = sock.getsockname()[1]
    host = "127.0.0.1" if settings.host in {"0.0.0.0", ""} else settings.host
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    if settings.log_format == "json":
        print(json_banner(runtime, base, state), flush=True)
    else:
        print(banner(runtime, base, state), flush=True)


def _asgi(settings: Settings, runtime: Runtime) -> Any:
    app: Any = create_app(settings, runtime)
    if settings.workers > 1:
        app = WorkerHeader(app)
    if settings.log_format != "json":
        return app
    mounts = {v.mount_path(settings.single_vendor): slug for slug, v in runtime.vendors.items()}
    return AccessLog(app, mounts)


class WorkerHeader:
    """`X-Tagfake-Worker: <pid>` on every answer: which worker process served it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.value = str(os.getpid()).encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-tagfake-worker", self.value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)


# -- workers ----------------------------------------------------------------------------------

#: How the serving process hands its settings to the workers it spawns.
WORKER_SETTINGS = "TAGFAKE__WORKER_SETTINGS"


def settings_to_json(settings: Settings) -> str:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        values[f.name] = str(value) if isinstance(value, Path) else value
    return json.dumps(values)


def settings_from_json(text: str) -> Settings:
    values: dict[str, Any] = json.loads(text)
    for name in ("specs_dir", "fixtures_dir", "state_file"):
        if values.get(name) is not None:
            values[name] = Path(values[name])
    values["vendors"] = tuple(values["vendors"])
    values["allowed_hosts"] = tuple(values.get("allowed_hosts") or ())
    values["state_file"] = None  # already folded into `store`
    return Settings(**values)


def worker_app() -> Any:
    """The ASGI app of one worker (uvicorn's factory, in each spawned process): the store the
    serving process opened and filled, opened again; nothing is loaded twice."""
    settings = settings_from_json(os.environ[WORKER_SETTINGS])
    if settings.log_format == "json":
        _configure_logging(settings)
    runtime = Runtime.build(settings, primary=False)
    app = _asgi(settings, runtime)
    _settle_collector()
    return app


# Objects allocated between two youngest-generation collections. Python's 700 made the
# collector walk the live objects of the ~32 requests in flight every few requests: ~7 % of a
# write's CPU at 32 connections (bench). Nearly all of a request's objects are freed by their
# reference counts before the next pass; the garbage in cycles waits a little longer.
_YOUNG_OBJECTS = 10_000


def _settle_collector() -> None:
    """The compiled specs and schemas live as long as the process: out of the collector's
    sight, so the full collections that load triggers stop walking them (latency spikes); and
    the youngest generation collected less often."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(_YOUNG_OBJECTS, middle, old)


def __getattr__(name: str) -> Any:
    """`WorkerHTTPProtocol`: in a worker, uvicorn's HTTP protocol with the request deadline of
    the settings the serving process handed down (uvicorn imports it by name)."""
    if name == "WorkerHTTPProtocol":
        return guarded_protocol(settings_from_json(os.environ[WORKER_SETTINGS]).body_timeout)
    raise AttributeError(name)


def _run_workers(settings: Settings, sock: socket.socket, log_config: Any, stop: _Stop) -> None:
    os.environ[WORKER_SETTINGS] = settings_to_json(settings)
    config = uvicorn.Config(
        "tagfake.server:worker_app",
        factory=True,
        workers=settings.workers,
        log_level="warning",
        log_config=log_config,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
        # By name: the config goes to each spawned worker, and a class made at run time
        # (the one with the request deadline) cannot be pickled; see __getattr__ below.
        http="tagfake.server:WorkerHTTPProtocol",
        limit_concurrency=settings.max_connections,
    )
    # uvicorn's supervisor: spawns the workers on our socket, restarts one that dies, and
    # stops them all on SIGTERM/SIGINT (its own handlers, while it runs).
    supervisor = Multiprocess(config, sockets=[sock])
    stop.supervisor = supervisor
    if not stop.requested:
        supervisor.run()


def _serve(settings: Settings, stop: _Stop) -> int:
    log_config = _configure_logging(settings)
    started = time.perf_counter()
    try:
        runtime = Runtime.build(settings)
    except (StoreFileError, StoreUnavailable) as exc:
        print(f"tagfake: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        try:
            summary = runtime.start_state()
        except StoreUnavailable as exc:
            print(f"tagfake: {exc}", file=sys.stderr, flush=True)
            return 2
        # The app of a single worker is built before the socket is bound: a spec it cannot
        # compile is refused without a port ever having been taken.
        asgi: Any = _asgi(settings, runtime) if settings.workers == 1 else None
        _settle_collector()
        sock = _listen(settings)
        if sock is None:
            return 2
        try:
            _announce(runtime, sock, summary)
            warning = exposure_warning(settings, sock.getsockname()[1])
            if warning is not None:
                log.warning("%s", warning)
            if settings.workers > 1:
                log.info(
                    "ready in %.2fs; starting %d workers",
                    time.perf_counter() - started,
                    settings.workers,
                )
                _run_workers(settings, sock, log_config, stop)
            else:
                config = uvicorn.Config(
                    asgi,
                    log_level="warning",
                    log_config=log_config,
                    access_log=False,
                    lifespan="on",
                    timeout_graceful_shutdown=1,
                    http=guarded_protocol(settings.body_timeout),
                    limit_concurrency=settings.max_connections,
                )
                server = uvicorn.Server(config)
                stop.server = server
                log.info("ready in %.2fs", time.perf_counter() - started)
                if not stop.requested:
                    server.run(sockets=[sock])
        finally:
            sock.close()
    finally:
        runtime.close()
    if settings.log_format == "json":
        log.info("tagfake stopped")
    else:
        print("tagfake stopped", file=sys.stderr, flush=True)
    return 0
