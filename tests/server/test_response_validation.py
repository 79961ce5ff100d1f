"""Every answer is checked against the vendor's spec: enforce, report (the default) and off."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app
from tagfake.settings import Settings, ValidationMode
from tagfake.vendors.zapini.backend import ZapiniBackend
from tests.conftest import BASE_URL

TOKEN = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}


@pytest.fixture
def broken_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend bug: tags lose their colour on the way out."""
    original = ZapiniBackend.list_tags

    def list_tags(self: ZapiniBackend, tenant: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in t.items() if k != "color"} for t in original(self, tenant)]

    monkeypatch.setattr(ZapiniBackend, "list_tags", list_tags)


def client(mode: ValidationMode) -> Iterator[TestClient]:
    app = create_app(Settings(vendors=("zapini",), validation=mode))
    with TestClient(app, base_url=BASE_URL) as http:
        yield http


@pytest.mark.usefixtures("broken_list")
def test_report_mode_answers_adds_the_violations_header_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for http in client("report"):
        with caplog.at_level(logging.WARNING, logger="tagfake.validation"):
            r = http.get("/zapini/api/v1/tags", headers=TOKEN)
        assert r.status_code == 200
        assert "color" not in r.json()["data"]["tags"][0]
        assert '"color" is a required property' in r.headers["x-tagfake-violations"]
        assert "listTags 200" in caplog.text
        entry = http.get("/__admin/journal").json()["entries"][-1]
        assert any("color" in v for v in entry["violations"])


@pytest.mark.usefixtures("broken_list")
def test_enforce_mode_turns_a_broken_answer_into_the_vendors_500() -> None:
    for http in client("enforce"):
        r = http.get("/zapini/api/v1/tags", headers=TOKEN)
        assert r.status_code == 500
        assert r.json()["error"]["code"] == "SERVER_ERROR"
        assert "color" in r.headers["x-tagfake-violations"]
        entry = http.get("/__admin/journal").json()["entries"][-1]
        assert entry["response"]["body"] == r.json()  # what the client got: the 500


@pytest.mark.usefixtures("broken_list")
def test_off_mode_answers_without_checking() -> None:
    for http in client("off"):
        r = http.get("/zapini/api/v1/tags", headers=TOKEN)
        assert r.status_code == 200
        assert "x-tagfake-violations" not in r.headers
        # Nothing was parsed to check it: the journal reads the answer itself.
        entry = http.get("/__admin/journal").json()["entries"][-1]
        assert entry["response"]["body"] == r.json()


def test_an_undocumented_status_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    from tagfake.errors import Conflict

    def conflict(self: ZapiniBackend, tenant: str, tag_id: str) -> None:
        raise Conflict("no")

    monkeypatch.setattr(ZapiniBackend, "delete_tag", conflict)
    monkeypatch.setattr(
        "tagfake.vendors.zapini.envelope.render_error",
        lambda error: (
            409,
            {"success": False, "error": {"code": "X", "message": "", "details": {}}},
            {},
        ),
    )
    for http in client("report"):
        r = http.delete("/zapini/api/v1/tags/550e8400-e29b-41d4-a716-446655440001", headers=TOKEN)
        assert r.status_code == 409
        assert "status 409 is not documented" in r.headers["x-tagfake-violations"]


def test_a_correct_answer_carries_no_violations_header() -> None:
    for http in client("report"):
        r = http.get("/zapini/api/v1/tags", headers=TOKEN)
        assert r.status_code == 200
        assert "x-tagfake-violations" not in r.headers
