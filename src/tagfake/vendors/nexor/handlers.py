"""One function per operationId of specs/nexor.openapi.yaml."""

from __future__ import annotations

from starlette.responses import Response

from tagfake.vendors.common import call, reply, request_body, run, tenant
from tagfake.vendors.nexor.envelope import data, success


async def list_tags(search: str | None = None) -> Response:
    return reply(data(await run(call().backend.list_tags, tenant(), search)))


async def create_tag() -> Response:
    body = request_body()
    return reply(data(await run(call().backend.create_tag, tenant(), body)), 201)


async def update_tag(id: str) -> Response:
    body = request_body()
    return reply(data(await run(call().backend.update_tag, tenant(), id, body or {})))


async def delete_tag(id: str) -> Response:
    await run(call().backend.delete_tag, tenant(), id)
    return reply(success())


async def get_lead_tags(leadId: str) -> Response:
    return reply(data(await run(call().backend.get_lead_tags, tenant(), leadId)))


async def assign_lead_tags(leadId: str) -> Response:
    body = request_body()
    tags = await run(call().backend.assign_lead_tags, tenant(), leadId, body)
    return reply(data(tags), 201)


async def sync_lead_tags() -> Response:
    body = request_body()
    return reply(success(**await run(call().backend.sync_lead_tags, tenant(), body)))


async def create_leads() -> Response:
    """One lead → 201 `{"success", "lead"}`; an array → 200 with per-item outcomes."""
    body = request_body()
    outcome = await run(call().backend.create_leads, tenant(), body)
    return reply(success(**outcome), 201 if isinstance(body, dict) else 200)


async def get_lead(id: str) -> Response:
    lead = await run(call().backend.get_lead, tenant(), id)
    return reply(success(lead=lead, variables={}))
