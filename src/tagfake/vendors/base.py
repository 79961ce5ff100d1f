"""What every vendor package provides to the pipeline: auth, envelope, fixtures, backend."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tagfake.contract.schema import Violation
from tagfake.errors import Invalid, TagfakeError
from tagfake.fixtures import FixtureDoc
from tagfake.state.model import Namespace

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

Body = Any
ErrorReply = tuple[int, Body, dict[str, str]]

_REQUIRED = re.compile(r'^"(?P<name>.+)" is a required property$')


class Surface(ABC):
    """An HTTP surface served through the pipeline: a vendor, or tagfake's own admin API."""

    slug: ClassVar[str]
    #: False for the admin API: no credential, no tenant, no journal entry.
    is_vendor: ClassVar[bool] = True
    #: (requests, seconds) of the vendor's documented rate limit, enforced in rate-limit mode.
    rate_limit: ClassVar[tuple[int, int] | None] = None
    #: The request headers (lower-case) that carry the credential; sent twice, they are refused.
    credential_headers: ClassVar[tuple[str, ...]] = ()
    #: Laravel's order: the route's models are resolved (404) before the body is validated, and
    #: every failing rule is reported at once. The request check then hands a schema-invalid
    #: body on (`Call.pending`) and the backend reports it after its lookups, with its own rules.
    validates_after_binding: ClassVar[bool] = False

    @abstractmethod
    def credential(self, headers: Mapping[str, str]) -> str | None:
        """The credential sent with a request, or None when none was sent."""

    @abstractmethod
    def render_error(self, error: TagfakeError, runtime: Runtime) -> ErrorReply:
        """The surface's status, body and headers for a domain error."""

    def invalid(
        self, operation_id: str, violations: list[Violation], body: Any = None
    ) -> TagfakeError:
        """A request that breaks its schema, as the surface reports it (`body`: the parsed body,
        for texts that depend on it). Override for own texts."""
        fields: dict[str, list[str]] = {}
        for v in violations:
            field, text = field_message(v)
            fields.setdefault(field, []).append(text)
        first = next(iter(fields.values()))[0] if fields else "The given data was invalid."
        return Invalid(first, fields)


class Vendor(Surface):
    #: The vendor's own base path; tagfake mounts it under `/<slug>` when serving several vendors.
    base_path: ClassVar[str]
    title: ClassVar[str]
    #: Entity kinds this vendor puts tags on, e.g. ("conversations",).
    entity_kinds: ClassVar[tuple[str, ...]]
    #: Where a new user finds the credential to send, for the start banner.
    auth_hint: ClassVar[str]

    def mount_path(self, single_vendor: bool) -> str:
        """`/<slug><base path>` beside other vendors, the base path alone when served alone;
        never a trailing slash (CommBox's base path is the root: "/commbox" or "")."""
        path = self.base_path if single_vendor else f"/{self.slug}{self.base_path}"
        return path.rstrip("/")

    @abstractmethod
    def tenant_schema(self) -> dict[str, Any]:
        """JSON Schema of one tenant in a fixture file."""

    @abstractmethod
    def load_tenant(
        self, doc: FixtureDoc, tenant: str, runtime: Runtime
    ) -> tuple[Namespace, list[str]]:
        """Build a tenant's namespace and credentials from a checked fixture document."""

    @abstractmethod
    def make_backend(self, runtime: Runtime) -> Any:
        """The object whose methods implement the operations (snake_case of each operationId)."""

    def banner(self, tenant: str, credentials: list[str], namespace: Namespace) -> list[str]:
        """Lines printed at start for one tenant: credentials and a few ids to copy."""
        ids = ", ".join(list(namespace.tags)[:3])
        return [f"{tenant}: credential {credentials[0] if credentials else '-'}; tags {ids}"]


def field_message(v: Violation) -> tuple[str, str]:
    """A violation as (dotted field, Laravel-style sentence)."""
    m = _REQUIRED.match(v.message)
    if m:
        field = f"{v.path}.{m['name']}" if v.path else m["name"]
        return field, f"The {field} field is required."
    field = v.path or "body"
    return field, f"The {field} field is invalid: {v.message}"
