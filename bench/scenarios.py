"""The requests measured, identical for every target."""

from __future__ import annotations

from dataclasses import dataclass

ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
NEXOR_KEY = "nxr_live_your_api_key"
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
}
