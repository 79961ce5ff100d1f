"""One function per operationId of specs/admin.openapi.yaml."""

from __future__ import annotations

from starlette.responses import Response

from tagfake.admin.backend import AdminBackend
from tagfake.admin.journal import JournalQuery
from tagfake.vendors.common import call, reply, request_body


def _admin() -> AdminBackend:
    backend: AdminBackend = call().backend
    return backend


async def get_health() -> Response:
    return reply(_admin().health())


async def reset() -> Response:
    body = request_body() or {}
    return reply(_admin().reset(body.get("vendor"), body.get("tenant")))


async def seed() -> Response:
    body = request_body()
    return reply(_admin().seed(body))


async def get_state(vendor: str, tenant: str) -> Response:
    return reply(_admin().state(vendor, tenant))


async def get_journal(
    vendor: str | None = None,
    tenant: str | None = None,
    operation: str | None = None,
    method: str | None = None,
    path: str | None = None,
    status: int | None = None,
    limit: int | None = None,
) -> Response:
    query = JournalQuery(vendor, tenant, operation, method, path, status, limit)
    return reply(_admin().journal(query))


async def clear_journal() -> Response:
    return reply(_admin().clear_journal())


async def list_faults() -> Response:
    return reply(_admin().faults())


async def add_fault() -> Response:
    body = request_body()
    return reply(_admin().add_fault(body), 201)


async def clear_faults() -> Response:
    return reply(_admin().clear_faults())


async def delete_fault(id: str) -> Response:
    return reply(_admin().delete_fault(id))


async def get_clock() -> Response:
    return reply(_admin().clock())


async def set_clock() -> Response:
    body = request_body()
    return reply(_admin().set_clock(body))


async def get_rate_limits() -> Response:
    return reply(_admin().rate_limits())


async def set_rate_limits() -> Response:
    body = request_body()
    return reply(_admin().set_rate_limits(bool(body["enabled"])))
