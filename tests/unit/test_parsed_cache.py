"""Parsed specs kept between runs: keyed by content, never a reason to fail or to serve a
stale document."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tagfake.contract import parsed_cache
from tagfake.contract.spec import SpecError, _load_cached, compile_contract, load_document

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(parsed_cache.CACHE_ENV, str(where))
    _load_cached.cache_clear()  # as in a new process
    return where


def _spec_copy(tmp_path: Path) -> Path:
    target = tmp_path / "zapini.openapi.yaml"
    shutil.copy(SPECS / "zapini.openapi.yaml", target)
    return target


def test_a_second_start_reads_the_same_document_from_the_cache(cache: Path, tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    first = load_document(spec)
    assert len(list(cache.glob("*.marshal"))) == 1
    _load_cached.cache_clear()  # as in a new process
    second = load_document(spec)
    assert second == first
    original = compile_contract("zapini", SPECS / "zapini.openapi.yaml")
    assert compile_contract("zapini", spec).operations.keys() == original.operations.keys()


def test_an_edited_spec_is_parsed_afresh_whatever_its_mtime(cache: Path, tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    load_document(spec)
    stat = spec.stat()
    text = spec.read_text().replace("title:", "title: Edited", 1)
    spec.write_text(text)
    os.utime(spec, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime as before
    _load_cached.cache_clear()  # as in a new process
    assert load_document(spec)["info"]["title"].startswith("Edited")


def test_a_corrupt_entry_is_ignored(cache: Path, tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    expected = load_document(spec)
    for entry in cache.glob("*.marshal"):
        entry.write_bytes(b"\x00not marshal")
    _load_cached.cache_clear()  # as in a new process
    assert load_document(spec) == expected


def test_an_unwritable_cache_directory_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(parsed_cache.CACHE_ENV, str(blocker / "cache"))  # under a file: no dir
    _load_cached.cache_clear()  # as in a new process
    spec = _spec_copy(tmp_path)
    assert load_document(spec)["paths"]


def test_a_document_marshal_cannot_hold_is_parsed_each_time(cache: Path, tmp_path: Path) -> None:
    spec = tmp_path / "dated.openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nx-released: 2025-01-15\npaths: {}\n"
    )
    doc = load_document(spec)
    assert str(doc["x-released"]) == "2025-01-15"
    assert list(cache.glob("*.marshal")) == []


def test_a_broken_spec_is_refused_with_its_line_also_after_a_good_one_was_cached(
    cache: Path, tmp_path: Path
) -> None:
    spec = _spec_copy(tmp_path)
    load_document(spec)
    spec.write_text("openapi: 3.0.3\npaths: [unclosed\n")
    _load_cached.cache_clear()  # as in a new process
    with pytest.raises(SpecError) as refused:
        load_document(spec)
    assert "not valid YAML" in str(refused.value)
