"""Zapini: Bearer tokens (user and `sk_` instance tokens, each bound to one tenant)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tagfake.contract.schema import Violation
from tagfake.errors import TagfakeError
from tagfake.fixtures import FixtureDoc
from tagfake.state.model import Namespace, Record
from tagfake.vendors import fixture_helpers as fx
from tagfake.vendors.base import ErrorReply, Vendor
from tagfake.vendors.bearer import bearer_token
from tagfake.vendors.zapini import envelope, rules
from tagfake.vendors.zapini.backend import KIND, ZapiniBackend, key_of

if TYPE_CHECKING:
    from tagfake.runtime import Runtime


class Zapini(Vendor):
    slug = "zapini"
    base_path = "/api/v1"
    title = "Zapini API 1.2.0"
    entity_kinds = (KIND,)
    auth_hint = "Authorization: Bearer <token>"
    rate_limit = (100, 15 * 60)  # documented: "100 requests / 15 min"
    validates_after_binding = True

    credential_headers = ("authorization",)

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return bearer_token(headers)

    def render_error(self, error: TagfakeError, runtime: Runtime) -> ErrorReply:
        return envelope.render_error(error)

    def invalid(
        self, operation_id: str, violations: list[Violation], body: Any = None
    ) -> TagfakeError:
        """Laravel's default texts from the operation's rules, never the schema validator's."""
        if operation_id in {"createTag", "updateTag"}:
            errors = rules.tag_errors(body, partial=operation_id == "updateTag")
        elif operation_id == "updateConversationTags":
            doc = body if isinstance(body, dict) else {}
            errors = rules.tag_ids_errors(doc.get("tag_ids"))
        else:
            errors = {}
        for v in violations:  # what no rule names: the field, in Laravel's generic words
            field = v.path.split(".")[0] or "body"
            if not any(f == field or f.startswith(field + ".") for f in errors):
                errors[field] = [f"The {field} field is invalid."]
        return rules.invalid(errors)

    def tenant_schema(self) -> dict[str, Any]:
        tag = fx.strings(
            {"required": ["id", "name", "color"]},
            id=fx.UUID,
            name={"type": "string", "minLength": 1, "maxLength": 50},
            color={"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"},
            created_at=fx.TIMESTAMP,
            updated_at=fx.TIMESTAMP,
        )
        conversation = fx.strings(
            {"required": ["id"]},
            id=fx.UUID,
            display_name={"type": ["string", "null"]},
            contact_number={"type": "string"},
            tags={"type": "array", "items": fx.UUID},
        )
        return fx.tenant(tags=tag, conversations=conversation)

    def load_tenant(
        self, doc: FixtureDoc, tenant: str, runtime: Runtime
    ) -> tuple[Namespace, list[str]]:
        now = runtime.now_iso()

        def to_tag(raw: Record, path: str) -> Record:
            return {
                "id": key_of(raw["id"]),
                "name": raw["name"],
                "color": raw["color"],
                **fx.timestamps(raw, now),
            }

        tags = fx.tags_of(doc, tenant, to_tag, key=key_of)
        seen: dict[str, str] = {}
        for key, tag in tags.items():
            folded = tag["name"].casefold()
            if folded in seen:
                raise doc.error(f"tenants.{tenant}.tags", f"tag name {tag['name']!r} is used twice")
            seen[folded] = key

        def to_conversation(raw: Record) -> Record:
            return {
                "id": key_of(raw["id"]),
                "display_name": raw.get("display_name"),
                "contact_number": str(raw.get("contact_number", "")),
            }

        conversations = fx.entities_of(
            doc, tenant, KIND, tags, to_conversation, key=key_of, tag_key=key_of
        )
        return fx.namespace(tags, {KIND: conversations}), fx.credential_list(doc, tenant)

    def make_backend(self, runtime: Runtime) -> ZapiniBackend:
        return ZapiniBackend(runtime.store, runtime.clock)


VENDOR = Zapini()
