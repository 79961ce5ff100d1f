"""The state file: atomic writes, the `.bak` copy, refusing what can't be read back, the flusher."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.state.memory import SNAPSHOT_FORMAT, MemoryStore
from tagfake.state.model import Namespace
from tagfake.state.persist import Flusher, StateFile, StateFileError, open_state


def snapshot(store: MemoryStore | None = None, tag: str = "t1") -> dict[str, Any]:
    store = store or MemoryStore(seed=1)
    ns = Namespace(tags={tag: {"id": tag, "name": tag.upper()}})
    store.put_tenant("zapini", "acme", ns, ["cred-acme"])
    return store.snapshot()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".tmp.bak")))


def test_missing_file_reads_as_none(tmp_path: Path) -> None:
    assert StateFile(tmp_path / "state.json").read() is None


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    sf = StateFile(tmp_path / "state.json")
    doc = snapshot()
    sf.write(doc)
    assert sf.read() == json.loads(json.dumps(doc))
    assert leftovers(tmp_path) == []
    assert not sf.bak.exists()  # nothing was replaced yet


def test_each_write_keeps_the_replaced_file_as_bak(tmp_path: Path) -> None:
    sf = StateFile(tmp_path / "state.json")
    first, second, third = snapshot(tag="a"), snapshot(tag="b"), snapshot(tag="c")
    sf.write(first)
    sf.write(second)
    assert sf.read() == second
    assert json.loads(sf.bak.read_text()) == first
    sf.write(third)
    assert json.loads(sf.bak.read_text()) == second
    assert sf.read() == third
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sf = StateFile(tmp_path / "state.json")
    sf.write(snapshot(tag="old"))
    before = sf.path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        sf.write(snapshot(tag="new"))
    assert sf.path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_the_file_is_replaced_by_rename_not_rewritten(tmp_path: Path) -> None:
    sf = StateFile(tmp_path / "state.json")
    sf.write(snapshot(tag="a"))
    inode = sf.path.stat().st_ino
    sf.write(snapshot(tag="b"))
    assert sf.path.stat().st_ino != inode  # a new file took the name: readers never see half
    assert sf.bak.stat().st_ino == inode  # and the old one lives on as the .bak


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b'{"format": "tagfake-state/1", "namespa', "is not valid JSON (line 1"),
        (b"\xff\xfe{}", "is not UTF-8"),
        (b"[1, 2]", "a JSON object is expected"),
        (b'{"format": "tagfake-state/2", "tagfake": "9.0"}', "'tagfake-state/2' by tagfake 9.0"),
        (b'{"format": "something-else"}', "is not a tagfake state file"),
        (b'{"hello": "world"}', "is not a tagfake state file"),
        (
            b'{"format": "tagfake-state/1", "counters": {}, "namespaces": [{"vendor": 1}]}',
            'is damaged: namespaces[0] needs string "vendor" and "tenant"',
        ),
        (b'{"format": "tagfake-state/1", "counters": [], "namespaces": []}', "is damaged"),
    ],
)
def test_unreadable_files_are_refused_and_left_alone(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateFileError) as caught:
        StateFile(path).read()
    message = str(caught.value)
    assert str(path) in message
    assert problem in message
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_the_refusal_points_at_the_backup(tmp_path: Path) -> None:
    sf = StateFile(tmp_path / "state.json")
    sf.write(snapshot(tag="a"))
    sf.write(snapshot(tag="b"))
    sf.path.write_text("garbage")
    with pytest.raises(StateFileError, match=r"previous good copy is .*state\.json\.bak"):
        sf.read()


def test_incompatible_format_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    doc = {**snapshot(), "format": "tagfake-state/99"}
    path.write_text(json.dumps(doc))
    before = path.read_bytes()
    runtime = Runtime.build(Settings(vendors=("zapini",)))
    with pytest.raises(StateFileError, match=r"tagfake-state/99.*reads only 'tagfake-state/1'"):
        open_state(runtime, path)
    assert path.read_bytes() == before
    # The refusal let go of the lock: once the file is fixed, the next start takes it.
    path.unlink()
    open_state(runtime, path).close()


def test_open_state_starts_from_fixtures_and_writes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    runtime = Runtime.build(Settings(vendors=("zapini",)))
    persistence = open_state(runtime, path)
    try:
        assert "new; started from the fixtures" in persistence.summary
        doc = json.loads(path.read_text())
        assert doc["format"] == SNAPSHOT_FORMAT
        assert doc["vendors"] == ["zapini"]
        assert {n["tenant"] for n in doc["namespaces"]} == set(runtime.store.tenants("zapini"))
    finally:
        assert persistence.close()


def test_open_state_restores_and_keeps_vendors_not_served_now(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    saved = snapshot()
    saved["namespaces"].append(
        {"vendor": "healvi", "tenant": "other", "credentials": ["h"], "data": {"tags": {}}}
    )
    saved["vendors"] = ["healvi", "zapini"]
    path.write_text(json.dumps(saved))
    runtime = Runtime.build(Settings(vendors=("zapini",)))
    persistence = open_state(runtime, path)
    try:
        assert "loaded 2 tenant(s)" in persistence.summary
        assert runtime.store.tenants("zapini") == ["acme"]  # the file's, not the fixture's
        with runtime.store.read("zapini", "acme") as ns:
            assert ns.tag_keys() == ["t1"]
        with runtime.store.transaction("zapini", "acme") as ns:
            ns.put_tag("t2", {"id": "t2", "name": "T2"})
    finally:
        assert persistence.close()
    doc = json.loads(path.read_text())
    assert {(n["vendor"], n["tenant"]) for n in doc["namespaces"]} == {
        ("healvi", "other"),
        ("zapini", "acme"),
    }
    assert doc["vendors"] == ["healvi", "zapini"]


def test_a_second_process_on_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = StateFile(path)
    first.lock()
    try:
        with pytest.raises(StateFileError, match=rf"in use by another tagfake \(pid {os.getpid()}"):
            StateFile(path).lock()
    finally:
        first.unlock()
    again = StateFile(path)
    again.lock()  # free once the first let go (as when a process dies: the kernel drops it)
    again.unlock()


def test_unwritable_folder_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="does not exist"):
        StateFile(tmp_path / "missing" / "state.json").check_writable()


def test_flusher_writes_soon_after_a_change_and_at_stop(tmp_path: Path) -> None:
    store = MemoryStore(seed=1)
    sf = StateFile(tmp_path / "state.json")
    flusher = Flusher(store, sf, interval=0.05)
    flusher.start()
    try:
        assert not sf.path.exists()  # nothing changed, nothing written
        store.put_tenant("zapini", "acme", Namespace(), ["c"])
        changed = time.monotonic()
        while not sf.path.exists() and time.monotonic() - changed < 2:
            time.sleep(0.01)
        assert time.monotonic() - changed < 0.5
        assert [n["tenant"] for n in json.loads(sf.path.read_text())["namespaces"]] == ["acme"]
        writes = flusher.writes
        time.sleep(0.2)
        assert flusher.writes == writes  # no change, no write
        store.put_tenant("zapini", "globex", Namespace(), ["d"])
    finally:
        assert flusher.stop()
    doc = json.loads(sf.path.read_text())
    assert [n["tenant"] for n in doc["namespaces"]] == ["acme", "globex"]
    assert doc["revision"] == store.revision


def test_flusher_survives_a_failing_write_and_reports_it_at_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore(seed=1)
    sf = StateFile(tmp_path / "state.json")
    flusher = Flusher(store, sf, interval=0.02)
    real_write = sf.write
    failing = True

    def write(doc: dict[str, Any]) -> None:
        if failing:
            raise OSError(28, "No space left on device")
        real_write(doc)

    monkeypatch.setattr(sf, "write", write)
    flusher.start()
    store.put_tenant("zapini", "acme", Namespace(), ["c"])
    time.sleep(0.1)
    assert not flusher.flush_if_changed()
    failing = False
    assert flusher.stop()
    assert sf.read() is not None
