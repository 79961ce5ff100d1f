"""One function per operationId of specs/zapini.openapi.yaml."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tagfake.vendors.common import call, reply, run, tenant
from tagfake.vendors.zapini.envelope import ok


async def list_tags() -> Response:
    tags = await run(call().backend.list_tags, tenant())
    return reply(ok({"tags": tags}))


async def create_tag(body: dict[str, Any]) -> Response:
    tag = await run(call().backend.create_tag, tenant(), body, call().pending)
    return reply(ok({"tag": tag}, "Tag created successfully"), 201)


async def get_tag(uuid: str) -> Response:
    return reply(ok({"tag": await run(call().backend.get_tag, tenant(), uuid)}))


async def update_tag(uuid: str, body: dict[str, Any] | None = None) -> Response:
    tag = await run(call().backend.update_tag, tenant(), uuid, body or {}, call().pending)
    return reply(ok({"tag": tag}, "Tag updated successfully"))


async def delete_tag(uuid: str) -> Response:
    await run(call().backend.delete_tag, tenant(), uuid)
    return reply(ok(message="Tag deleted successfully"))


async def get_conversation(uuid: str) -> Response:
    conversation = await run(call().backend.get_conversation, tenant(), uuid)
    return reply(ok({"conversation": conversation}))


async def update_conversation_tags(uuid: str, body: dict[str, Any]) -> Response:
    c = call()
    tags = await run(
        c.backend.update_conversation_tags, tenant(), uuid, body.get("tag_ids"), c.pending
    )
    return reply(ok({"tags": tags}, "Conversation tags updated"))
