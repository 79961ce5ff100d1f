"""Fixture files are refused with the file, the line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagfake.fixtures import FixtureError, parse_fixture, parse_fixture_text
from tagfake.runtime import Runtime
from tagfake.settings import VENDORS, Settings


def test_every_bundled_fixture_loads() -> None:
    rt = Runtime.build(Settings())
    rt.load_fixtures()
    for vendor in VENDORS:
        assert len(rt.store.tenants(vendor)) >= 2, vendor


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(FixtureError) as info:
        parse_fixture_text("vendor: zapini\ntenants:\n  acme: [unclosed\n", "f.yaml")
    assert info.value.line == 4  # libyaml points past the unclosed flow sequence
    assert "f.yaml:" in str(info.value)


def test_duplicate_keys_are_refused_with_their_line() -> None:
    with pytest.raises(FixtureError) as info:
        parse_fixture_text("vendor: zapini\nvendor: nexor\n", "f.yaml")
    assert info.value.line == 2
    assert "duplicate key" in info.value.message


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "zapini"
    folder.mkdir()
    path = folder / "default.yaml"
    path.write_text(text)
    return path


ZAPINI_OK = """vendor: zapini
tenants:
  acme:
    credentials: [tok-a]
    tags:
      - id: 550e8400-e29b-41d4-a716-446655440001
        name: VIP
        color: "#f59e0b"
    conversations:
      - id: 550e8400-e29b-41d4-a716-446655440045
        tags: [550e8400-e29b-41d4-a716-446655440001]
"""


def runtime_with(tmp_path: Path) -> Runtime:
    return Runtime.build(Settings(vendors=("zapini",), fixtures_dir=tmp_path))


def test_a_good_custom_fixture_loads(tmp_path: Path) -> None:
    write(tmp_path, ZAPINI_OK)
    rt = runtime_with(tmp_path)
    rt.load_fixtures()
    assert rt.store.tenant_of("zapini", "tok-a") == "acme"


@pytest.mark.parametrize(
    ("broken", "line", "words"),
    [
        (ZAPINI_OK.replace('color: "#f59e0b"', "colour: red"), 6, "colour"),
        (ZAPINI_OK.replace("tags: [550e8400-e29b-41d4-a716-446655440001]", "tags: [nope]"), 11, ""),
        (
            ZAPINI_OK.replace(
                "tags: [550e8400-e29b-41d4-a716-446655440001]",
                "tags: [550e8400-e29b-41d4-a716-446655449999]",
            ),
            11,
            "is not a tag of tenant 'acme'",
        ),
        (ZAPINI_OK.replace("vendor: zapini", "vendor: nexor"), 1, "zapini"),
    ],
)
def test_a_bad_fixture_is_refused_at_start_with_file_and_line(
    tmp_path: Path, broken: str, line: int, words: str
) -> None:
    path = write(tmp_path, broken)
    rt = runtime_with(tmp_path)
    with pytest.raises(FixtureError) as info:
        rt.load_fixtures()
    assert info.value.file == str(path)
    assert info.value.line == line, str(info.value)
    assert words in str(info.value)
    assert rt.store.tenants("zapini") == []


def test_parse_fixture_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read"):
        parse_fixture(tmp_path / "missing.yaml")
