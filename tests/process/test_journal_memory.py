"""The journal is bounded in bytes: a server answering many large bodies keeps its memory flat,
holding only the newest entries that fit `--journal-bytes`, and cutting a body over
`--journal-body-bytes` to that size with a marker and the body's whole size."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from tests.process.serving import AUTH, Server

pytestmark = pytest.mark.process

BIG = "550e8400-e29b-41d4-a716-446655440099"
MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def fixtures_with_a_big_conversation(folder: Path, size: int) -> Path:
    """zapini fixtures plus a conversation whose name makes its answer `size` bytes long."""
    source = Path(__file__).resolve().parents[2] / "fixtures" / "zapini" / "default.yaml"
    doc = yaml.safe_load(source.read_text())
    doc["tenants"]["acme"]["conversations"].append({"id": BIG, "display_name": "x" * size})
    (folder / "zapini").mkdir(parents=True)
    (folder / "zapini" / "default.yaml").write_text(yaml.safe_dump(doc))
    return folder


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_memory_stays_flat_over_many_large_journaled_answers(tmp_path: Path, store: str) -> None:
    fixtures = fixtures_with_a_big_conversation(tmp_path / "fixtures", MIB)
    args = ["--fixtures", str(fixtures), "--journal-bytes", str(4 * MIB)]
    args += ["--journal-body-bytes", str(2 * MIB), "--validation", "off"]
    if store == "sqlite":
        args += ["--store", f"sqlite:{tmp_path / 'tagfake.db'}"]
    server = Server(*args)
    try:
        with server.client() as http:
            for _ in range(10):  # warm up: allocator pools, compiled paths
                http.get(f"/zapini/api/v1/conversations/{BIG}").raise_for_status()
            before = rss_mib(server.proc.pid)
            for _ in range(200):  # 200 MiB of answers, every one journaled whole
                answer = http.get(f"/zapini/api/v1/conversations/{BIG}")
                assert answer.status_code == 200 and len(answer.content) > MIB
            after = rss_mib(server.proc.pid)
        journal = httpx.get(server.url + "/__admin/journal", timeout=30).json()
    finally:
        server.kill()
    print(f"{store}: RSS {before:.0f} MiB before, {after:.0f} MiB after 200 1-MiB answers")
    assert journal["bytes"] <= 4 * MIB
    assert journal["total"] == 3  # as many whole 1 MiB entries as fit 4 MiB
    assert journal["dropped"] == 210 - 3
    assert journal["entries"][-1]["response"]["body"]["data"]["conversation"]["id"] == BIG
    assert after - before < 48, f"RSS grew {after - before:.0f} MiB"  # not 200 MiB


def test_a_body_over_the_per_entry_limit_is_cut_and_marked(tmp_path: Path) -> None:
    fixtures = fixtures_with_a_big_conversation(tmp_path / "fixtures", MIB)
    server = Server("--fixtures", str(fixtures), "--journal-body-bytes", "1000")
    try:
        with server.client() as http:
            size = len(http.get(f"/zapini/api/v1/conversations/{BIG}").content)
            http.get("/zapini/api/v1/tags").raise_for_status()
        journal = httpx.get(server.url + "/__admin/journal", headers=AUTH).json()
    finally:
        server.kill()
    big, small = journal["entries"]
    assert big["response"]["body_truncated"] is True
    assert big["response"]["body_bytes"] == size
    assert len(big["response"]["body"]) == 1000
    assert big["response"]["body"].startswith('{"')
    assert "body_truncated" not in small["response"]
    assert isinstance(small["response"]["body"], dict)
