"""Every setting in one frozen dataclass, with `TAGFAKE_<FIELD>` environment overrides."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

ValidationMode = Literal["off", "report", "enforce"]
LogFormat = Literal["text", "json"]

VENDORS: tuple[str, ...] = ("healvi", "commbox", "zapini", "nexor")


def data_dir() -> Path:
    """Where the bundled specs and fixtures are: inside the wheel, or at the checkout's root."""
    packaged = Path(__file__).resolve().parent / "_data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    vendors: tuple[str, ...] = VENDORS
    # Serve a single vendor at its own base path (`/api/v1/...`) instead of under `/<vendor>`.
    single_vendor: bool = False
    specs_dir: Path = field(default_factory=lambda: data_dir() / "specs")
    fixtures_dir: Path = field(default_factory=lambda: data_dir() / "fixtures")
    validation: ValidationMode = "report"
    max_body_bytes: int = 1024 * 1024
    max_json_depth: int = 32
    seed: int | None = None
    state_file: Path | None = None
    log_format: LogFormat = "text"
    rate_limits: bool = False
    journal_size: int = 1000
    # Seconds a client has to send a request's headers, and then its body: slower ones get the
    # vendor's 400 (or, before the headers are complete, a bare 408) and their connection closes.
    body_timeout: float = 5.0
    # Open connections served at once (uvicorn's limit_concurrency); more are answered 503.
    max_connections: int = 1000
    # When set, every /__admin request must carry it; kept out of repr so it is never logged.
    admin_token: str | None = field(default=None, repr=False)
    # Host names (besides loopback names, IP addresses and `host`) the admin API answers to;
    # "*" answers to any. A leading dot matches a domain and its subdomains.
    allowed_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [v for v in self.vendors if v not in VENDORS]
        if unknown or not self.vendors:
            raise ValueError(f"unknown vendor(s) {unknown or '(none)'}; choose from {VENDORS}")
        if self.single_vendor and len(self.vendors) != 1:
            raise ValueError("single-vendor mode serves exactly one vendor")
        if self.validation not in get_args(ValidationMode):
            raise ValueError(f"validation must be one of {get_args(ValidationMode)}")
        if self.log_format not in get_args(LogFormat):
            raise ValueError(f"log format must be one of {get_args(LogFormat)}")
        if self.max_body_bytes < 1 or self.max_json_depth < 2:
            raise ValueError("max_body_bytes must be >= 1 and max_json_depth >= 2")
        if not 0 < self.body_timeout <= 3600:
            raise ValueError("body_timeout must be more than 0 and at most 3600 seconds")
        if self.max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        token = self.admin_token
        if token is not None and not (
            token.isascii() and token.isprintable() and token.split() == [token]
        ):
            raise ValueError("the admin token must be printable ASCII without spaces")
        for name in self.allowed_hosts:
            # IP addresses are always allowed, so an entry is a name: no scheme, port or path.
            if not name or any(c in name for c in " /:@"):
                raise ValueError(
                    f"allowed host {name!r}: give a host name (or *), without scheme or port"
                )

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then `TAGFAKE_*` variables, then explicit overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"TAGFAKE_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


_INTEGERS = {"port", "max_body_bytes", "max_json_depth", "seed", "journal_size", "max_connections"}


def _parse(name: str, raw: str) -> object:
    if name == "body_timeout":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"TAGFAKE_BODY_TIMEOUT must be a number, not {raw!r}") from None
    if name in {
        "port",
        "max_body_bytes",
        "max_json_depth",
        "seed",
        "journal_size",
        "max_connections",
    }:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"TAGFAKE_{name.upper()} must be an integer, not {raw!r}") from None
    if name in {"single_vendor", "rate_limits"}:
        if raw.lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            raise ValueError(f"TAGFAKE_{name.upper()} must be true or false, not {raw!r}")
        return raw.lower() in {"1", "true", "yes", "on"}
    if name in {"vendors", "allowed_hosts"}:
        return tuple(v.strip() for v in raw.split(",") if v.strip())
    if name in {"specs_dir", "fixtures_dir", "state_file"}:
        return Path(raw)
    return raw
