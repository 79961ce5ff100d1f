"""The compiled call of an operation's handler: the arguments it names, typed, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagfake.contract.spec import compile_contract
from tagfake.pipeline.call import Call
from tagfake.pipeline.dispatch import compile_endpoint

SPECS = Path(__file__).resolve().parents[2] / "specs"
COMMBOX = compile_contract("commbox", SPECS / "commbox.openapi.yaml")
NEXOR = compile_contract("nexor", SPECS / "nexor.openapi.yaml")


def _call(body: Any = None) -> Call:
    return Call(runtime=None, vendor=None, contract=COMMBOX, mount="", backend=None, body=body)  # type: ignore[arg-type]


def test_arguments_path_values_typed_as_the_spec_says() -> None:
    async def update_tag(TAG_ID: int, body: dict[str, Any]) -> None: ...

    endpoint = compile_endpoint(COMMBOX.operations["updateTag"], update_tag)
    kwargs = endpoint.arguments(_call({"name": "x"}), {"path_params": {"TAG_ID": "12"}})
    assert kwargs == {"TAG_ID": 12, "body": {"name": "x"}}


def test_arguments_absent_body_is_a_fresh_empty_object() -> None:
    async def update_tag(TAG_ID: int, body: dict[str, Any]) -> None: ...

    endpoint = compile_endpoint(COMMBOX.operations["updateTag"], update_tag)
    first = endpoint.arguments(_call(), {"path_params": {"TAG_ID": 1}})
    first["body"]["mutated"] = True
    assert endpoint.arguments(_call(), {"path_params": {"TAG_ID": 1}})["body"] == {}


def test_arguments_query_last_value_and_empty_text_kept() -> None:
    async def list_tags(search: str | None = None) -> None: ...

    endpoint = compile_endpoint(NEXOR.operations["listTags"], list_tags)
    assert endpoint.arguments(_call(), {"query_string": b"search=a&search=b"}) == {"search": "b"}
    assert endpoint.arguments(_call(), {"query_string": b"search="}) == {"search": ""}
    assert endpoint.arguments(_call(), {"query_string": b"other=1"}) == {}


def test_arguments_only_what_the_handler_names() -> None:
    async def delete_tag() -> None: ...

    endpoint = compile_endpoint(COMMBOX.operations["deleteTag"], delete_tag)
    assert endpoint.arguments(_call(), {"path_params": {"TAG_ID": 3}}) == {}
