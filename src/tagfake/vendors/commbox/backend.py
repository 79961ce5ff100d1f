"""CommBox's rules on the tag core: integer ids, tags with a type, an optional group and
attachment flags; deleting a group deletes its tags; tags set on conversations (objects).

Namespace layout: `tags` and `groups` keyed by the id as a string; entity kind `streams` (the
channels, carrying no tags) keyed by stream id, and kind `objects` (the conversations) keyed
`"<streamId>/<objectId>"`, so an object is only found through its own stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tagfake import core
from tagfake.clock import Clock
from tagfake.errors import Invalid, NotFound
from tagfake.state.model import Namespace, Record
from tagfake.state.store import Store

VENDOR = "commbox"
STREAMS = "streams"
OBJECTS = "objects"
#: Tags Types: Tag, Goal, Miss, Support Tag, Topics Tag, Intents, Customer Satisfaction, SLA,
#: Customer Satisfaction Open Answer.
TAG_TYPES = (1, 2, 3, 4, 5, 100, 101, 102, 103)
#: Body fields the published spec and older docs spell with spaces → the help site's spelling.
#: Create and update accept both; one request with both spellings of one field is refused.
SPELLINGS = {
    "Tag Group Id": "TagGroupId",
    "Object Tag": "ObjectTag",
    "User Tag": "UserTag",
    "Child Tag": "ChildTag",
}
#: Create-tag body field → (tag record field, default when omitted).
FLAGS = {
    "ObjectTag": ("isObject", True),
    "UserTag": ("isUser", False),
    "ChildTag": ("isChild", False),
}


def object_key(stream_id: int, object_id: int) -> str:
    return f"{stream_id}/{object_id}"


class CommBoxBackend:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- tags -------------------------------------------------------------------------------
    def get_tags(self, tenant: str) -> list[Record]:
        with self.store.read(VENDOR, tenant) as ns:
            return [dict(ns.tags[k]) for k in sorted(ns.tags, key=int)]

    def create_tag(self, tenant: str, data: Mapping[str, Any]) -> str:
        """The new tag's id, as the string the API answers."""
        data = canonical(data)
        record: Record = {
            "name": _name(data.get("Name")),
            "type": _tag_type(data.get("Type", 1)),
            "groupId": _integer(data.get("TagGroupId", 0), "TagGroupId"),
        }
        for field, (attr, default) in FLAGS.items():
            record[attr] = _flag(data.get(field, default), field)
        with self.store.transaction(VENDOR, tenant) as ns:
            _group_must_exist(ns, record["groupId"])
            new_id = self._new_id(ns.tags, "tag")
            ns.tags[str(new_id)] = {"id": new_id, **record}
            return str(new_id)

    def update_tag(self, tenant: str, tag_id: int, data: Mapping[str, Any]) -> None:
        data = canonical(data)
        changes: Record = {}
        if "Name" in data:
            changes["name"] = _name(data["Name"])
        if "TagGroupId" in data:
            changes["groupId"] = _integer(data["TagGroupId"], "TagGroupId")
        if not changes:
            raise _invalid("data", "Send Name and/or TagGroupId.")
        with self.store.transaction(VENDOR, tenant) as ns:
            key = _tag_key(ns, tag_id)
            if "groupId" in changes:
                _group_must_exist(ns, changes["groupId"])
            ns.tags[key].update(changes)

    def delete_tag(self, tenant: str, tag_id: int) -> None:
        with self.store.transaction(VENDOR, tenant) as ns:
            core.delete_tags(ns, [_tag_key(ns, tag_id)])

    # -- tags groups ------------------------------------------------------------------------
    def get_tags_groups(self, tenant: str) -> list[Record]:
        with self.store.read(VENDOR, tenant) as ns:
            return [
                {"id": ns.groups[k]["id"], "name": ns.groups[k]["name"], "brandId": tenant}
                for k in sorted(ns.groups, key=int)
            ]

    def create_tags_group(self, tenant: str, data: Mapping[str, Any]) -> str:
        name = _name(data.get("Name"))
        with self.store.transaction(VENDOR, tenant) as ns:
            new_id = self._new_id(ns.groups, "group")
            ns.groups[str(new_id)] = {"id": new_id, "name": name}
            return str(new_id)

    def update_tags_group(self, tenant: str, group_id: int, data: Mapping[str, Any]) -> None:
        name = _name(data.get("Name"))
        with self.store.transaction(VENDOR, tenant) as ns:
            ns.groups[_group_key(ns, group_id)]["name"] = name

    def delete_tags_group(self, tenant: str, group_id: int) -> None:
        """Documented: "Deleting a group of tags will delete all tags included in that group"."""
        with self.store.transaction(VENDOR, tenant) as ns:
            key = _group_key(ns, group_id)
            gid = ns.groups[key]["id"]
            core.delete_tags(ns, [k for k, t in ns.tags.items() if t["groupId"] == gid])
            del ns.groups[key]

    # -- tags of conversations (objects) ----------------------------------------------------
    def set_object_tag(self, tenant: str, stream_id: int, object_id: int, tag_id: int) -> None:
        with self.store.transaction(VENDOR, tenant) as ns:
            obj = _object_key(ns, stream_id, object_id)
            tag = _tag_key(ns, tag_id)
            if not ns.tags[tag]["isObject"]:
                raise _invalid("TAG_ID", "This tag cannot be set on a conversation (ObjectTag).")
            core.attach(ns, OBJECTS, obj, tag)

    def delete_object_tag(self, tenant: str, stream_id: int, object_id: int, tag_id: int) -> None:
        with self.store.transaction(VENDOR, tenant) as ns:
            obj = _object_key(ns, stream_id, object_id)
            core.detach(ns, OBJECTS, obj, _tag_key(ns, tag_id))

    def object_tags(self, tenant: str, stream_id: int, object_id: int) -> list[int]:
        """The ids of the tags on a conversation (no CommBox operation shows them)."""
        with self.store.read(VENDOR, tenant) as ns:
            obj = ns.entities[OBJECTS][_object_key(ns, stream_id, object_id)]
            return [ns.tags[k]["id"] for k in obj.tags]

    # -- helpers ----------------------------------------------------------------------------
    def _new_id(self, taken: Mapping[str, Any], kind: str) -> int:
        """The next id of the vendor-wide counter (which starts after the fixture's ids)."""
        while True:
            new_id = self.store.next_int(VENDOR, kind)
            if str(new_id) not in taken:
                return new_id


def canonical(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with every field under the help site's spelling (`"Tag Group Id"` → `TagGroupId`,
    `"Object Tag"` → `ObjectTag`, …), for create and update alike; both spellings → 400."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = SPELLINGS.get(key, key)
        if name in out:
            legacy = next(k for k, v in SPELLINGS.items() if v == name)
            raise _invalid("data", f'Send {name} or "{legacy}", not both.')
        out[name] = value
    return out


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, {field: [message]})


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _invalid("data.Name", "Name is required and must not be empty.")
    return raw


def _integer(raw: Any, field: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _invalid(f"data.{field}", f"{field} must be an integer.")
    return raw


def _tag_type(raw: Any) -> int:
    if _integer(raw, "Type") not in TAG_TYPES:
        raise _invalid("data.Type", f"Type must be one of {', '.join(map(str, TAG_TYPES))}.")
    return int(raw)


def _flag(raw: Any, field: str) -> bool:
    if not isinstance(raw, bool):
        raise _invalid(f"data.{field}", f"{field} must be true or false.")
    return raw


def _tag_key(ns: Namespace, tag_id: int) -> str:
    key = str(tag_id)
    if key not in ns.tags:
        raise NotFound("Tag")
    return key


def _group_key(ns: Namespace, group_id: int) -> str:
    key = str(group_id)
    if key not in ns.groups:
        raise NotFound("Tags group")
    return key


def _group_must_exist(ns: Namespace, group_id: int) -> None:
    """0 means free-standing; any other id must be a group of this tenant."""
    if group_id != 0:
        _group_key(ns, group_id)


def _object_key(ns: Namespace, stream_id: int, object_id: int) -> str:
    if str(stream_id) not in ns.entities.get(STREAMS, {}):
        raise NotFound("Stream")
    key = object_key(stream_id, object_id)
    if key not in ns.entities.get(OBJECTS, {}):
        raise NotFound("Object")
    return key
