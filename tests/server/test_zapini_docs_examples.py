"""The curl examples of Zapini's Tags page, replayed against the fixtures: the documented
response shapes come back (ids and timestamps are the fake's own)."""

from __future__ import annotations

from typing import Any

from tests.conftest import World

TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Accept": "application/json",
    "Content-Type": "application/json",
}


def shape(value: Any) -> Any:
    """The keys and types of a JSON document, values left out."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def test_get_tags_answers_the_documented_shape(world: World) -> None:
    documented = {
        "success": True,
        "data": {
            "tags": [
                {
                    "id": "550e8400-e29b-41d4-a716-446655440001",
                    "name": "VIP",
                    "color": "#f59e0b",
                    "conversations_count": 15,
                    "created_at": "2025-01-15T10:30:00Z",
                    "updated_at": "2025-01-15T10:30:00Z",
                }
            ]
        },
    }
    r = world.http.get("/zapini/api/v1/tags", headers=HEADERS)
    assert r.status_code == 200
    assert shape(r.json()) == shape(documented)
    vip = r.json()["data"]["tags"][0]
    assert (vip["id"], vip["name"], vip["color"]) == (
        "550e8400-e29b-41d4-a716-446655440001",
        "VIP",
        "#f59e0b",
    )


def test_post_tags_example_creates_important(world: World) -> None:
    # curl -X POST https://zapini.app/api/v1/tags -d '{"name": "Important", "color": "#ef4444"}'
    r = world.http.post(
        "/zapini/api/v1/tags", json={"name": "Important", "color": "#ef4444"}, headers=HEADERS
    )
    assert r.status_code == 201
    documented = {
        "success": True,
        "message": "Tag created successfully",
        "data": {
            "tag": {
                "id": "550e8400-e29b-41d4-a716-446655440003",
                "name": "Important",
                "color": "#ef4444",
                "conversations_count": 0,
                "created_at": "2025-01-15T12:00:00Z",
                "updated_at": "2025-01-15T12:00:00Z",
            }
        },
    }
    body = r.json()
    assert shape(body) == shape(documented)
    assert body["message"] == documented["message"]
    assert body["data"]["tag"]["name"] == "Important"
    assert body["data"]["tag"]["conversations_count"] == 0


def test_put_conversation_tags_example_answers_the_documented_body(world: World) -> None:
    # curl -X PUT https://zapini.app/api/v1/conversations/550e8400-…-446655440045/tags
    r = world.http.put(
        "/zapini/api/v1/conversations/550e8400-e29b-41d4-a716-446655440045/tags",
        json={
            "tag_ids": [
                "550e8400-e29b-41d4-a716-446655440001",
                "550e8400-e29b-41d4-a716-446655440002",
            ]
        },
        headers=HEADERS,
    )
    assert r.status_code == 200
    assert r.json() == {
        "success": True,
        "message": "Conversation tags updated",
        "data": {
            "tags": [
                {"id": "550e8400-e29b-41d4-a716-446655440001", "name": "VIP", "color": "#f59e0b"},
                {
                    "id": "550e8400-e29b-41d4-a716-446655440002",
                    "name": "Support",
                    "color": "#3b82f6",
                },
            ]
        },
    }


def test_the_documented_way_to_clear_all_tags(world: World) -> None:
    # "To remove all tags from a conversation, send an empty array: {"tag_ids": []}"
    url = "/zapini/api/v1/conversations/550e8400-e29b-41d4-a716-446655440045"
    r = world.http.put(f"{url}/tags", json={"tag_ids": []}, headers=HEADERS)
    assert r.json()["data"]["tags"] == []
    assert world.http.get(url, headers=HEADERS).json()["data"]["conversation"]["tags"] == []
