"""The three curl examples of Nexor's "Patch Tags" page (vendor-docs/003_920d039661004e2e.txt),
replayed as written (headers, key and body text) against the default fixture.

The fixture was built for this: its first account's key is the docs' placeholder
`nxr_live_your_api_key`, lead 123e4567-… is jane@example.com carrying Follow-up (bbbbbbbb-…) and
cccccccc-…, so "Sync by lead_id" answers exactly the page's 200 example."""

from __future__ import annotations

from typing import Any

import pytest

from tagfake.settings import Settings
from tests.conftest import VendorClient, World

DOCS_KEY = "nxr_live_your_api_key"
CURL_HEADERS = {"Content-Type": "application/json", "X-API-Key": DOCS_KEY}
JANE = "123e4567-e89b-12d3-a456-426614174000"
VIP = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
FOLLOW_UP = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
COLD = "cccccccc-cccc-cccc-cccc-cccccccccccc"
HOT = "35218d7c-89f7-4fb9-8dcc-9a3f878fe982"

# The `-d` bodies, character for character.
SYNC_BY_LEAD_ID = """{
"lead_id": "123e4567-e89b-12d3-a456-426614174000",
"tags": ["VIP", "Follow-up"]
}"""
SYNC_BY_EMAIL = """{
"email": "jane@example.com",
"tags": ["Hot Lead"]
}"""
CLEAR_ALL_TAGS = """{
"lead_id": "123e4567-e89b-12d3-a456-426614174000",
"tags": []
}"""

# "200 — Tags synced successfully", verbatim.
DOCS_200_EXAMPLE = {
    "success": True,
    "lead_id": "123e4567-e89b-12d3-a456-426614174000",
    "tags": [
        {"id": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "name": "VIP", "slug": "vip"},
        {"id": "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb", "name": "Follow-up", "slug": "follow-up"},
    ],
    "added": ["aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"],
    "removed": ["cccccccc-cccc-cccc-cccc-cccccccccccc"],
}
SHAPE = {"success", "lead_id", "tags", "added", "removed"}


@pytest.fixture
def settings() -> Settings:
    return Settings(validation="enforce", seed=1, vendors=("nexor",))


@pytest.fixture
def curl(world: World) -> VendorClient:
    """A client sending exactly the curl examples' headers."""
    return world.anonymous("nexor", CURL_HEADERS)


def put_tags(client: VendorClient, body: str) -> Any:
    return client.put("/leads/tags", content=body.encode())


def test_docs_sync_by_lead_id_answers_the_docs_200_example(curl: VendorClient) -> None:
    r = put_tags(curl, SYNC_BY_LEAD_ID)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == DOCS_200_EXAMPLE


def test_docs_sync_by_lead_id_leaves_the_lead_with_the_synced_tags(curl: VendorClient) -> None:
    put_tags(curl, SYNC_BY_LEAD_ID)
    tags = curl.get(f"/leads/{JANE}/tags").json()["data"]
    assert [t["id"] for t in tags] == [VIP, FOLLOW_UP]


def test_docs_sync_by_email(curl: VendorClient) -> None:
    r = put_tags(curl, SYNC_BY_EMAIL)
    assert r.status_code == 200
    out = r.json()
    assert set(out) == SHAPE
    assert out == {
        "success": True,
        "lead_id": JANE,
        "tags": [{"id": HOT, "name": "Hot Lead", "slug": "hot-lead"}],
        "added": [HOT],
        "removed": [FOLLOW_UP, COLD],
    }


def test_docs_clear_all_tags(curl: VendorClient) -> None:
    r = put_tags(curl, CLEAR_ALL_TAGS)
    assert r.status_code == 200
    assert r.json() == {
        "success": True,
        "lead_id": JANE,
        "tags": [],
        "added": [],
        "removed": [FOLLOW_UP, COLD],
    }
    assert curl.get(f"/leads/{JANE}/tags").json() == {"data": []}


def test_docs_examples_in_sequence(curl: VendorClient) -> None:
    """The page's three examples one after another: each answers the set differences."""
    first = put_tags(curl, SYNC_BY_LEAD_ID).json()
    assert (first["added"], first["removed"]) == ([VIP], [COLD])
    second = put_tags(curl, SYNC_BY_EMAIL).json()
    assert (second["added"], second["removed"]) == ([HOT], [VIP, FOLLOW_UP])
    third = put_tags(curl, CLEAR_ALL_TAGS).json()
    assert (third["tags"], third["added"], third["removed"]) == ([], [], [HOT])
