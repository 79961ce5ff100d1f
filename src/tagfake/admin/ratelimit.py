"""The vendors' documented rate limits, opt-in: fixed windows per credential, on tagfake's clock."""

from __future__ import annotations

import math
import threading
from datetime import datetime


class RateLimiter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[datetime, int]] = {}

    def set_enabled(self, enabled: bool) -> None:
        with self._lock:
            self.enabled = enabled
            self._windows.clear()

    def hit(self, vendor: str, credential: str, limit: tuple[int, int], now: datetime) -> int:
        """0 when the request may pass, else the seconds until the window reopens."""
        requests, seconds = limit
        with self._lock:
            start, count = self._windows.get((vendor, credential), (now, 0))
            elapsed = (now - start).total_seconds()
            if elapsed >= seconds or elapsed < 0:
                start, count = now, 0
                elapsed = 0
            if count >= requests:
                return max(1, math.ceil(seconds - elapsed))
            self._windows[(vendor, credential)] = (start, count + 1)
            return 0
