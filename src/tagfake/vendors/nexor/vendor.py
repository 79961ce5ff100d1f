"""Nexor: one `X-API-Key: nxr_live_…` key per account; errors as `{"error": …}`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tagfake.contract.schema import Violation
from tagfake.errors import Invalid, TagfakeError
from tagfake.fixtures import FixtureDoc
from tagfake.state.model import Namespace, Record
from tagfake.vendors import fixture_helpers as fx
from tagfake.vendors.base import ErrorReply, Vendor
from tagfake.vendors.nexor import envelope
from tagfake.vendors.nexor.backend import (
    BULK_SIZE,
    EITHER_TAG_ID,
    EMAIL_INVALID,
    KIND,
    LEAD_ID_NOT_UUID,
    TAG_NAME_REQUIRED,
    TAG_SLUG_REQUIRED,
    TAGS_NOT_STRINGS,
    NexorBackend,
    key_of,
    lead_error,
)
from tagfake.vendors.nexor.slug import slugify

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

_REQUIRED = re.compile(r'^"(?P<name>.+)" is a required property$')
#: Which field's problem is reported when a request has several (name before slug, as Nexor).
_ORDER = ("body", "", "name", "slug", "description", "tagId", "tagIds")
NOT_AN_OBJECT = "The request body must be a JSON object."  # the pipeline's own text
BODY_REQUIRED = "Request body is required"


def schema_message(operation_id: str, violations: list[Violation], body: Any = None) -> str:
    """A request that breaks its schema, in Nexor's words (one message, the first field)."""
    if operation_id == "createLeads":
        return _lead_message(body)
    if operation_id == "syncLeadTags" and not any(_REQUIRED.match(v.message) for v in violations):
        return _sync_message(violations)
    found: dict[
        str, str
    ] = {}  # top-level field ("" = the body) -> missing | empty | choice | wrong
    for v in violations:
        required = _REQUIRED.match(v.message) if not v.path else None
        if required:
            found.setdefault(required["name"], "missing")
            continue
        if "oneOf" in v.message:
            kind = "choice"
        elif "shorter than" in v.message or "less than" in v.message:
            kind = "empty"
        else:
            kind = "wrong"
        found.setdefault(v.path.split(".")[0], kind)
    for field in _ORDER:
        if field in found:
            return _field_message(operation_id, field, found[field])
    return f"{next(iter(found), 'body')} is invalid" if found else "Invalid request"


def _field_message(operation_id: str, field: str, kind: str) -> str:
    if field == "body":
        return BODY_REQUIRED
    if field == "":
        return EITHER_TAG_ID if kind == "choice" else NOT_AN_OBJECT
    if field in {"name", "slug"}:
        if kind == "wrong":
            return f"Tag {field} must be a string"
        if operation_id == "createTag":
            return TAG_NAME_REQUIRED if field == "name" else TAG_SLUG_REQUIRED
        return f"Tag {field} cannot be empty"
    if field == "description":
        return "Tag description must be a string or null"
    if field == "tagId":
        return "tagId must be a tag id (UUID)"
    return "tagIds must be a non-empty array of tag ids"


def _sync_message(violations: list[Violation]) -> str:
    """The sync's typed top-level fields, checked in the order the sync checks them."""
    by_field = {v.path.split(".")[0]: v.message for v in violations}
    if "tags" in by_field:
        return TAGS_NOT_STRINGS
    for field, malformed in (("lead_id", LEAD_ID_NOT_UUID), ("email", EMAIL_INVALID)):
        if field in by_field:
            wrong_type = "is not of type" in by_field[field]
            return f"{field} must be a string" if wrong_type else malformed
    return NOT_AN_OBJECT


def _lead_message(body: Any) -> str:
    """POST /leads' body is `oneOf` lead / array, whose failure names neither: a lead's own
    problem is found on the lead itself."""
    if isinstance(body, dict):
        return lead_error(body) or "Invalid lead"
    return BULK_SIZE


class Nexor(Vendor):
    slug = "nexor"
    base_path = "/api/public"
    title = "Nexor public API"
    entity_kinds = (KIND,)
    auth_hint = "X-API-Key: <key>"

    credential_headers = ("x-api-key",)

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return headers.get("x-api-key", "").strip() or None

    def render_error(self, error: TagfakeError, runtime: Runtime) -> ErrorReply:
        return envelope.render_error(error)

    def invalid(
        self, operation_id: str, violations: list[Violation], body: Any = None
    ) -> TagfakeError:
        return Invalid(schema_message(operation_id, violations, body))

    def tenant_schema(self) -> dict[str, Any]:
        text_or_null = {"type": ["string", "null"]}
        tag = fx.strings(
            {"required": ["id", "name", "slug"]},
            id=fx.UUID,
            name={"type": "string", "minLength": 1},
            slug={"type": "string", "minLength": 1},
            description=text_or_null,
            created_at=fx.TIMESTAMP,
            updated_at=fx.TIMESTAMP,
        )
        lead = fx.strings(
            {"required": ["id", "first_name"]},
            id=fx.UUID,
            first_name={"type": "string", "minLength": 1},
            last_name=text_or_null,
            email=text_or_null,
            phone=text_or_null,
            company=text_or_null,
            title=text_or_null,
            source={"type": "string"},
            metadata={"type": "object"},
            created_at=fx.TIMESTAMP,
            updated_at=fx.TIMESTAMP,
            tags={"type": "array", "items": fx.UUID},
        )
        return fx.tenant(tags=tag, leads=lead)

    def load_tenant(
        self, doc: FixtureDoc, tenant: str, runtime: Runtime
    ) -> tuple[Namespace, list[str]]:
        now = runtime.now_iso()

        def to_tag(raw: Record, path: str) -> Record:
            return {
                "id": key_of(raw["id"]),
                "name": raw["name"],
                "slug": slugify(raw["slug"]),
                "description": raw.get("description"),
                **fx.timestamps(raw, now),
            }

        tags = fx.tags_of(doc, tenant, to_tag, key=key_of)
        seen: set[str] = set()
        for i, tag in enumerate(tags.values()):
            if not tag["slug"]:
                path = f"tenants.{tenant}.tags.{i}.slug"
                raise doc.error(path, f"slug {tag['slug']!r} has no letter or digit")
            if tag["slug"] in seen:
                path = f"tenants.{tenant}.tags.{i}.slug"
                raise doc.error(path, f"slug {tag['slug']!r} is used twice in this account")
            seen.add(tag["slug"])

        def to_lead(raw: Record) -> Record:
            return {
                "id": key_of(raw["id"]),
                "first_name": raw["first_name"],
                **{k: raw.get(k) for k in ("last_name", "email", "phone", "company", "title")},
                "source": raw.get("source", "api"),
                "metadata": dict(raw.get("metadata", {})),
                **fx.timestamps(raw, now),
            }

        leads = fx.entities_of(doc, tenant, KIND, tags, to_lead, key=key_of, tag_key=key_of)
        return fx.namespace(tags, {KIND: leads}), fx.credential_list(doc, tenant)

    def make_backend(self, runtime: Runtime) -> NexorBackend:
        return NexorBackend(runtime.store, runtime.clock, runtime.settings.max_json_depth)

    def banner(self, tenant: str, credentials: list[str], namespace: Namespace) -> list[str]:
        """The key to send and a few ids to copy into a first curl line."""
        tags = ", ".join(list(namespace.tags)[:3])
        leads = ", ".join(list(namespace.entities.get(KIND, {}))[:3])
        key = credentials[0] if credentials else "-"
        return [f"{tenant}: X-API-Key {key}; tags {tags}; leads {leads}"]


VENDOR = Nexor()
