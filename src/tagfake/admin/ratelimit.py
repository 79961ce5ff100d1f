"""The vendors' documented rate limits, opt-in: fixed windows per credential, on tagfake's clock.

The windows and the on/off switch live in the engine's `RateWindows`, shared by every worker."""

from __future__ import annotations

from datetime import datetime

from tagfake.state.harness import MemoryRateWindows, RateWindows


class RateLimiter:
    def __init__(self, enabled: bool, windows: RateWindows | None = None) -> None:
        self.windows: RateWindows = windows or MemoryRateWindows(enabled)

    @property
    def enabled(self) -> bool:
        return self.windows.enabled()

    def set_enabled(self, enabled: bool) -> None:
        self.windows.set_enabled(enabled)

    def hit(self, vendor: str, credential: str, limit: tuple[int, int], now: datetime) -> int:
        """0 when the request may pass, else the seconds until the window reopens."""
        return self.windows.hit(vendor, credential, limit, now)
