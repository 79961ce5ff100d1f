"""tagsync's tests, as a tagfake user writes them: only the plugin's fixtures.

`tagfake_url(vendor)` is where the fake vendor listens; `tagfake` is its admin client (what was
sent, what is stored, faults on purpose). The server is reset after every test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from tagsync import Retry, SyncError, set_conversation_tags, sync_lead_tags

from tagfake.testing.client import AdminClient

VendorUrl = Callable[[str], str]

# From tagfake's default fixtures (fixtures/nexor and fixtures/zapini, tenant acme).
NEXOR_KEY = "nxr_live_your_api_key"
JANE = "123e4567-e89b-12d3-a456-426614174000"
VIP, FOLLOW_UP, COLD = (
    "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
    "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb",
    "cccccccc-cccc-cccc-cccc-cccccccccccc",
)
ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
MARIA = "550e8400-e29b-41d4-a716-446655440045"  # a conversation tagged VIP
Z_VIP, Z_SUPPORT = "550e8400-e29b-41d4-a716-446655440001", "550e8400-e29b-41d4-a716-446655440002"


class Sleeps(list[float]):
    """Records the waits instead of waiting: the tests stay fast and can check them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> Retry:
    return Retry(attempts=3, timeout=2.0, backoff=0.05, max_wait=5.0, sleep=sleeps)


def entity(tagfake: AdminClient, vendor: str, kind: str, key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        e for e in tagfake.state(vendor, "acme")["entities"][kind] if e["id"] == key
    )
    return found


def statuses(tagfake: AdminClient, vendor: str) -> list[int]:
    return [e["status"] for e in tagfake.journal(vendor=vendor)]


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


# -- what it sends ---------------------------------------------------------------------------


def test_syncs_lead_tags_by_email(tagfake: AdminClient, tagfake_url: VendorUrl) -> None:
    result = sync_lead_tags(
        tagfake_url("nexor"), NEXOR_KEY, "jane@example.com", ["VIP", "Follow-up"]
    )

    assert result["lead_id"] == JANE
    [sent] = tagfake.journal(vendor="nexor", operation="syncLeadTags")
    assert sent["method"] == "PUT"
    assert sent["request"]["body"] == {"email": "jane@example.com", "tags": ["VIP", "Follow-up"]}
    assert sent["request"]["headers"]["x-api-key"] == "***"  # sent (the journal hides its value)
    assert sent["request"]["headers"]["content-type"] == "application/json"
    assert sent["status"] == 200
    assert sent["violations"] == []  # what it sent matches Nexor's contract
    assert sorted(entity(tagfake, "nexor", "leads", JANE)["tags"]) == [VIP, FOLLOW_UP]


def test_names_a_lead_by_id(tagfake: AdminClient, tagfake_url: VendorUrl) -> None:
    sync_lead_tags(tagfake_url("nexor"), NEXOR_KEY, JANE, [])

    [sent] = tagfake.journal(vendor="nexor")
    assert sent["request"]["body"] == {"lead_id": JANE, "tags": []}
    assert entity(tagfake, "nexor", "leads", JANE)["tags"] == []


def test_sets_conversation_tags(tagfake: AdminClient, tagfake_url: VendorUrl) -> None:
    result = set_conversation_tags(tagfake_url("zapini"), ZAPINI_TOKEN, MARIA, [Z_SUPPORT])

    assert [t["name"] for t in result["data"]["tags"]] == ["Support"]
    [sent] = tagfake.journal(vendor="zapini", method="PUT")
    assert sent["path"].endswith(f"/conversations/{MARIA}/tags")
    assert sent["operation_id"] == "updateConversationTags"
    assert sent["request"]["body"] == {"tag_ids": [Z_SUPPORT]}
    assert sent["request"]["headers"]["authorization"] == "***"
    assert entity(tagfake, "zapini", "conversations", MARIA)["tags"] == [Z_SUPPORT]


def test_works_on_a_seeded_conversation(tagfake: AdminClient, tagfake_url: VendorUrl) -> None:
    new = "0b6f7c1e-3a52-4d8e-9c0f-6a2d4b8e1f37"
    tagfake.seed(
        "zapini",
        document={
            "vendor": "zapini",
            "tenants": {
                "acme": {
                    "credentials": [ZAPINI_TOKEN],
                    "tags": [{"id": Z_VIP, "name": "VIP", "color": "#f59e0b"}],
                    "conversations": [
                        {"id": new, "display_name": "New", "contact_number": "1", "tags": []}
                    ],
                }
            },
        },
    )

    set_conversation_tags(tagfake_url("zapini"), ZAPINI_TOKEN, new, [Z_VIP])

    assert entity(tagfake, "zapini", "conversations", new)["tags"] == [Z_VIP]


def test_the_server_was_reset_after_the_last_test(tagfake: AdminClient) -> None:
    # Whatever ran before, each test starts from the fixtures with an empty journal.
    assert tagfake.journal() == []
    assert tagfake.faults() == []
    assert entity(tagfake, "zapini", "conversations", MARIA)["tags"] == [Z_VIP]
    assert sorted(entity(tagfake, "nexor", "leads", JANE)["tags"]) == [FOLLOW_UP, COLD]


# -- misbehaving vendors ---------------------------------------------------------------------


def test_429_then_success_honours_retry_after(
    tagfake: AdminClient, tagfake_url: VendorUrl, retry: Retry, sleeps: Sleeps
) -> None:
    tagfake.fault("rate_limit", retry_after=2, vendor="nexor", times=1)

    result = sync_lead_tags(tagfake_url("nexor"), NEXOR_KEY, JANE, ["VIP"], retry=retry)

    assert result["success"] is True
    assert statuses(tagfake, "nexor") == [429, 200]
    assert sleeps == [2.0]  # as long as Retry-After said
    first, second = tagfake.journal(vendor="nexor")
    assert first["response"]["headers"]["retry-after"] == "2"
    assert (first["method"], first["path"]) == (second["method"], second["path"])
    assert second["request"]["body"] == {"lead_id": JANE, "tags": ["VIP"]}


def test_a_long_retry_after_is_capped(
    tagfake: AdminClient, tagfake_url: VendorUrl, sleeps: Sleeps
) -> None:
    tagfake.fault("rate_limit", retry_after=3600, vendor="zapini", times=1)

    set_conversation_tags(
        tagfake_url("zapini"), ZAPINI_TOKEN, MARIA, [], retry=Retry(max_wait=1.5, sleep=sleeps)
    )

    assert sleeps == [1.5]
    assert statuses(tagfake, "zapini") == [429, 200]


def test_500_then_success(
    tagfake: AdminClient, tagfake_url: VendorUrl, retry: Retry, sleeps: Sleeps
) -> None:
    with tagfake.fault("status", status=500, operation="updateConversationTags", times=1) as rule:
        set_conversation_tags(tagfake_url("zapini"), ZAPINI_TOKEN, MARIA, [Z_SUPPORT], retry=retry)
        assert rule.info()["applied"] == 1

    assert statuses(tagfake, "zapini") == [500, 200]
    assert sleeps == [0.05]  # the backoff
    assert entity(tagfake, "zapini", "conversations", MARIA)["tags"] == [Z_SUPPORT]


def test_a_dropped_connection_then_success(
    tagfake: AdminClient, tagfake_url: VendorUrl, retry: Retry
) -> None:
    tagfake.fault("drop", vendor="nexor", times=1)

    sync_lead_tags(tagfake_url("nexor"), NEXOR_KEY, "jane@example.com", ["Hot Lead"], retry=retry)

    dropped, answered = tagfake.journal(vendor="nexor")
    assert dropped["status"] == 0  # no answer at all: the connection was closed
    assert dropped["fault"] is not None
    assert answered["status"] == 200


def test_a_slow_answer_times_out_and_the_retry_succeeds(
    tagfake: AdminClient, tagfake_url: VendorUrl, sleeps: Sleeps
) -> None:
    tagfake.fault("delay", delay_ms=1500, vendor="zapini", times=1)
    quick = Retry(attempts=3, timeout=0.5, backoff=0.05, sleep=sleeps)

    result = set_conversation_tags(tagfake_url("zapini"), ZAPINI_TOKEN, MARIA, [Z_VIP], retry=quick)

    assert result["success"] is True
    assert sleeps == [0.05]  # one timeout, one retry
    # Like a real vendor, tagfake still finishes the slow request after the client gave up:
    # both arrive, the slow one recorded last.
    wait_for(lambda: len(tagfake.journal(vendor="zapini")) == 2)
    fast, slow = tagfake.journal(vendor="zapini")
    assert fast["fault"] is None
    assert slow["fault"] is not None and "delay" in slow["fault"]
    assert slow["duration_ms"] >= 1500


def test_a_vendor_that_stays_slow_surfaces_a_timeout(
    tagfake: AdminClient, tagfake_url: VendorUrl, sleeps: Sleeps
) -> None:
    tagfake.fault("delay", delay_ms=500, vendor="nexor")
    quick = Retry(attempts=2, timeout=0.15, backoff=0.05, sleep=sleeps)

    with pytest.raises(SyncError, match="timed out after 2 attempts") as raised:
        sync_lead_tags(tagfake_url("nexor"), NEXOR_KEY, JANE, ["VIP"], retry=quick)

    assert raised.value.status is None
    wait_for(lambda: len(tagfake.journal(vendor="nexor")) == 2)  # let both finish


def test_gives_up_after_its_attempts(
    tagfake: AdminClient, tagfake_url: VendorUrl, retry: Retry, sleeps: Sleeps
) -> None:
    tagfake.fault("status", status=503, vendor="zapini")

    with pytest.raises(SyncError) as raised:
        set_conversation_tags(tagfake_url("zapini"), ZAPINI_TOKEN, MARIA, [], retry=retry)

    assert raised.value.status == 503
    assert statuses(tagfake, "zapini") == [503, 503, 503]
    assert sleeps == [0.05, 0.1]  # exponential backoff
    assert entity(tagfake, "zapini", "conversations", MARIA)["tags"] == [Z_VIP]  # unchanged


def test_a_client_error_is_not_retried(
    tagfake: AdminClient, tagfake_url: VendorUrl, retry: Retry, sleeps: Sleeps
) -> None:
    unknown = "550e8400-e29b-41d4-a716-4466554400ff"

    with pytest.raises(SyncError) as raised:
        set_conversation_tags(tagfake_url("zapini"), ZAPINI_TOKEN, MARIA, [unknown], retry=retry)

    assert raised.value.status == 422
    assert statuses(tagfake, "zapini") == [422]
    assert sleeps == []
