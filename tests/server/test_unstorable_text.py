"""Text that cannot be UTF-8 (an unpaired UTF-16 surrogate, spelled as a JSON or YAML escape)
never reaches the store: every body operation answers the surface's malformed-body 400 and
changes nothing; fixtures, inline seeds and state files with one are refused; a paired
surrogate (an emoji) is ordinary text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tagfake.fixtures import FixtureError, parse_fixture_text
from tagfake.state.persist import StateFile, StateFileError
from tests.conftest import World, auth_headers
from tests.envelopes import error_envelope_ok
from tests.operations import Operation, body_operations

OPERATIONS = body_operations()
LONE = ["\udfff", "\ud800", "a\udc00b", "\ud83d"]  # low, high, inside text, half an emoji


def _with_first_string(body: Any, text: str) -> tuple[Any, bool]:
    """`body` with its first string value replaced by `text` (and whether there was one)."""
    if isinstance(body, str):
        return text, True
    if isinstance(body, dict):
        out = dict(body)
        for k, v in body.items():
            out[k], done = _with_first_string(v, text)
            if done:
                return out, True
        return out, False
    if isinstance(body, list):
        for i, v in enumerate(body):
            new, done = _with_first_string(v, text)
            if done:
                return [*body[:i], new, *body[i + 1 :]], True
    return body, False


def send(world: World, op: Operation, body: Any) -> Any:
    # ensure_ascii writes a lone surrogate as the escape `\udfff`: valid JSON grammar.
    raw = json.dumps(body, ensure_ascii=True).encode()
    headers = {"Content-Type": "application/json"}
    if op.surface != "admin":
        headers.update(auth_headers(op.surface, world.credential(op.surface, "acme")))
    return world.http.request(op.method, op.url, content=raw, headers=headers)


def reads_still_work(world: World) -> None:
    for vendor in ("healvi", "commbox", "zapini", "nexor"):
        r = world.http.get(f"/__admin/state/{vendor}/acme")
        assert r.status_code == 200, r.text
    assert world.http.get("/__admin/journal").status_code == 200


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
@pytest.mark.parametrize("lone", LONE, ids=ascii)
def test_a_lone_surrogate_in_a_value_is_the_surfaces_400(
    world: World, op: Operation, lone: str
) -> None:
    body, replaced = _with_first_string(op.valid_body, f"x{lone}")
    if not replaced:
        body = {**op.valid_body, "note": lone} if isinstance(body, dict) else [lone]
    before = world.snapshot()
    r = send(world, op, body)
    assert r.status_code == 400, r.text
    error_envelope_ok(op.surface, r)
    assert world.snapshot() == before
    reads_still_work(world)


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_a_lone_surrogate_in_a_key_is_the_surfaces_400(world: World, op: Operation) -> None:
    body = {"\udfff": 1, **op.valid_body} if isinstance(op.valid_body, dict) else [{"\udfff": 1}]
    before = world.snapshot()
    r = send(world, op, body)
    assert r.status_code == 400, r.text
    error_envelope_ok(op.surface, r)
    assert world.snapshot() == before


def test_the_documented_nexor_case_stores_nothing(world: World) -> None:
    before = world.snapshot()
    r = world.client("nexor").put(
        "/leads/tags",
        content=b'{"lead_id":"123e4567-e89b-12d3-a456-426614174000","tags":["a\\udfffb"]}',
        headers={"Content-Type": "application/json"},
    )
    assert (r.status_code, r.json()) == (
        400,
        {"error": "The request body is not valid JSON: unpaired UTF-16 surrogate."},
    )
    assert world.snapshot() == before
    assert (
        world.client("nexor").get("/leads/123e4567-e89b-12d3-a456-426614174000/tags").status_code
        == 200
    )
    reads_still_work(world)


def test_a_paired_surrogate_is_an_emoji_and_accepted(world: World) -> None:
    r = world.client("zapini").post(
        "/tags",
        content=b'{"name":"Hot \\ud83d\\udd25","color":"#ff0000"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["tag"]["name"] == "Hot \U0001f525"
    reads_still_work(world)


def test_an_inline_seed_with_a_lone_surrogate_is_refused(world: World) -> None:
    document = {"vendor": "zapini", "tenants": {"acme": {"credentials": ["t\udfff"]}}}
    before = world.snapshot()
    r = world.http.post(
        "/__admin/seed",
        content=json.dumps({"vendor": "zapini", "document": document}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    error_envelope_ok("admin", r)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('vendor: zapini\ntenants:\n  acme:\n    credentials: ["a\\udfff"]\n', 4),
        ('vendor: zapini\ntenants:\n  "\\ud800x": {}\n', 3),
    ],
)
@pytest.mark.parametrize("loader", ["libyaml", "pure-python"])
def test_a_fixture_with_a_lone_surrogate_is_refused_with_its_line(
    text: str, line: int, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if loader == "pure-python":  # PyYAML without libyaml reads the escape as a lone surrogate
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    with pytest.raises(FixtureError) as info:
        parse_fixture_text(text, "bad.yaml")
    assert info.value.line == line
    expected = "surrogate" if loader == "pure-python" else "invalid Unicode character escape"
    assert expected in info.value.message


def test_a_state_file_with_a_lone_surrogate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"format": "tagfake-state/1", "name": "\\udfff"}\n')
    with pytest.raises(StateFileError, match="surrogate"):
        StateFile(path).read()
    assert path.read_text() == '{"format": "tagfake-state/1", "name": "\\udfff"}\n'
