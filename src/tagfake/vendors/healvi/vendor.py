"""healvi: Bearer tokens (each bound to one tenant), integer ids, Laravel's error texts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tagfake.clock import rfc3339
from tagfake.contract.schema import Violation
from tagfake.errors import BadRequest, Invalid, TagfakeError
from tagfake.fixtures import FixtureDoc
from tagfake.state.model import Namespace, Record
from tagfake.vendors import fixture_helpers as fx
from tagfake.vendors.base import ErrorReply, Vendor
from tagfake.vendors.bearer import bearer_token
from tagfake.vendors.healvi import envelope
from tagfake.vendors.healvi.backend import (
    KIND,
    TAG_COUNTER,
    HealviBackend,
    laravel_invalid,
    title_required,
)

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

_REQUIRED = re.compile(r'^"(?P<name>.+)" is a required property$')
_TYPES = re.compile(r'is not of types? (?P<types>"[a-z]+"(?:, "[a-z]+")*)$')
_ANY_OF = "is not valid under any of the schemas listed in the 'anyOf' keyword"
_ITEM = re.compile(r"^tags\.(?P<index>\d+)$")
_ARTICLE = {"integer": "an integer", "array": "an array", "object": "an object"}

ID: dict[str, Any] = {"type": "integer", "minimum": 1}
NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}


def utc(stamp: str | None) -> str | None:
    """A fixture's date-time (already checked as RFC 3339) as the fake sends it: UTC, `Z`."""
    return None if stamp is None else rfc3339(datetime.fromisoformat(stamp))


class Healvi(Vendor):
    slug = "healvi"
    base_path = "/third-party/v1"
    title = 'voicebot.studio "Client API" 0.1.0'
    entity_kinds = (KIND,)
    auth_hint = "Authorization: Bearer <token>"
    validates_after_binding = True

    credential_headers = ("authorization",)

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return bearer_token(headers)

    def render_error(self, error: TagfakeError, runtime: Runtime) -> ErrorReply:
        return envelope.render_error(error)

    def invalid(
        self, operation_id: str, violations: list[Violation], body: Any = None
    ) -> TagfakeError:
        """Laravel's validation texts; a body that is not a JSON object is a 400."""
        fields: dict[str, list[str]] = {}
        for v in violations:
            if not v.path and "is not of type" in v.message:
                return BadRequest("The request body must be a JSON object.")
            item = _ITEM.match(v.path)
            if item and v.message.endswith(_ANY_OF):
                # Neither a usable id nor title; a wrong-typed field is reported on its own.
                if any(o.path.startswith(v.path + ".") for o in violations):
                    continue
                index = int(item["index"])
                fields.setdefault(f"tags.{index}.title", []).append(title_required(index))
                continue
            field, text = _laravel_text(v)
            fields.setdefault(field, []).append(text)
        return laravel_invalid(fields) if fields else Invalid("The given data was invalid.")

    def tenant_schema(self) -> dict[str, Any]:
        tag = fx.strings(
            {"required": ["id", "title"]},
            id=ID,
            title={"type": "string", "minLength": 1, "pattern": "\\S"},
            created_at=fx.TIMESTAMP,
            updated_at=fx.TIMESTAMP,
        )
        profile = fx.strings(
            {"required": ["id", "name"]},
            id=ID,
            name={"type": "string"},
            salutation={"enum": ["formal_male", "formal_female", "informal"]},
            gender={"enum": ["undisclosed", "male", "female", "diverse"]},
            blocked={"type": "boolean"},
            date_of_birth={"type": ["string", "null"], "format": "date-time"},
            phone_number={"type": "string"},
            email={"type": "string"},
            address={"type": "string"},
            custom_1=NULLABLE_STRING,
            custom_2=NULLABLE_STRING,
            custom_3=NULLABLE_STRING,
            custom_4=NULLABLE_STRING,
            custom_5=NULLABLE_STRING,
            created_at=fx.TIMESTAMP,
            updated_at=fx.TIMESTAMP,
            tags={"type": "array", "items": ID},
        )
        return fx.tenant(tags=tag, profiles=profile)

    def load_tenant(
        self, doc: FixtureDoc, tenant: str, runtime: Runtime
    ) -> tuple[Namespace, list[str]]:
        now = runtime.now_iso()

        def to_tag(raw: Record, path: str) -> Record:
            created = utc(raw.get("created_at")) or now
            return {
                "id": int(raw["id"]),
                "title": raw["title"].strip(),
                "created_at": created,
                "updated_at": utc(raw.get("updated_at")) or created,
            }

        def to_profile(raw: Record) -> Record:
            created = utc(raw.get("created_at")) or now
            profile: Record = {
                "id": int(raw["id"]),
                "salutation": raw.get("salutation", "informal"),
                "name": raw["name"],
                "gender": raw.get("gender", "undisclosed"),
                "blocked": raw.get("blocked", False),
                "date_of_birth": utc(raw.get("date_of_birth")),
                "phone_number": raw.get("phone_number", ""),
                "email": raw.get("email", ""),
                "address": raw.get("address", ""),
            }
            profile.update({f"custom_{n}": raw.get(f"custom_{n}") for n in range(1, 6)})
            profile["created_at"] = created
            profile["updated_at"] = utc(raw.get("updated_at")) or created
            return profile

        tags = fx.tags_of(doc, tenant, to_tag)
        profiles = fx.entities_of(doc, tenant, KIND, tags, to_profile)
        # New tags continue after the highest id of the whole file (ids are global, as in SQL).
        highest = max((int(i) for _, i in fx.all_ids(doc, "tags")), default=0)
        runtime.store.bump_int(self.slug, TAG_COUNTER, highest)
        return fx.namespace(tags, {KIND: profiles}), fx.credential_list(doc, tenant)

    def make_backend(self, runtime: Runtime) -> HealviBackend:
        return HealviBackend(runtime.store, runtime.clock)

    def banner(self, tenant: str, credentials: list[str], namespace: Namespace) -> list[str]:
        tags = ", ".join(list(namespace.tags)[:3])
        profiles = ", ".join(list(namespace.kind(KIND))[:3])
        credential = credentials[0] if credentials else "-"
        return [f"{tenant}: credential {credential}; tags {tags}; profiles {profiles}"]


def _laravel_text(v: Violation) -> tuple[str, str]:
    """(dotted field, sentence) for a violation of the sync body."""
    required = _REQUIRED.match(v.message)
    if required:
        field = f"{v.path}.{required['name']}" if v.path else required["name"]
        return field, f"The {field} field is required."
    field = v.path or "body"
    types = _TYPES.search(v.message)
    if types:
        wanted = next(t.strip('"') for t in types["types"].split(", ") if t != '"null"')
        return field, f"The {field} field must be {_ARTICLE.get(wanted, 'a ' + wanted)}."
    return field, f"The {field} field is invalid."


VENDOR = Healvi()
