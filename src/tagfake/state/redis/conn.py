"""Connections to Redis, key names under one prefix, outages as `StoreUnavailable`, and the
lock every change of one tenant (or of the fault rules, or the clock) holds.

Every command has a deadline (`socket_timeout`): an unreachable or stalled Redis fails a call
within it instead of hanging a request, and the next call connects afresh, so tagfake comes
back by itself when Redis does. Keys of one tagfake world all start with its prefix; a reset
deletes only those (SCAN by prefix, never FLUSHDB).
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qs, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tagfake.state.store import StoreUnavailable

P = ParamSpec("P")
T = TypeVar("T")

#: Redis errors that mean "the store cannot answer now", not "the request is wrong".
OUTAGES: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterDownError,
    TimeoutError,
    OSError,
)


def guarded(fn: Callable[P, T]) -> Callable[P, T]:
    """`fn`, with a Redis outage raised as `StoreUnavailable` (one line, no trace)."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except OUTAGES as exc:
            raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from None

    return call


@dataclass(frozen=True)
class RedisOptions:
    url: str
    prefix: str = "tagfake:"
    #: Seconds one command may take, connecting included, before the call fails.
    timeout: float = 2.0
    #: Seconds a transaction may hold its tenant; a lock older than this is free again.
    lock_ttl: float = 5.0


def check_url(text: str) -> str | None:
    """A problem with a `redis://`, `rediss://` or `unix://` URL, or None."""
    try:
        parts = urlsplit(text)
        if parts.scheme == "unix":
            if not parts.path:
                return "name the socket, e.g. unix:///run/redis/redis.sock"
        elif not parts.hostname:
            return "name the server, e.g. redis://127.0.0.1:6379/0"
        else:
            _ = parts.port  # raises on a port that is not a number
        db = parts.path.strip("/") if parts.scheme != "unix" else parse_qs(parts.query).get("db")
        if isinstance(db, list):
            db = db[0]
        if db and not str(db).isdigit():
            return f"the database must be a number, not {db!r}"
    except ValueError as exc:
        return str(exc)
    return None


def connect(options: RedisOptions, *, binary: bool = False) -> redis.Redis:
    """A client on a pool of connections; `binary` answers bytes instead of text."""
    pool = redis.BlockingConnectionPool.from_url(
        options.url,
        max_connections=64,
        timeout=options.timeout,
        socket_timeout=options.timeout,
        socket_connect_timeout=options.timeout,
        # One quick retry on a refused or reset connection: the first call after Redis came
        # back finds a dead pooled connection and gets a fresh one. A timeout is not retried,
        # so a call fails within its deadline.
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)),
        retry_on_timeout=False,
        decode_responses=not binary,
        encoding_errors="surrogatepass",
        health_check_interval=0,
    )
    return redis.Redis(connection_pool=pool)


class Keys:
    """Every key of one world, under its prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def tenant(self, vendor: str, tenant: str) -> str:
        """The prefix of the tenant's data keys; the length keeps `a` apart from `a:b`."""
        return self("d", vendor, str(len(tenant)), tenant) + ":"

    def lock(self, vendor: str, tenant: str) -> str:
        return self("lock", vendor, str(len(tenant)), tenant)

    def pattern(self, start: str) -> str:
        """A SCAN pattern for every key beginning with `start`."""
        return "".join("\\" + c if c in "*?[]\\" else c for c in start) + "*"


def scan(client: redis.Redis, pattern: str) -> list[str]:
    return [str(k) for k in client.scan_iter(match=pattern, count=1000)]


# -- locks ------------------------------------------------------------------------------------

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

#: Take the lock (KEYS[1]) and read its version (KEYS[2]): how many changes it has guarded.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('GET', KEYS[2]) or '0'
end
return false
"""

#: Readers register under KEYS[1] (a sorted set, scored by when they expire) unless a change
#: waits to commit (KEYS[2]): then they wait, so a writer is never starved by readers.
_ENTER = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[2]), ARGV[1])
return 1
"""

#: Apply a change only if nobody else can have changed what the lock guards: the lock is still
#: ours, or it expired and nobody has taken it since (its version is the one we read); and only
#: when no reader is in the middle of a read (else hold new readers back and say READERS).
#: KEYS = lock, version, readers, commit flag. ARGV = token, version, then per command its
#: name, its number of arguments and the arguments.
APPLY = """
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] then
  if holder or (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then
    return redis.error_reply('LOCKLOST')
  end
end
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', t[1] * 1000 + math.floor(t[2] / 1000))
if redis.call('ZCARD', KEYS[3]) > 0 then
  redis.call('SET', KEYS[4], '1', 'PX', 1000)
  return redis.error_reply('READERS')
end
redis.call('DEL', KEYS[4])
local i = 3
while i <= #ARGV do
  local n = tonumber(ARGV[i + 1])
  redis.call(ARGV[i], unpack(ARGV, i + 2, i + 1 + n))
  i = i + 2 + n
end
redis.call('INCR', KEYS[2])
if holder then redis.call('DEL', KEYS[1]) end
return 1
"""

Command = tuple[str, ...]


def encode(commands: list[Command]) -> list[str]:
    args: list[str] = []
    for name, *rest in commands:
        args += [name, str(len(rest)), *rest]
    return args


class Locks:
    """Locks in Redis, each with a token and an expiry, in front of them a striped process lock
    so the threads of one process queue here instead of polling Redis."""

    #: A change of more arguments than this (an import, a fixture of many tags) is applied on a
    #: connection with a longer deadline: Redis needs longer than a request's to run it.
    BULK_ARGS = 20_000
    BULK_TIMEOUT = 120.0

    def __init__(self, client: redis.Redis, options: RedisOptions) -> None:
        self.client = client
        self._options = options
        self._bulk: Any = None
        self.ttl_ms = int(options.lock_ttl * 1000)
        #: How long a change waits for its turn: every change queued before it (each holds the
        #: lock a few ms), or a dead holder's lock to expire; then it gives up with a 500.
        self.wait = 3 * options.lock_ttl + options.timeout
        self._take = client.register_script(_ACQUIRE)
        self._enter = client.register_script(_ENTER)
        self._release = client.register_script(_RELEASE)
        self._apply = client.register_script(APPLY)
        self._stripes = [threading.Lock() for _ in range(64)]
        self._local = threading.local()

    @contextmanager
    def held(self, key: str) -> Iterator[Held]:
        """The lock `key` until the block ends, or until `Held.commit` releases it with a
        change."""
        stripe = self._stripes[zlib.crc32(key.encode("utf-8", "surrogatepass")) % 64]
        if not stripe.acquire(timeout=self.wait):
            raise StoreUnavailable(f"redis: {key} stayed locked for {self.wait:.0f} s")
        try:
            held = Held(self, key, *self._acquire(key))
            try:
                yield held
            finally:
                if not held.released:
                    with suppress(*OUTAGES):  # it expires by itself if Redis is gone
                        self._release(keys=[key], args=[held.token])
        finally:
            stripe.release()

    @contextmanager
    def reading(self, key: str) -> Iterator[None]:
        """A read of what the lock `key` guards: no change commits until the block ends (a
        change in progress may go on; it commits after). Readers do not exclude each other;
        a read inside a read of the same thread is part of it."""
        mine: dict[str, list[str]] = self._local.__dict__.setdefault("reads", {})
        if key in mine:
            mine[key].append(mine[key][0])
            try:
                yield
            finally:
                mine[key].pop()
            return
        token = secrets.token_hex(8)
        readers = key + ":r"
        deadline = time.monotonic() + self.wait
        pause = 0.0005
        while not self._enter(keys=[readers, key + ":c"], args=[token, self.ttl_ms]):
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"redis: a change of {key} kept readers waiting")
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
        mine[key] = [token]
        try:
            yield
        finally:
            del mine[key]
            with suppress(*OUTAGES):  # it expires by itself if Redis is gone
                self.client.zrem(readers, token)

    def close(self) -> None:
        if self._bulk is not None:
            with suppress(*OUTAGES):
                self._bulk.registered_client.close()

    def _bulk_apply(self) -> Any:
        if self._bulk is None:
            slow = replace(self._options, timeout=max(self._options.timeout, self.BULK_TIMEOUT))
            self._bulk = connect(slow).register_script(APPLY)
        return self._bulk

    def _acquire(self, key: str) -> tuple[str, str]:
        """(token, version) once the lock is ours."""
        token = secrets.token_hex(8)
        deadline = time.monotonic() + self.wait
        pause = 0.0002
        while True:
            version = self._take(keys=[key, key + ":v"], args=[token, self.ttl_ms])
            if version is not None:
                return token, str(version)
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"redis: {key} stayed locked for {self.wait:.0f} s")
            # Changes hold a lock for a few ms: ask again soon. One thread per process asks
            # (the stripe lock), so the polling stays small.
            time.sleep(pause)
            pause = min(pause * 2, 0.002)

    def commit(self, key: str, token: str, version: str, commands: list[Command]) -> None:
        """Run `commands` atomically if nobody else can have changed what the lock guards since
        it was taken, and release it."""
        keys = [key, key + ":v", key + ":r", key + ":c"]
        args = [token, version, *encode(commands)]
        apply = self._apply if len(args) <= self.BULK_ARGS else self._bulk_apply()
        own = self._local.__dict__.get("reads", {}).get(key)
        if own:
            # This thread reads what it changes: its own read must not hold its change back.
            self.client.zrem(key + ":r", own[0])
        deadline = time.monotonic() + self.wait
        pause = 0.0002
        while True:
            try:
                apply(keys=keys, args=args)
                return
            except redis.exceptions.ResponseError as exc:
                if "LOCKLOST" in str(exc):
                    raise StoreUnavailable(
                        f"redis: a change held {key} past its {self.ttl_ms} ms while another "
                        "wanted it, and was dropped"
                    ) from None
                if "READERS" not in str(exc):
                    raise
            # Readers in the middle of a read: they finish, new ones wait for this commit.
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"redis: readers of {key} kept a change waiting")
            time.sleep(pause)
            pause = min(pause * 2, 0.005)


class Held:
    def __init__(self, locks: Locks, key: str, token: str, version: str) -> None:
        self.locks = locks
        self.key = key
        self.token = token
        self.version = version
        self.released = False

    def commit(self, commands: list[Command]) -> None:
        """Apply `commands` atomically and release the lock (see `Locks.commit`)."""
        self.released = True
        self.locks.commit(self.key, self.token, self.version, commands)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
