"""Settings: defaults, TAGFAKE_* variables, explicit overrides, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagfake.settings import Settings


def test_environment_overrides_defaults_and_flags_override_environment() -> None:
    env = {
        "TAGFAKE_PORT": "9000",
        "TAGFAKE_VENDORS": "zapini, nexor",
        "TAGFAKE_VALIDATION": "enforce",
        "TAGFAKE_RATE_LIMITS": "true",
        "TAGFAKE_STATE_FILE": "/tmp/state.json",
    }
    s = Settings.from_env(env, port=9100)
    assert s.port == 9100
    assert s.vendors == ("zapini", "nexor")
    assert s.validation == "enforce"
    assert s.rate_limits is True
    assert s.state_file == Path("/tmp/state.json")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"TAGFAKE_PORT": "eighty"}, "TAGFAKE_PORT must be an integer"),
        ({"TAGFAKE_VENDORS": "zapini,acme"}, "unknown vendor"),
        ({"TAGFAKE_VALIDATION": "strict"}, "validation must be one of"),
        ({"TAGFAKE_RATE_LIMITS": "maybe"}, "true or false"),
        ({"TAGFAKE_BODY_TIMEOUT": "soon"}, "TAGFAKE_BODY_TIMEOUT must be a number"),
        ({"TAGFAKE_BODY_TIMEOUT": "0"}, "body_timeout must be more than 0"),
        ({"TAGFAKE_MAX_CONNECTIONS": "0"}, "max_connections must be >= 1"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Settings.from_env(env)


def test_single_vendor_mode_needs_exactly_one_vendor() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Settings(single_vendor=True)


def test_slow_client_bounds_come_from_the_environment() -> None:
    s = Settings.from_env({"TAGFAKE_BODY_TIMEOUT": "2.5", "TAGFAKE_MAX_CONNECTIONS": "64"})
    assert (s.body_timeout, s.max_connections) == (2.5, 64)
    assert (Settings().body_timeout, Settings().max_connections) == (5.0, 1000)
