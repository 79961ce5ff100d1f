"""CommBox: Bearer API keys (several per account during a key rotation), one brand per tenant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tagfake import core
from tagfake.errors import TagfakeError
from tagfake.fixtures import FixtureDoc, unique
from tagfake.state.model import Entity, Namespace, Record
from tagfake.vendors import fixture_helpers as fx
from tagfake.vendors.base import ErrorReply, Vendor
from tagfake.vendors.bearer import bearer_token
from tagfake.vendors.commbox import envelope
from tagfake.vendors.commbox.backend import (
    FLAGS,
    OBJECTS,
    STREAMS,
    TAG_TYPES,
    CommBoxBackend,
    object_key,
)

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

ID: dict[str, Any] = {"type": "integer", "minimum": 1}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
NAME: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": "\\S"}


class CommBox(Vendor):
    slug = "commbox"
    base_path = "/"
    title = "CommBox API 2.07"
    entity_kinds = (OBJECTS,)
    auth_hint = "Authorization: Bearer <API key>"
    # Throttling is documented (429) without numbers; in rate-limit mode: 100 per minute per key.
    rate_limit = (100, 60)

    credential_headers = ("authorization",)

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return bearer_token(headers)

    def render_error(self, error: TagfakeError, runtime: Runtime) -> ErrorReply:
        return envelope.render_error(error, runtime.clock.now())

    def tenant_schema(self) -> dict[str, Any]:
        group = fx.strings({"required": ["id", "name"]}, id=ID, name=NAME)
        tag = fx.strings(
            {"required": ["id", "name"]},
            id=ID,
            name=NAME,
            type={"enum": list(TAG_TYPES)},
            groupId={"type": "integer", "minimum": 0},
            isObject=BOOLEAN,
            isUser=BOOLEAN,
            isChild=BOOLEAN,
        )
        obj = fx.strings({"required": ["id"]}, id=ID, tags={"type": "array", "items": ID})
        stream = fx.strings(
            {"required": ["id"]},
            id=ID,
            name={"type": "string"},
            objects={"type": "array", "items": obj},
        )
        return fx.tenant(groups=group, tags=tag, streams=stream)

    def load_tenant(
        self, doc: FixtureDoc, tenant: str, runtime: Runtime
    ) -> tuple[Namespace, list[str]]:
        body = doc.data["tenants"][tenant]
        every_group = fx.all_ids(doc, "groups")
        unique(doc, every_group, "group id")
        groups = {str(g["id"]): {"id": g["id"], "name": g["name"]} for g in body.get("groups", [])}

        def to_tag(raw: Record, path: str) -> Record:
            group = raw.get("groupId", 0)
            if group != 0 and str(group) not in groups:
                raise doc.error(f"{path}.groupId", f"{group} is not a group of tenant {tenant!r}")
            tag: Record = {"id": raw["id"], "name": raw["name"], "type": raw.get("type", 1)}
            tag["groupId"] = group
            for attr, default in FLAGS.values():
                tag[attr] = raw.get(attr, default)
            return tag

        tags = fx.tags_of(doc, tenant, to_tag)
        streams, objects = self._streams(doc, tenant, tags)
        # New ids continue after the file's highest (ids are unique across all tenants).
        for kind, ids in (("tag", fx.all_ids(doc, "tags")), ("group", every_group)):
            runtime.store.bump_int(self.slug, kind, max((int(i) for _, i in ids), default=0))
        namespace = fx.namespace(tags, {STREAMS: streams, OBJECTS: objects}, groups)
        return namespace, fx.credential_list(doc, tenant)

    @staticmethod
    def _streams(
        doc: FixtureDoc, tenant: str, tags: dict[str, Record]
    ) -> tuple[dict[str, Entity], dict[str, Entity]]:
        """Streams (channels) and their objects (conversations), each object keyed by both ids."""
        unique(doc, fx.all_ids(doc, STREAMS), "stream id")
        unique(
            doc,
            [
                (f"tenants.{t}.streams.{i}.objects.{j}.id", str(o["id"]))
                for t, b in doc.data["tenants"].items()
                for i, s in enumerate(b.get("streams", []))
                for j, o in enumerate(s.get("objects", []))
            ],
            "object id",
        )
        streams: dict[str, Entity] = {}
        objects: dict[str, Entity] = {}
        for i, raw_stream in enumerate(doc.data["tenants"][tenant].get("streams", [])):
            sid = raw_stream["id"]
            streams[str(sid)] = Entity(attrs={"id": sid, "name": raw_stream.get("name", "")})
            for j, raw_obj in enumerate(raw_stream.get("objects", [])):
                path = f"tenants.{tenant}.streams.{i}.objects.{j}"
                carried: list[str] = []
                for k, t in enumerate(raw_obj.get("tags", [])):
                    if str(t) not in tags:
                        raise doc.error(
                            f"{path}.tags.{k}", f"{t!r} is not a tag of tenant {tenant!r}"
                        )
                    if not tags[str(t)]["isObject"]:
                        raise doc.error(f"{path}.tags.{k}", f"tag {t} has isObject false")
                    carried.append(str(t))
                objects[object_key(sid, raw_obj["id"])] = Entity(
                    attrs={"id": raw_obj["id"], "streamId": sid}, tags=core.dedupe(carried)
                )
        return streams, objects

    def make_backend(self, runtime: Runtime) -> CommBoxBackend:
        return CommBoxBackend(runtime.store, runtime.clock)

    def banner(self, tenant: str, credentials: list[str], namespace: Namespace) -> list[str]:
        tags = ", ".join(list(namespace.tags)[:3])
        line = f"{tenant}: credential {credentials[0] if credentials else '-'}; tags {tags}"
        first = next(iter(namespace.entities.get(OBJECTS, {})), None)
        if first is not None:
            stream, obj = first.split("/")
            line += f"; stream {stream} object {obj}"
        return [line]


VENDOR = CommBox()
