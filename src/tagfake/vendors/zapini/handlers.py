"""One function per operationId of specs/zapini.openapi.yaml."""

from __future__ import annotations

from starlette.responses import Response

from tagfake.vendors.common import call, reply, request_body, run, tenant
from tagfake.vendors.zapini.envelope import ok


async def list_tags() -> Response:
    tags = await run(call().backend.list_tags, tenant())
    return reply(ok({"tags": tags}))


async def create_tag() -> Response:
    tag = await run(call().backend.create_tag, tenant(), request_body(), call().pending)
    return reply(ok({"tag": tag}, "Tag created successfully"), 201)


async def get_tag(uuid: str) -> Response:
    return reply(ok({"tag": await run(call().backend.get_tag, tenant(), uuid)}))


async def update_tag(uuid: str) -> Response:
    body = request_body() or {}
    tag = await run(call().backend.update_tag, tenant(), uuid, body, call().pending)
    return reply(ok({"tag": tag}, "Tag updated successfully"))


async def delete_tag(uuid: str) -> Response:
    await run(call().backend.delete_tag, tenant(), uuid)
    return reply(ok(message="Tag deleted successfully"))


async def get_conversation(uuid: str) -> Response:
    conversation = await run(call().backend.get_conversation, tenant(), uuid)
    return reply(ok({"conversation": conversation}))


async def update_conversation_tags(uuid: str) -> Response:
    c = call()
    body = request_body()
    tags = await run(
        c.backend.update_conversation_tags, tenant(), uuid, body.get("tag_ids"), c.pending
    )
    return reply(ok({"tags": tags}, "Conversation tags updated"))
