"""The requests measured, identical for every target."""

from __future__ import annotations

from dataclasses import dataclass

ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
NEXOR_KEY = "nxr_live_your_api_key"
ZAPINI_CREATE_BODY = '{"name":"bench {n}","color":"#ef4444"}'
NAMED = "sample"
NEXOR_SYNC_BODY = '{"lead_id":"123e4567-e89b-12d3-a456-426614174000","tags":["VIP","Follow-up"]}'


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    spec: str  # the spec Prism mocks for it
    method: str
    path: str  # under `tagfake serve` (all vendors); WireMock and MockServer stub the same path
    prism_path: str  # Prism serves the spec's paths at its root
    auth: dict[str, str]
    body: str | None = None
    probe_path: str = ""  # a GET that answers 200 once the server is up (same auth)
    prism_probe_path: str = ""
    #: `{n}` in the body: wrk sends a new value in every request (a new tag each time); the
    #: checked request, the stubs and the recorded answers use NAMED.
    unique: bool = False
    #: After the measured load, create this many entities, then measure again (tagfake only):
    #: is a request's cost flat in the store's size?
    fill: int = 0

    def body_for(self, n: str) -> str | None:
        return None if self.body is None else self.body.replace("{n}", n)

    @property
    def sample_body(self) -> str | None:
        return self.body_for(NAMED)

    def headers(self) -> dict[str, str]:
        extra = {"Content-Type": "application/json"} if self.body is not None else {}
        return {**self.auth, **extra}


SCENARIOS: dict[str, Scenario] = {
    "get": Scenario(
        key="get",
        title="zapini GET /tags",
        spec="specs/zapini.openapi.yaml",
        method="GET",
        path="/zapini/api/v1/tags",
        prism_path="/tags",
        auth={"Authorization": f"Bearer {ZAPINI_TOKEN}"},
        probe_path="/zapini/api/v1/tags",
        prism_probe_path="/tags",
    ),
    "put": Scenario(
        key="put",
        title="nexor PUT /leads/tags (sync)",
        spec="specs/nexor.openapi.yaml",
        method="PUT",
        path="/nexor/api/public/leads/tags",
        prism_path="/leads/tags",
        auth={"X-API-Key": NEXOR_KEY},
        body=NEXOR_SYNC_BODY,
        probe_path="/nexor/api/public/tags",
        prism_probe_path="/tags",
    ),
    "create": Scenario(
        key="create",
        title="zapini POST /tags (a new tag each)",
        spec="specs/zapini.openapi.yaml",
        method="POST",
        path="/zapini/api/v1/tags",
        prism_path="/tags",
        auth={"Authorization": f"Bearer {ZAPINI_TOKEN}"},
        body=ZAPINI_CREATE_BODY,
        probe_path="/zapini/api/v1/tags",
        prism_probe_path="/tags",
        unique=True,
        fill=50_000,
    ),
}
