"""Every spec is valid OpenAPI 3.0.3, every operation has its handler, every vendor's
decisions are marked."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from tagfake.contract.spec import compile_contract
from tagfake.settings import VENDORS
from tagfake.vendors.common import snake

SPECS = Path(__file__).resolve().parents[2] / "specs"
ALL = [*VENDORS, "admin"]


@pytest.mark.parametrize("name", ALL)
def test_spec_passes_openapi_spec_validator(name: str) -> None:
    spec, _ = read_from_filename(str(SPECS / f"{name}.openapi.yaml"))
    assert spec["openapi"] == "3.0.3"
    validate(spec)


@pytest.mark.parametrize("name", ALL)
def test_every_operation_has_a_handler_named_after_its_operation_id(name: str) -> None:
    contract = compile_contract(name, SPECS / f"{name}.openapi.yaml")
    module = importlib.import_module(
        "tagfake.admin.handlers" if name == "admin" else f"tagfake.vendors.{name}.handlers"
    )
    assert contract.operations
    for op_id, op in contract.operations.items():
        assert op_id[0].islower(), f"{op_id} is not camelCase"
        assert callable(getattr(module, snake(op_id), None)), f"{name}: no handler for {op_id}"
        assert op.responses, f"{op_id} documents no response"


@pytest.mark.parametrize("name", VENDORS)
def test_every_vendor_operation_documents_401_and_its_error_envelope(name: str) -> None:
    contract = compile_contract(name, SPECS / f"{name}.openapi.yaml")
    for op_id, op in contract.operations.items():
        documented, schema = op.response_schema(401)
        assert documented and schema is not None, f"{name}.{op_id} lacks a 401 body"
        assert op.response_schema(500)[0], f"{name}.{op_id} lacks 500"
        assert op.response_schema(429)[0], f"{name}.{op_id} lacks 429"


@pytest.mark.parametrize("name", VENDORS)
def test_every_vendor_spec_marks_its_assumptions(name: str) -> None:
    contract = compile_contract(name, SPECS / f"{name}.openapi.yaml")
    assumptions = contract.assumptions()
    assert len(assumptions) >= 3, f"{name}: decisions must carry x-tagfake-assumption"
    for where, text in assumptions:
        assert len(text.split()) >= 4, f"{name}{where}: say why, not just what"


def test_every_spec_is_listed_with_its_sources_in_the_readme() -> None:
    readme = (SPECS / "README.md").read_text()
    for name in VENDORS:
        assert f"{name}.openapi.yaml" in readme


def _valid(vendor: str, operation_id: str, body: object) -> bool:
    op = compile_contract(vendor, SPECS / f"{vendor}.openapi.yaml").operations[operation_id]
    assert op.body is not None
    return not op.body.violations(body)


@pytest.mark.parametrize(
    ("vendor", "operation_id", "body", "valid"),
    [
        # Nexor: force_first_message "Requires workflow_id".
        ("nexor", "createLeads", {"first_name": "A", "force_first_message": True}, False),
        ("nexor", "createLeads", {"first_name": "A", "force_first_message": False}, True),
        (
            "nexor",
            "createLeads",
            {
                "first_name": "A",
                "force_first_message": True,
                "workflow_id": "123e4567-e89b-12d3-a456-426614174000",
            },
            True,
        ),
        # Nexor: the sync's top-level fields are typed; anything may sit beside them.
        ("nexor", "syncLeadTags", {"lead_id": "x", "tags": []}, False),
        ("nexor", "syncLeadTags", {"email": 5, "tags": []}, False),
        ("nexor", "syncLeadTags", {"email": "a@b.example", "tags": [1]}, False),
        ("nexor", "syncLeadTags", {"lead_id": None, "n": {"lead_id": 5}, "tags": ["a"]}, True),
        # CommBox: a Name of only whitespace; both spellings of one field.
        ("commbox", "createTag", {"data": {"Name": " \t"}}, False),
        (
            "commbox",
            "createTag",
            {"data": {"Name": "x", "ObjectTag": True, "Object Tag": True}},
            False,
        ),
        ("commbox", "createTag", {"data": {"Name": "x", "Child Tag": True}}, True),
        ("commbox", "createTagsGroup", {"data": {"Name": "  "}}, False),
        # healvi: Laravel's integer rule.
        ("healvi", "syncProfileTags", {"tags": [{"id": "1"}]}, True),
        ("healvi", "syncProfileTags", {"tags": [{"id": "1.5"}]}, False),
        ("healvi", "syncProfileTags", {"tags": [{"id": True}]}, False),
        # Zapini: the name counts trimmed.
        ("zapini", "createTag", {"name": "n" * 50 + " ", "color": "#000000"}, True),
        ("zapini", "createTag", {"name": "n" * 51, "color": "#000000"}, False),
        ("zapini", "createTag", {"name": " \n ", "color": "#000000"}, False),
    ],
)
def test_the_specs_say_what_the_fake_accepts(
    vendor: str, operation_id: str, body: object, valid: bool
) -> None:
    assert _valid(vendor, operation_id, body) is valid
