"""`tagfake proxy`: listen, say where, forward until SIGTERM/SIGINT, then write the report."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import uvicorn

from tagfake.pipeline.access_log import AccessLog
from tagfake.proxy.app import create_proxy
from tagfake.proxy.options import ProxyOptions
from tagfake.redact import PLAIN
from tagfake.server import (
    _configure_logging,
    _listen,
    _Stop,
    _stop_on_signals,
    exposure_warning,
)
from tagfake.settings import Settings

log = logging.getLogger("tagfake.proxy")


def banner(options: ProxyOptions, base: str, mount: str, recording: str | None) -> str:
    lines = [
        f"tagfake proxy for {options.vendor} at {base}{mount}",
        f"  upstream  {PLAIN.query(options.base)} (timeout {options.timeout:g}s)",
        "  requests  checked against the spec, "
        + (
            "refused when they break it"
            if options.request_check == "enforce"
            else "forwarded unchanged (violations reported)"
        ),
        "  answers   checked against the spec, handed back unchanged (+ X-Tagfake-Violations)",
    ]
    if options.shadow:
        start = "imported through the upstream's reads" if options.import_reads else "the fixtures"
        lines.append(f"  shadow    on: answered by tagfake too (state from {start}), compared")
    if recording:
        lines.append(f"  recording {recording}")
    lines.append(f"  report    {options.report_dir}/report.json, report.html (at stop)")
    lines.append("journal at /__admin/journal; stop with Ctrl-C or SIGTERM")
    return "\n".join(lines)


def serve_proxy(settings: Settings, options: ProxyOptions) -> int:
    stop = _Stop()
    with _stop_on_signals(stop):
        return _serve(settings, options, stop)


def _serve(settings: Settings, options: ProxyOptions, stop: _Stop) -> int:
    log_config = _configure_logging(settings)
    started = time.perf_counter()
    session = create_proxy(settings, options)
    sock = _listen(settings)
    if sock is None:
        session.finish()
        return 2
    try:
        port = sock.getsockname()[1]
        host = "127.0.0.1" if settings.host in {"0.0.0.0", ""} else settings.host
        base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        vendor = session.runtime.vendors[options.vendor]
        recording = str(session.recorder.path) if session.recorder else None
        print(banner(options, base, vendor.mount_path(True), recording), flush=True)
        warning = exposure_warning(settings, port)
        if warning is not None:
            log.warning("%s", warning)
        app: Any = session.app
        if settings.log_format == "json":
            app = AccessLog(app, {vendor.mount_path(True): options.vendor})
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                log_config=log_config,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=1,
                # The upstream's own Date and Server headers are handed on, not uvicorn's.
                server_header=False,
                date_header=False,
            )
        )
        stop.server = server
        log.info("ready in %.2fs", time.perf_counter() - started)
        if not stop.requested:
            server.run(sockets=[sock])
    finally:
        sock.close()
        files = session.finish()
    print(session.report.summary(), flush=True)
    print(f"report: {files[0]} {files[1]}", file=sys.stderr, flush=True)
    return 0
