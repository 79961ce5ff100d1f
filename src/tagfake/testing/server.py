"""tagfake in a background thread, on a free port of 127.0.0.1: for tests in the same process.

    with ThreadedServer() as server:
        urllib.request.urlopen(f"{server.url}/__admin/health")

The socket is bound (port 0) before uvicorn starts, so the port is known at once and no other
process can take it in between. Nothing here touches the process's logging or signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn

from tagfake.settings import Settings


class ServerStartError(RuntimeError):
    pass


class ThreadedServer:
    """The app under uvicorn in a daemon thread. `start()` returns once it accepts requests."""

    #: uvicorn's own `server` and `date` headers (a proxy passes on the upstream's instead).
    server_headers = True

    def __init__(self, settings: Settings | None = None, host: str = "127.0.0.1") -> None:
        self.settings = settings or Settings(validation="report")
        self.host = host
        self.url = ""
        self.port = 0
        # Seconds from start() to accepting requests (app build included, imports excluded).
        self.startup_seconds: float | None = None
        #: The ASGI app being served (`tagfake.app.runtime_of(server.app)` reaches its state).
        self.app: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return f"ThreadedServer({self.url or 'not started'})"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> Self:
        if self._thread is not None:
            raise ServerStartError("this server was started already")
        import tagfake.app  # noqa: F401  (before the clock starts: startup_seconds excludes it)

        began = time.perf_counter()
        app = self.app = self.build_app()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        try:
            sock.bind((self.host, 0))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = sock.getsockname()[1]
        self.url = (
            f"http://[{self.host}]:{self.port}"
            if ":" in self.host
            else (f"http://{self.host}:{self.port}")
        )
        config = uvicorn.Config(
            app,
            log_config=None,  # leave the test process's logging alone
            log_level="warning",
            access_log=False,
            lifespan="on",
            ws="none",
            # uvicorn's choice (uvloop where installed): on asyncio's own loop every request
            # through `tagfake proxy` to this server stalled about 40 ms.
            timeout_graceful_shutdown=1,
            server_header=self.server_headers,
            date_header=self.server_headers,
        )
        server = _PromptServer(config)
        self._server = server
        self._thread = threading.Thread(target=self._run, name=f"tagfake-{self.port}", daemon=True)
        self._thread.start()
        deadline = began + timeout
        while not server.started:
            if self._error is not None or not self._thread.is_alive():
                self._cleanup()
                raise ServerStartError(f"tagfake did not start: {self._error!r}")
            if time.perf_counter() > deadline:
                self.stop()
                raise ServerStartError(f"tagfake did not start within {timeout:.1f}s")
            time.sleep(0.001)
        self.startup_seconds = time.perf_counter() - began
        return self

    def build_app(self) -> Any:
        """The ASGI app to serve; a subclass may serve another (the proxy does)."""
        from tagfake.app import create_app

        return create_app(self.settings)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(), never lost in the thread
            self._error = exc

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, let open requests finish (one second at most), join the thread."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.wake()
        if self._thread is not None:
            self._thread.join(timeout)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


class _PromptServer(uvicorn.Server):
    """uvicorn's server, stopping as soon as it is asked to: it notices `should_exit` when
    `wake()` is called rather than at its next tick (a tenth of a second), and its shutdown
    waits for the open connections to finish rather than a fixed tenth of a second first.
    Both are what a test session waits for at its end."""

    _loop: asyncio.AbstractEventLoop | None = None
    _woken: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._woken = asyncio.Event()
        counter = 0
        should_exit: bool = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    def wake(self) -> None:
        loop, woken = self._loop, self._woken
        if loop is None or woken is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed in between: it has stopped
            loop.call_soon_threadsafe(woken.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown: stop accepting, ask every connection to close once its answer
        is out, give them `timeout_graceful_shutdown` seconds, cancel what is left, then the
        lifespan's shutdown. Without its fixed 0.1 s sleep after asking the connections: an
        idle connection closes at once and a busy one when its answer is sent, so the wait
        below ends the moment the last one has."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        try:
            await asyncio.wait_for(self._drained(), timeout=self.config.timeout_graceful_shutdown)
        except TimeoutError:
            for task in state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drained(self) -> None:
        state = self.server_state
        while state.connections or state.tasks:
            await asyncio.sleep(_DRAIN_POLL)
        for server in self.servers:
            await server.wait_closed()


# How often the shutdown looks whether the last connection has closed (uvicorn keeps no event
# for it): a connection that closes is noticed within a millisecond.
_DRAIN_POLL = 0.001
