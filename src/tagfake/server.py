"""Running the app under uvicorn: start banner, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import socket
import sys
import time

import uvicorn

from tagfake.app import create_app
from tagfake.runtime import Runtime
from tagfake.settings import Settings

log = logging.getLogger("tagfake")


def banner(runtime: Runtime, base: str) -> str:
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
    lines.append(f"validation: {settings.validation}; stop with Ctrl-C or SIGTERM")
    return "\n".join(lines)


def serve(settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    started = time.perf_counter()
    runtime = Runtime.build(settings)
    runtime.load_fixtures()
    app = create_app(settings, runtime)
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    port = sock.getsockname()[1]
    host = "127.0.0.1" if settings.host in {"0.0.0.0", ""} else settings.host
    print(banner(runtime, f"http://{host}:{port}"), flush=True)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    log.info("ready in %.2fs", time.perf_counter() - started)
    server.run(sockets=[sock])
    print("tagfake stopped", file=sys.stderr, flush=True)
    return 0
