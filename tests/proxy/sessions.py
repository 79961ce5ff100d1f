"""Seeded random sessions of requests an app might send: valid and invalid, known and unknown
ids, other tenants' credentials. Each step reads the ids from the answers it got (the
upstream's ids, as an app would), so creates, reads, syncs and deletes follow each other."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx

Send = Callable[..., httpx.Response]

ZAPINI = {
    "acme": "1|acmeUserToken7Qv2Lk9pXw3Rt5Ny8Bd4Hs6Jm1Fc0",
    "acme-sk": "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6",
}
ZAPINI_CONVERSATIONS = [
    "550e8400-e29b-41d4-a716-446655440045",
    "550e8400-e29b-41d4-a716-446655440046",
    "550e8400-e29b-41d4-a716-446655440047",
]
NEXOR_KEYS = ["nxr_live_your_api_key", "nxr_live_globex_7c1e4b9a2f6d8e30"]
NEXOR_LEADS = [
    "123e4567-e89b-12d3-a456-426614174000",
    "8fc3ed12-e560-4acf-bf24-dabea9c19c36",
    "a702a27e-a295-4b6f-b263-2468c4722231",
]
NEXOR_EMAILS = ["jane@example.com", "MARIA.garcia@example.com", "nobody@example.com"]
NAMES = ["VIP", "vip", "Support", "Hot Lead", "Über", "Follow-up", "Churn risk", "x" * 51, ""]
COLORS = ["#ff0000", "#00AA00", "red", "#12345"]


def _ids(body: Any, *path: str) -> list[str]:
    for key in path:
        if not isinstance(body, dict):
            return []
        body = body.get(key)
    return (
        [str(t["id"]) for t in body if isinstance(t, dict) and "id" in t]
        if isinstance(body, list)
        else []
    )


def zapini_session(send: Send, steps: int, seed: int, aliases: bool = True) -> int:
    """`aliases`: also use the tenant's second token (one tenant upstream, two credentials)."""
    rng = random.Random(seed)
    tags = _ids(send("GET", "/tags", ZAPINI["acme"]).json(), "data", "tags")
    for _ in range(steps):
        others = [ZAPINI["acme-sk"], "wrong", None] if aliases else ["wrong", None]
        token = ZAPINI["acme"] if rng.random() < 0.9 else rng.choice(others)
        known = [*tags, str(uuid.UUID(int=rng.getrandbits(128), version=4))]
        roll = rng.random()
        if roll < 0.15:
            r = send("GET", "/tags", token)
            if r.status_code == 200:
                tags = _ids(r.json(), "data", "tags")
        elif roll < 0.35:
            body = {
                "name": rng.choice(NAMES) + rng.choice(["", str(rng.randint(0, 9))]),
                "color": rng.choice(COLORS),
            }
            if rng.random() < 0.1:
                body.pop(rng.choice(["name", "color"]))
            r = send("POST", "/tags", token, body)
            if r.status_code == 201:
                tags.append(r.json()["data"]["tag"]["id"])
        elif roll < 0.45:
            send("GET", f"/tags/{rng.choice(known)}", token)
        elif roll < 0.55:
            change = rng.choice([{"name": rng.choice(NAMES)}, {"color": rng.choice(COLORS)}, {}])
            send("PATCH", f"/tags/{rng.choice(known)}", token, change)
        elif roll < 0.62:
            victim = rng.choice(known)
            if send("DELETE", f"/tags/{victim}", token).status_code == 200 and victim in tags:
                tags.remove(victim)
        elif roll < 0.75:
            send("GET", f"/conversations/{rng.choice(ZAPINI_CONVERSATIONS + known[-1:])}", token)
        elif roll < 0.97:
            chosen = rng.sample(known, k=min(len(known), rng.randint(0, 3)))
            send(
                "PUT",
                f"/conversations/{rng.choice(ZAPINI_CONVERSATIONS)}/tags",
                token,
                {"tag_ids": chosen},
            )
        else:
            send(
                "PUT", f"/conversations/{ZAPINI_CONVERSATIONS[0]}/tags", token, raw=b'{"tag_ids": ['
            )
    return steps + 1  # and the first read


def nexor_session(send: Send, steps: int, seed: int, aliases: bool = True) -> int:
    """`aliases` is unused: each Nexor key is its own account."""
    rng = random.Random(seed)
    tags = _ids(send("GET", "/tags", NEXOR_KEYS[0]).json(), "data")
    leads = list(NEXOR_LEADS)
    for _ in range(steps):
        key = (
            NEXOR_KEYS[0]
            if rng.random() < 0.9
            else rng.choice([NEXOR_KEYS[1], "nxr_live_wrong", None])
        )
        known = [*tags, str(uuid.UUID(int=rng.getrandbits(128), version=4))]
        roll = rng.random()
        if roll < 0.12:
            query = rng.choice(["", "?search=vip", "?search=LEAD", "?search="])
            r = send("GET", f"/tags{query}", key)
            if r.status_code == 200 and not query:
                tags = _ids(r.json(), "data")
        elif roll < 0.27:
            name = rng.choice(NAMES) + rng.choice(["", " 2"])
            body: dict[str, Any] = {
                "name": name,
                "slug": rng.choice([name, name.lower(), "", "x y"]),
            }
            if rng.random() < 0.3:
                body["description"] = rng.choice([None, "about it"])
            r = send("POST", "/tags", key, body)
            if r.status_code == 201:
                tags.append(r.json()["data"]["id"])
        elif roll < 0.35:
            send(
                "PUT",
                f"/tags/{rng.choice(known)}",
                key,
                rng.choice([{"name": rng.choice(NAMES)}, {"description": "d"}, {}]),
            )
        elif roll < 0.41:
            victim = rng.choice(known)
            if send("DELETE", f"/tags/{victim}", key).status_code == 200 and victim in tags:
                tags.remove(victim)
        elif roll < 0.5:
            send("GET", f"/leads/{rng.choice(leads + known[-1:])}", key)
        elif roll < 0.58:
            send("GET", f"/leads/{rng.choice(leads)}/tags", key)
        elif roll < 0.66:
            picked = rng.sample(known, k=min(len(known), rng.randint(1, 3)))
            body = {"tagIds": picked} if rng.random() < 0.5 else {"tagId": picked[0]}
            send("POST", f"/leads/{rng.choice(leads)}/tags", key, body)
        elif roll < 0.92:
            who: dict[str, Any] = (
                {"lead_id": rng.choice(leads)}
                if rng.random() < 0.5
                else {"email": rng.choice(NEXOR_EMAILS)}
            )
            names = rng.sample(NAMES[:7], k=rng.randint(0, 3))
            body = (
                {**who, "tags": names} if rng.random() < 0.8 else {"data": {**who, "tags": names}}
            )
            send("PUT", "/leads/tags", key, body)
        else:
            n = rng.randint(0, 9999)
            lead = {"first_name": f"Lead {n}", "email": f"lead{n}@example.org"}
            r = send("POST", "/leads", key, lead)
            if r.status_code in {200, 201}:
                made = r.json().get("lead") or r.json().get("data") or {}
                if isinstance(made, dict) and "id" in made:
                    leads.append(str(made["id"]))
    return steps + 1  # and the first read


def sender(client: httpx.Client, base: str, vendor: str) -> Send:
    def send(
        method: str, path: str, credential: str | None, body: Any = None, raw: bytes | None = None
    ) -> httpx.Response:
        headers = {}
        if credential is not None:
            headers = (
                {"X-API-Key": credential}
                if vendor == "nexor"
                else {"Authorization": f"Bearer {credential}"}
            )
        content = (
            raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        )
        if content is not None:
            headers["Content-Type"] = "application/json"
        return client.request(method, base + path, headers=headers, content=content)

    return send


HEALVI = ["healvi-acme-token", "healvi-globex-token"]
HEALVI_PROFILES = ["101", "102", "103", "201", "999"]


def healvi_session(send: Send, steps: int, seed: int, aliases: bool = True) -> int:
    """Integer ids, tags created by title in a sync: the id map's other half."""
    rng = random.Random(seed)
    tags = [1, 2, 3, 4]
    for _ in range(steps):
        token = HEALVI[0] if rng.random() < 0.9 else rng.choice([HEALVI[1], "nope", None])
        roll = rng.random()
        if roll < 0.2:
            send("GET", f"/profiles/{rng.choice(HEALVI_PROFILES)}", token)
            continue
        items: list[Any] = []
        for _ in range(rng.randint(0, 3)):
            kind = rng.random()
            if kind < 0.5:
                items.append({"id": rng.choice([*tags, 9999])})
            elif kind < 0.8:
                items.append({"id": None, "title": rng.choice(NAMES[:6])})
            elif kind < 0.9:
                items.append({"id": str(rng.choice(tags))})
            else:
                items.append({})
        r = send("POST", f"/profiles/{rng.choice(HEALVI_PROFILES)}/tags", token, {"tags": items})
        if r.status_code == 200:
            tags = sorted({*tags, *(int(t["id"]) for t in r.json()["data"])})
    return steps


COMMBOX = ["commbox-acme-token", "commbox-globex-token"]
COMMBOX_OBJECTS = ["17566/372235", "17566/372236", "17567/372240", "18001/480001", "17566/1"]


def commbox_session(send: Send, steps: int, seed: int, aliases: bool = True) -> int:
    """Integer ids answered as strings, groups whose deletion deletes their tags."""
    rng = random.Random(seed)
    tags = ["40", "2789", "2790", "2791", "2792"]
    groups = ["101", "102"]
    for _ in range(steps):
        token = COMMBOX[0] if rng.random() < 0.9 else rng.choice([COMMBOX[1], "nope", None])
        roll = rng.random()
        tag = rng.choice([*tags, "77777"])
        group = rng.choice([*groups, "0", "88888"])
        if roll < 0.1:
            send("GET", "/tags", token)
        elif roll < 0.15:
            send("GET", "/tags/groups", token)
        elif roll < 0.35:
            data: dict[str, Any] = {"Name": rng.choice(NAMES[:6]), "TagGroupId": int(group)}
            if rng.random() < 0.5:
                data["Type"] = rng.choice([1, 2, 100, 7])
            if rng.random() < 0.3:
                data["ObjectTag"] = rng.choice([True, False])
            r = send("POST", "/tags", token, {"data": data})
            if r.status_code == 200:
                tags.append(str(r.json()["data"]["id"]))
        elif roll < 0.42:
            send("POST", f"/tags/{tag}", token, {"data": {"Name": rng.choice(NAMES[:6])}})
        elif roll < 0.48:
            if send("DELETE", f"/tags/{tag}", token).status_code == 200 and tag in tags:
                tags.remove(tag)
        elif roll < 0.55:
            r = send("POST", "/tags/groups", token, {"data": {"Name": rng.choice(NAMES[:6])}})
            if r.status_code == 200:
                groups.append(str(r.json()["data"]["id"]))
        elif roll < 0.58:
            send("DELETE", f"/tags/groups/{group}", token)
            groups = [g for g in groups if g != group]
        else:
            method = "POST" if rng.random() < 0.6 else "DELETE"
            send(method, f"/streams/{rng.choice(COMMBOX_OBJECTS)}/tags/{tag}", token)
    return steps
