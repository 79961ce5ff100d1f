"""Credentials are masked wherever tagfake writes an exchange down."""

from __future__ import annotations

from tagfake.redact import PLAIN, Redactor, is_secret_name


def test_credential_like_names_are_secret() -> None:
    for name in (
        "Authorization",
        "x-api-key",
        "Cookie",
        "X-Auth-Token",
        "api_key",
        "apiKey",
        "access_token",
        "client_secret",
        "password",
        "X-Session-Id",
        "signature",
        "key",
    ):
        assert is_secret_name(name), name
    for name in ("content-type", "x-request-id", "email", "tag_ids", "name", "accept"):
        assert not is_secret_name(name), name


def test_query_parameters_are_masked_and_the_rest_kept() -> None:
    assert PLAIN.query("api_key=abc&search=vip") == "api_key=%2A%2A%2A&search=vip"
    assert PLAIN.query("search=vip&page=2") == "search=vip&page=2"  # untouched, byte for byte


def test_json_fields_are_masked_at_any_depth_without_changing_the_original() -> None:
    doc = {"data": [{"token": "t", "name": "VIP"}], "password": "p", "count": 3}
    masked = PLAIN.json(doc)
    assert masked == {"data": [{"token": "***", "name": "VIP"}], "password": "***", "count": 3}
    assert doc["password"] == "p"


def test_fingerprints_tell_secrets_apart_without_showing_them() -> None:
    r = Redactor(fingerprints=True)
    a, b = r.header("authorization", "Bearer one"), r.header("authorization", "Bearer two")
    assert a.startswith("Bearer <redacted:") and "one" not in a
    assert a != b and a == r.header("Authorization", "Bearer one")
    assert r.mask("one") == a.removeprefix("Bearer ")  # the secret, whatever the scheme
    assert Redactor(fingerprints=True).mask("one") != r.mask("one")  # keyed per recording
