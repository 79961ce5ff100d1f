"""Every operation of every surface, from the specs, with real ids of the acme fixtures in its
path and (for operations that take a JSON body) a body the operation accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tagfake.contract.spec import OperationContract, compile_contract
from tagfake.settings import VENDORS, Settings
from tests.conftest import PREFIXES

ADMIN = "/__admin"

# (surface, resource word before the parameter) → an acme id that exists.
_IDS: dict[tuple[str, str], str] = {
    ("healvi", "profiles"): "101",
    ("commbox", "tags"): "40",
    ("commbox", "groups"): "102",
    ("commbox", "streams"): "17566",
    ("commbox", "objects"): "372235",
    ("zapini", "tags"): "550e8400-e29b-41d4-a716-446655440001",
    ("zapini", "conversations"): "550e8400-e29b-41d4-a716-446655440045",
    ("nexor", "tags"): "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
    ("nexor", "leads"): "123e4567-e89b-12d3-a456-426614174000",
    ("admin", "state"): "nexor",
    ("admin", "{vendor}"): "acme",
    ("admin", "faults"): "no-such-rule",
}

# operationId → a body it accepts (surface-qualified where ids repeat across vendors).
VALID_BODIES: dict[tuple[str, str], Any] = {
    ("healvi", "syncProfileTags"): {"tags": [{"id": 1}, {"title": "New"}]},
    ("commbox", "createTag"): {"data": {"Name": "Fresh"}},
    ("commbox", "updateTag"): {"data": {"Name": "Renamed"}},
    ("commbox", "createTagsGroup"): {"data": {"Name": "Ops"}},
    ("commbox", "updateTagsGroup"): {"data": {"Name": "Ops 2"}},
    ("zapini", "createTag"): {"name": "Fresh", "color": "#112233"},
    ("zapini", "updateTag"): {"name": "Renamed"},
    ("zapini", "updateConversationTags"): {"tag_ids": ["550e8400-e29b-41d4-a716-446655440002"]},
    ("nexor", "createTag"): {"name": "Fresh", "slug": "fresh"},
    ("nexor", "updateTag"): {"description": "changed"},
    ("nexor", "createLeads"): {"first_name": "Ada", "email": "ada@example.com"},
    ("nexor", "syncLeadTags"): {
        "lead_id": "123e4567-e89b-12d3-a456-426614174000",
        "tags": ["VIP", "Brand New"],
    },
    ("nexor", "assignLeadTags"): {"tagId": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"},
    ("admin", "reset"): {"vendor": "zapini"},
    ("admin", "seed"): {"vendor": "zapini", "scenario": "default"},
    ("admin", "addFault"): {"effect": {"kind": "status", "status": 503}, "match": {"tenant": "x"}},
    ("admin", "setClock"): {"freeze": True},
    ("admin", "setRateLimits"): {"enabled": False},
}


@dataclass(frozen=True)
class Operation:
    surface: str
    contract: OperationContract

    @property
    def operation_id(self) -> str:
        return self.contract.operation_id

    @property
    def method(self) -> str:
        return self.contract.method.upper()

    @property
    def takes_body(self) -> bool:
        return bool(self.contract.body_media)

    @property
    def url(self) -> str:
        prefix = ADMIN if self.surface == "admin" else PREFIXES[self.surface]
        parts = self.contract.path.strip("/").split("/")
        out = []
        for i, part in enumerate(parts):
            if re.fullmatch(r"\{\w+\}", part):
                word = parts[i - 1] if i else ""
                out.append(_IDS[(self.surface, word)])
            else:
                out.append(part)
        return prefix + "/" + "/".join(out)

    @property
    def valid_body(self) -> Any:
        return VALID_BODIES[(self.surface, self.operation_id)]

    def __str__(self) -> str:
        return f"{self.surface}.{self.operation_id}"


def operations(surfaces: tuple[str, ...] = (*VENDORS, "admin")) -> list[Operation]:
    specs = Settings().specs_dir
    out = []
    for surface in surfaces:
        contract = compile_contract(surface, specs / f"{surface}.openapi.yaml")
        out += [Operation(surface, op) for op in contract.operations.values()]
    return out


def body_operations(surfaces: tuple[str, ...] = (*VENDORS, "admin")) -> list[Operation]:
    return [op for op in operations(surfaces) if op.takes_body]
