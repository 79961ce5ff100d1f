"""Store URLs and the engines behind them: `memory`, `sqlite:PATH`, `redis://host:port/db`
(also `rediss://` and `unix://`), and what registers more.

An engine is the data store and the harness state (journal, faults, clock, rate windows) of one
server, opened from a URL. `register` adds a scheme: an engine's module says what its URLs
look like and whether several worker processes may share it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tagfake.state.harness import Harness, memory_harness
from tagfake.state.store import Store


@dataclass(frozen=True)
class StoreUrl:
    text: str
    scheme: str
    #: What follows the scheme: a file for sqlite, an address for a network store.
    target: str
    #: Several processes may use it at once (`--workers N`).
    shared: bool
    #: Settings of a network store (`prefix`, `timeout`), from flags or the environment.
    options: Mapping[str, object] = field(default_factory=dict)


@dataclass
class Engine:
    url: StoreUrl
    store: Store
    harness: Harness
    #: True when the store was just created: the fixtures are its first state.
    fresh: bool = True
    close: Callable[[], None] = field(default=lambda: None)
    #: What the banner says about the store, e.g. its file.
    summary: str = "memory"
    #: The vendors whose data the store already holds (their fixtures were loaded once).
    kept_vendors: Callable[[], set[str]] = field(default=set)
    #: Record that the store now holds these vendors' data.
    mark_vendors: Callable[[set[str]], None] = field(default=lambda vendors: None)
    #: Whether the store answers now (a network store may be away for a while).
    ping: Callable[[], bool] = field(default=lambda: True)


@dataclass(frozen=True)
class EngineKind:
    shared: bool
    #: (url, seed, rate_limits, primary) -> Engine. `primary`: the process that starts the
    #: server (not a worker it spawns), the one to set up the store for this run.
    open: Callable[[StoreUrl, int | None, bool, bool], Engine]
    #: Checks the part after the scheme; returns a problem, or None.
    check: Callable[[str], str | None] = lambda target: None


_KINDS: dict[str, EngineKind] = {}


def register(scheme: str, kind: EngineKind) -> None:
    _KINDS[scheme] = kind


def parse_store_url(text: str) -> StoreUrl:
    """`memory`, `sqlite:PATH` (relative or absolute; `sqlite:///abs/path` works too), ...

    Raises ValueError naming what is wrong and what is accepted."""
    raw = text.strip()
    scheme, sep, target = raw.partition(":")
    scheme = scheme.lower()
    choices = ", ".join(_examples())
    if scheme not in _KINDS:
        raise ValueError(f"store {text!r}: unknown kind {scheme!r}; use one of {choices}")
    if scheme == "memory" and (sep or target):
        raise ValueError(f"store {text!r}: the memory store takes no address; write 'memory'")
    kind = _KINDS[scheme]
    problem = kind.check(target)
    if problem is not None:
        raise ValueError(f"store {text!r}: {problem}")
    return StoreUrl(raw, scheme, target, kind.shared)


def _examples() -> list[str]:
    known = {
        "memory": "memory",
        "sqlite": "sqlite:PATH",
        "redis": "redis://HOST:PORT/DB",
        "rediss": "rediss://HOST:PORT/DB",
        "unix": "unix:///PATH/redis.sock",
    }
    return [known.get(s, f"{s}:...") for s in _KINDS]


def open_engine(
    text: str,
    *,
    seed: int | None = None,
    rate_limits: bool = False,
    primary: bool = True,
    options: Mapping[str, object] | None = None,
) -> Engine:
    url = parse_store_url(text)
    if options:
        url = replace(url, options=dict(options))
    return _KINDS[url.scheme].open(url, seed, rate_limits, primary)


# -- memory ---------------------------------------------------------------------------------


def _open_memory(url: StoreUrl, seed: int | None, rate_limits: bool, primary: bool) -> Engine:
    from tagfake.state.memory import MemoryStore

    return Engine(url, MemoryStore(seed), memory_harness(rate_limits))


register("memory", EngineKind(shared=False, open=_open_memory))


# -- sqlite ---------------------------------------------------------------------------------


def sqlite_path(target: str) -> Path:
    # `sqlite:///tmp/x.db` (URL style) and `sqlite:/tmp/x.db` name the same file.
    if target.startswith("//"):
        target = target[2:]
    return Path(target).expanduser()


def _check_sqlite(target: str) -> str | None:
    if not sqlite_path(target).name or target.endswith("/"):
        return "name the database file, e.g. sqlite:./tagfake.db"
    return None


def _open_sqlite(url: StoreUrl, seed: int | None, rate_limits: bool, primary: bool) -> Engine:
    from tagfake.state.sqlite.engine import open_sqlite

    return open_sqlite(url, sqlite_path(url.target), seed, rate_limits, primary)


register("sqlite", EngineKind(shared=True, open=_open_sqlite, check=_check_sqlite))


# -- redis ----------------------------------------------------------------------------------


def _check_redis(scheme: str) -> Callable[[str], str | None]:
    def check(target: str) -> str | None:
        from tagfake.state.redis.conn import check_url

        return check_url(f"{scheme}:{target}")

    return check


def _open_redis(url: StoreUrl, seed: int | None, rate_limits: bool, primary: bool) -> Engine:
    from tagfake.state.store import StoreUnavailable

    try:
        from tagfake.state.redis.engine import open_redis
    except ImportError as exc:
        raise StoreUnavailable(
            f"store {url.text!r} needs redis-py ({exc.name} is missing): "
            "pip install 'tagfake[redis]'"
        ) from None

    return open_redis(url, seed, rate_limits, primary)


for _scheme in ("redis", "rediss", "unix"):
    register(_scheme, EngineKind(shared=True, open=_open_redis, check=_check_redis(_scheme)))


def describe(engine: Engine) -> dict[str, Any]:
    return {"kind": engine.url.scheme, "url": engine.url.text}
