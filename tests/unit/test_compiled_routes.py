"""The route table compiled from the specs at start: which operation a request names, with its
path values typed as the spec says; everything it does not decide is left to connexion."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagfake.contract.spec import compile_contract
from tagfake.pipeline.routing import RouteTable, compile_routes

SPECS = Path(__file__).resolve().parents[2] / "specs"
PREFIXES = {
    "zapini": "/zapini/api/v1",
    "nexor": "/nexor/api/public",
    "commbox": "/commbox",
    "healvi": "/healvi/third-party/v1",
}


@pytest.fixture(scope="module")
def table() -> RouteTable:
    return compile_routes(
        (prefix, compile_contract(v, SPECS / f"{v}.openapi.yaml")) for v, prefix in PREFIXES.items()
    )


@pytest.mark.parametrize(
    ("method", "path", "operation", "values"),
    [
        ("GET", "/zapini/api/v1/tags", "listTags", {}),
        ("PUT", "/nexor/api/public/leads/tags", "syncLeadTags", {}),
        ("GET", "/zapini/api/v1/tags/abc", "getTag", {"uuid": "abc"}),
        ("GET", "/nexor/api/public/leads/l-1", "getLead", {"id": "l-1"}),
        ("POST", "/commbox/tags/+7", "updateTag", {"TAG_ID": 7}),
        ("GET", "/healvi/third-party/v1/profiles/-3", "getProfile", {"id": -3}),
    ],
)
def test_find_names_the_operation_with_typed_values(
    table: RouteTable, method: str, path: str, operation: str, values: dict[str, object]
) -> None:
    found = table.find(path, method)
    assert found is not None
    assert found[1:] == (operation, values)
    assert path.startswith(found[0])


def test_find_concrete_path_wins_over_templated(table: RouteTable) -> None:
    # `/leads/{id}` would take "tags" as an id; the concrete path has no GET: not decided here.
    assert table.find("/nexor/api/public/leads/tags", "GET") is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/zapini/api/v1/tags"),  # a known path, another method: the router's 405
        ("HEAD", "/zapini/api/v1/tags"),
        ("GET", "/zapini/api/v1/tags/"),  # trailing slash: the router's redirect
        ("GET", "/zapini/api/v1//tags"),
        ("GET", "/healvi/third-party/v1/profiles/abc"),  # not an integer
        ("GET", "/zapini/api/v1/unknown"),
        ("GET", "/zapini/api/v1/openapi.json"),
    ],
)
def test_find_leaves_everything_else_to_connexion(
    table: RouteTable, method: str, path: str
) -> None:
    assert table.find(path, method) is None
