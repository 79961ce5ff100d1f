"""`redis://host:port/db`, `rediss://...` (TLS) and `unix:///path/to.sock`: the store and the
harness state of one world in Redis, shared by every tagfake process pointed at it.

A world outlives its processes: the first process to find the prefix empty creates it (loads
the fixtures, seeds the ids); every later one, a replica or a restart, joins what is there.
"""

from __future__ import annotations

import time
from contextlib import suppress

from tagfake.state.engines import Engine, StoreUrl
from tagfake.state.redis.conn import OUTAGES, Keys, RedisOptions, connect
from tagfake.state.redis.harness import redis_harness
from tagfake.state.redis.store import RedisStore
from tagfake.state.store import StoreUnavailable


def options_of(url: StoreUrl) -> RedisOptions:
    prefix = str(url.options.get("prefix") or "tagfake:")
    timeout = float(str(url.options.get("timeout") or 2.0))
    return RedisOptions(url.text, prefix=prefix, timeout=timeout)


def open_redis(url: StoreUrl, seed: int | None, rate_limits: bool, primary: bool) -> Engine:
    """Raises StoreUnavailable (one line) when Redis cannot be reached at start."""
    options = options_of(url)
    client = connect(options)
    binary = connect(options, binary=True)
    keys = Keys(options.prefix)
    store = RedisStore(options, client)
    try:
        client.ping()
        fresh = bool(client.set(keys("world"), "1", nx=True))
        if fresh:
            store.reseed(seed)
    except OUTAGES as exc:
        raise StoreUnavailable(f"cannot reach redis at {_safe(url.text)}: {exc}") from None
    harness = redis_harness(client, binary, keys, store.locks, rate_limits)

    def kept_vendors() -> set[str]:
        if not fresh:
            # Started beside the process creating the world: let it load its fixtures first.
            deadline = time.monotonic() + 15
            while not client.exists(keys("world", "ready")) and time.monotonic() < deadline:
                time.sleep(0.05)
        return {str(v) for v in client.smembers(keys("world", "vendors"))}

    def mark_vendors(vendors: set[str]) -> None:
        pipe = client.pipeline(transaction=True)
        if vendors:
            pipe.sadd(keys("world", "vendors"), *sorted(vendors))
        pipe.set(keys("world", "ready"), "1")
        pipe.execute()

    def close() -> None:
        store.close()
        with suppress(*OUTAGES):
            binary.close()
            binary.connection_pool.disconnect()

    def ping() -> bool:
        try:
            return bool(client.ping())
        except OUTAGES:
            return False

    return Engine(
        url,
        store,
        harness,
        fresh=fresh,
        close=close,
        summary=f"redis {_safe(url.text)} (prefix {options.prefix!r})",
        kept_vendors=kept_vendors,
        mark_vendors=mark_vendors,
        ping=ping,
    )


def _safe(text: str) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(text)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return text
