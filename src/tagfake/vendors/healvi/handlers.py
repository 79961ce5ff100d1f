"""One function per operationId of specs/healvi.openapi.yaml."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tagfake.vendors.common import call, reply, run, tenant
from tagfake.vendors.healvi.envelope import ok


async def get_profile(id: int) -> Response:
    return reply(ok(await run(call().backend.get_profile, tenant(), id)))


async def sync_profile_tags(profileId: int, body: dict[str, Any]) -> Response:
    c = call()
    tags = await run(c.backend.sync_profile_tags, tenant(), profileId, body, c.pending)
    return reply(ok(tags))
