"""One function per operationId of specs/commbox.openapi.yaml. Path parameters arrive under the
spec's names (`TAG_ID`, ...) as integers; the JSON body as `body`, already checked by the spec."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tagfake.vendors.commbox.envelope import ok
from tagfake.vendors.common import call, reply, request_body, run, tenant


def answer(data: Any) -> Response:
    return reply(ok(data, call().runtime.clock.now()))


async def get_tags() -> Response:
    return answer(await run(call().backend.get_tags, tenant()))


async def create_tag() -> Response:
    body = request_body()
    new_id = await run(call().backend.create_tag, tenant(), body["data"])
    return answer({"id": new_id})


async def update_tag(TAG_ID: int) -> Response:
    body = request_body()
    await run(call().backend.update_tag, tenant(), TAG_ID, body["data"])
    return answer({"id": None})


async def delete_tag(TAG_ID: int) -> Response:
    await run(call().backend.delete_tag, tenant(), TAG_ID)
    return answer({"id": None})


async def get_tags_groups() -> Response:
    return answer(await run(call().backend.get_tags_groups, tenant()))


async def create_tags_group() -> Response:
    body = request_body()
    new_id = await run(call().backend.create_tags_group, tenant(), body["data"])
    return answer({"id": new_id})


async def update_tags_group(TAGS_GROUP_ID: int) -> Response:
    body = request_body()
    await run(call().backend.update_tags_group, tenant(), TAGS_GROUP_ID, body["data"])
    return answer({"id": None})


async def delete_tags_group(TAGS_GROUP_ID: int) -> Response:
    await run(call().backend.delete_tags_group, tenant(), TAGS_GROUP_ID)
    return answer({"id": None})


async def set_object_tag(STREAM_ID: int, OBJECT_ID: int, TAG_ID: int) -> Response:
    await run(call().backend.set_object_tag, tenant(), STREAM_ID, OBJECT_ID, TAG_ID)
    return answer(None)


async def delete_object_tag(STREAM_ID: int, OBJECT_ID: int, TAG_ID: int) -> Response:
    await run(call().backend.delete_object_tag, tenant(), STREAM_ID, OBJECT_ID, TAG_ID)
    return answer(None)
