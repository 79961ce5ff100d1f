"""The store interface. Every operation is atomic; implementations may live in another process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from tagfake.state.model import Namespace


class Store(Protocol):
    """Namespaced by (vendor, tenant). `transaction` holds the namespace exclusively until it ends.

    Callers validate everything before the first change, so a rejected request changes nothing.
    """

    #: True when operations block on I/O and must be run off the event loop.
    blocking: bool

    def transaction(self, vendor: str, tenant: str) -> AbstractContextManager[Namespace]: ...

    def read(self, vendor: str, tenant: str) -> AbstractContextManager[Namespace]: ...

    def tenant_of(self, vendor: str, credential: str) -> str | None: ...

    def tenants(self, vendor: str) -> list[str]: ...

    def credentials(self, vendor: str, tenant: str) -> list[str]: ...

    def put_tenant(
        self, vendor: str, tenant: str, namespace: Namespace, credentials: list[str]
    ) -> None: ...

    def drop(self, vendor: str | None = None, tenant: str | None = None) -> None: ...

    def next_int(self, vendor: str, kind: str) -> int: ...

    def bump_int(self, vendor: str, kind: str, at_least: int) -> None: ...

    def new_uuid(self) -> str: ...

    def reseed(self, seed: int | None) -> None: ...

    @property
    def revision(self) -> int: ...

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, doc: dict[str, Any]) -> None: ...

    def iter_namespaces(self) -> Iterator[tuple[str, str]]: ...
