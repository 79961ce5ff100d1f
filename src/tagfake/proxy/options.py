"""What `tagfake proxy` is told: flags first, then `TAGFAKE_UPSTREAM_<VENDOR>` and friends."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit

from tagfake.settings import VENDORS

RequestCheckMode = Literal["report", "enforce"]


@dataclass(frozen=True)
class ProxyOptions:
    vendor: str
    #: The vendor's API base URL, e.g. https://zapini.app/api/v1 (paths are appended to it).
    upstream: str
    #: Seconds the upstream may take (connect, each read and write) before the app gets a 502.
    timeout: float = 10.0
    #: report: a request that breaks the spec is reported and still forwarded unchanged;
    #: enforce: it is answered with the vendor's own error and never forwarded.
    request_check: RequestCheckMode = "report"
    #: Also answer each request from tagfake's own state and compare the two answers.
    shadow: bool = False
    #: Shadow only: import the upstream's state through its own reads (GETs the app did not send).
    import_reads: bool = False
    #: Write the exchanges to a HAR file in this folder.
    record_dir: Path | None = None
    #: Where the proxy report (report.json, report.html) is written at the end.
    report_dir: Path = Path("reports/proxy")
    #: The largest upstream answer passed on; a longer one is the app's 502.
    max_answer_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.vendor not in VENDORS:
            raise ValueError(f"unknown vendor {self.vendor!r}; choose from {VENDORS}")
        parts = urlsplit(self.upstream)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"the upstream must be an http(s) URL, not {self.upstream!r}")
        if parts.query or parts.fragment:
            raise ValueError("the upstream URL takes no query or fragment")
        if not self.timeout > 0:
            raise ValueError("the upstream timeout must be more than 0 seconds")
        if self.request_check not in get_args(RequestCheckMode):
            raise ValueError(f"request check must be one of {get_args(RequestCheckMode)}")
        if self.import_reads and not self.shadow:
            raise ValueError("--import-reads fills the shadow's state: it needs --shadow")

    @property
    def base(self) -> str:
        return self.upstream.rstrip("/")

    @classmethod
    def from_env(
        cls, vendor: str, environ: Mapping[str, str] | None = None, **flags: object
    ) -> ProxyOptions:
        """`TAGFAKE_UPSTREAM_<VENDOR>` and `TAGFAKE_UPSTREAM_TIMEOUT`, overridden by flags."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {"vendor": vendor}
        upstream = env.get(f"TAGFAKE_UPSTREAM_{vendor.upper()}")
        if upstream:
            values["upstream"] = upstream
        timeout = env.get("TAGFAKE_UPSTREAM_TIMEOUT")
        if timeout:
            try:
                values["timeout"] = float(timeout)
            except ValueError:
                raise ValueError(
                    f"TAGFAKE_UPSTREAM_TIMEOUT must be a number, not {timeout!r}"
                ) from None
        values.update({k: v for k, v in flags.items() if v is not None})
        if "upstream" not in values:
            raise ValueError(
                f"name the upstream: --upstream URL or TAGFAKE_UPSTREAM_{vendor.upper()}"
            )
        return cls(**values)  # type: ignore[arg-type]
