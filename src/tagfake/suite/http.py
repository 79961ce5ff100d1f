"""Sending requests for the suite: recorded (for curl lines), counted against `--max-requests`,
and patient with throttling (429 + `Retry-After`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from tagfake.suite.model import BudgetExhausted, Exchange, Throttled

NO_BODY: Any = object()


class HttpClient(Protocol):
    """What the suite needs of an HTTP client: httpx's and starlette's TestClient both fit."""

    def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any: ...


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: an integer, or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Http:
    """One target's HTTP: every exchange is counted; the current example's exchanges are kept."""

    def __init__(
        self,
        client: HttpClient,
        *,
        max_requests: int | None = None,
        max_wait: float = 120.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        on_throttle: Callable[[str, float], None] | None = None,
        admin_token: str | None = None,
    ) -> None:
        self.client = client
        # Sent only to tagfake's admin API (`/__admin/...`), never to a vendor's routes.
        self.admin_headers = {"X-Tagfake-Admin": "1"}
        if admin_token:
            self.admin_headers["X-Tagfake-Admin-Token"] = admin_token
        self.max_requests = max_requests
        self.max_wait = max_wait
        self.max_retries = max_retries
        self.sleep = sleep
        self.on_throttle = on_throttle
        self.sent = 0
        self.throttled = 0
        self.log: list[Exchange] = []
        self._budget = True

    # -- the current example ----------------------------------------------------------------
    def start_example(self) -> None:
        self.log = []

    @contextmanager
    def unbudgeted(self) -> Iterator[None]:
        """Cleanup and restore run even when the budget is used up."""
        before = self._budget
        self._budget = False
        try:
            yield
        finally:
            self._budget = before

    @property
    def exhausted(self) -> bool:
        return self.max_requests is not None and self.sent >= self.max_requests

    # -- sending ----------------------------------------------------------------------------
    def send(
        self,
        method: str,
        url: str,
        *,
        body: Any = NO_BODY,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        record: bool = True,
    ) -> Exchange:
        sent_headers = dict(headers or {})
        if url.startswith("/__admin"):
            sent_headers = {**self.admin_headers, **sent_headers}
        content = raw
        if body is not NO_BODY:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            sent_headers.setdefault("Content-Type", "application/json")
        retries = 0
        while True:
            if self._budget and self.exhausted:
                raise BudgetExhausted(f"--max-requests {self.max_requests} used up")
            started = time.perf_counter()
            response = self.client.request(method, url, content=content, headers=sent_headers)
            self.sent += 1
            exchange = Exchange(
                method=method,
                url=str(response.request.url) if _has_request(response) else url,
                headers=sent_headers,
                body=content,
                status=int(response.status_code),
                response_headers={k.lower(): v for k, v in response.headers.items()},
                response_body=bytes(response.content),
                elapsed_ms=(time.perf_counter() - started) * 1000,
            )
            wait = None
            if exchange.status == 429:
                wait = retry_after_seconds(exchange.response_headers.get("retry-after"))
            if wait is not None:
                if wait > self.max_wait or retries >= self.max_retries:
                    if record:
                        self.log.append(exchange)
                    why = (
                        f"Retry-After {wait:.0f}s exceeds --max-wait {self.max_wait:.0f}s"
                        if wait > self.max_wait
                        else f"still 429 after {retries} waits"
                    )
                    raise Throttled(f"throttled — incomplete: {method} {url}: {why}")
                retries += 1
                self.throttled += 1
                if self.on_throttle is not None:
                    self.on_throttle(f"{method} {url}", wait)
                self.sleep(wait)
                continue
            if record:
                self.log.append(exchange)
            return exchange


def _has_request(response: Any) -> bool:
    try:
        return response.request is not None
    except RuntimeError:  # httpx raises when a response was built without a request
        return False
