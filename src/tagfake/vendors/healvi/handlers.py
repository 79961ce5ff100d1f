"""One function per operationId of specs/healvi.openapi.yaml."""

from __future__ import annotations

from starlette.responses import Response

from tagfake.vendors.common import call, reply, request_body, run, tenant
from tagfake.vendors.healvi.envelope import ok


async def get_profile(id: int) -> Response:
    return reply(ok(await run(call().backend.get_profile, tenant(), id)))


async def sync_profile_tags(profileId: int) -> Response:
    c = call()
    tags = await run(c.backend.sync_profile_tags, tenant(), profileId, request_body(), c.pending)
    return reply(ok(tags))
