"""The error shape of every surface, for tests that go through all of them."""

from __future__ import annotations

from typing import Any

from tests.server.test_bad_input import envelope_ok


def error_envelope_ok(surface: str, response: Any) -> None:
    """The surface's own error envelope (a vendor's, or problem+json for the admin API)."""
    status = response.status_code
    if surface == "admin":
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == status and isinstance(body["detail"], str), body
        return
    assert response.headers["content-type"].startswith("application/json"), response.headers
    envelope_ok(surface, response.json(), status)


def leaks_nothing(text: str) -> bool:
    """No Python text in an answer: no traceback, exception name or interpreter message."""
    tells = (
        "Traceback",
        "invalid literal",
        "Error:",
        "object has no attribute",
        "int()",
        "float()",
    )
    return not any(t in text for t in tells)
