"""Running the app under uvicorn: start banner, state file, clean exit on SIGTERM/SIGINT.

SIGTERM and SIGINT stop the server gracefully (open requests get `timeout_graceful_shutdown`,
one second), the state file gets its last write, and `serve` returns 0: a container stopped by
`docker stop` exits 0 well inside two seconds.
"""

from __future__ import annotations

import gc
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from tagfake.app import create_app
from tagfake.connections import guarded_protocol
from tagfake.pipeline.access_log import AccessLog, JsonFormatter, json_line, utc_now
from tagfake.pipeline.admin_guard import is_loopback_host
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.state.persist import Persistence, StateFileError, open_state

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
        lines.append(f"state file: {state}")
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
        state_file=state,
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

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True


@contextmanager
def _stop_on_signals(stop: _Stop) -> Iterator[None]:
    """Our handler around the whole run. uvicorn installs its own while serving and, once
    stopped, raises the signal again for the handler it replaced: ours, so the process
    returns 0 instead of dying by the signal (exit 143) before the last state write."""
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
    app = create_app(settings, runtime)
    if settings.log_format != "json":
        return app
    mounts = {v.mount_path(settings.single_vendor): slug for slug, v in runtime.vendors.items()}
    return AccessLog(app, mounts)


def _serve(settings: Settings, stop: _Stop) -> int:
    log_config = _configure_logging(settings)
    started = time.perf_counter()
    runtime = Runtime.build(settings)
    persistence: Persistence | None = None
    if settings.state_file is not None:
        try:
            persistence = open_state(runtime, settings.state_file)
        except StateFileError as exc:
            print(f"tagfake: {exc}", file=sys.stderr, flush=True)
            return 2
    else:
        runtime.load_fixtures()
    saved = True
    try:
        asgi = _asgi(settings, runtime)
        sock = _listen(settings)
        if sock is None:
            return 2
        _announce(runtime, sock, persistence.summary if persistence else None)
        warning = exposure_warning(settings, sock.getsockname()[1])
        if warning is not None:
            log.warning("%s", warning)
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
        if persistence is not None:
            persistence.start()
        log.info("ready in %.2fs", time.perf_counter() - started)
        if not stop.requested:
            server.run(sockets=[sock])
        sock.close()
    finally:
        if persistence is not None:
            saved = persistence.close()
    if not saved:
        path = persistence.state_file.path if persistence else "?"
        print(f"tagfake: the last changes could not be written to {path}", file=sys.stderr)
        return 1
    if settings.log_format == "json":
        log.info("tagfake stopped")
    else:
        print("tagfake stopped", file=sys.stderr, flush=True)
    return 0
