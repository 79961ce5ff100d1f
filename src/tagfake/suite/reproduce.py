"""A failure's requests as a shell script a QA engineer can paste: every id the run created is
captured from the answer that created it (`TAG_1=$(curl … | jq -r '.data.tag.id')`) and used by
name afterwards, so the lines still work after the run's clean-up deleted those objects; the
set-up requests that made an object the failure uses are printed first. The same requests also
read as a short story (`METHOD path body → status`), the report's "example"."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tagfake.suite.model import Exchange, mask_secrets

#: The longest story printed for one failure (the last requests: the ones that failed).
STORY_LINES = 24


def _ids(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(id, jq path) for every `id`-named field of a JSON answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            step = (
                f"{path}.{key}"
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
                else (f"{path}[{json.dumps(key)}]")
            )
            if key == "id" and isinstance(item, (str, int)) and not isinstance(item, bool):
                yield str(item), step
            else:
                yield from _ids(item, step)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _ids(item, f"{path}[{i}]")


def _pattern(value: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])")


def _mentions(ex: Exchange, value: str) -> bool:
    pattern = _pattern(value)
    body = ex.body.decode("utf-8", "replace") if ex.body else ""
    return bool(pattern.search(ex.url) or pattern.search(body))


def _created(ex: Exchange) -> list[tuple[str, str]]:
    """Ids an answer introduces: those in the 2xx answer to a write."""
    if ex.method == "GET" or not 200 <= ex.status < 300:
        return []
    return list(_ids(ex.json()))


def _dquote(text: str) -> str:
    """Double-quoted for the shell, with `${NAME}` kept as a variable."""
    escaped = re.sub(r'(["\\`])', r"\\\1", text)
    escaped = re.sub(r"\$(?!\{[A-Z][A-Z0-9_]*\})", r"\\$", escaped)
    return f'"{escaped}"'


def _quote(text: str, substituted: bool) -> str:
    return _dquote(text) if substituted else shlex.quote(text)


#: The shell variable holding a fresh name prefix for a replay (names the run used may still be
#: taken, e.g. by a vendor that only soft-deletes).
PREFIX_VAR = "RUN_PREFIX"


def _curl(
    ex: Exchange,
    names: dict[str, str],
    secrets: dict[str, str] | None,
    prefix: str | None,
    body_only: set[str] | frozenset[str] = frozenset(),
) -> str:
    url, body = ex.url, ex.body.decode("utf-8", "backslashreplace") if ex.body else None
    url_sub = body_sub = False
    if prefix:
        again = re.compile(re.escape(prefix), re.IGNORECASE)
        url, n = again.subn("${" + PREFIX_VAR + "}", url)
        url_sub = n > 0
        if body is not None:
            body, n = again.subn("${" + PREFIX_VAR + "}", body)
            body_sub = n > 0
    for value, name in names.items():
        pattern = _pattern(value)
        if value not in body_only:
            url, n = pattern.subn("${" + name + "}", url)
            url_sub = url_sub or n > 0
        if body is not None:
            body, n = pattern.subn("${" + name + "}", body)
            body_sub = body_sub or n > 0
    parts = ["curl", "-sS", "-X", ex.method, _quote(url, url_sub)]
    for header, value in ex.headers.items():
        line = f"{header}: {value}"
        masked = mask_secrets(line, secrets)
        parts += ["-H", _dquote(masked) if masked != line else shlex.quote(line)]
    if body is not None:
        parts += ["--data-raw", _quote(body, body_sub)]
    return " ".join(parts)


def script(
    log: list[Exchange],
    prelude: list[Exchange] | None = None,
    secrets: dict[str, str] | None = None,
    prefix: str | None = None,
) -> list[str]:
    """Shell lines replaying `log`, preceded by the `prelude` requests that created an object
    the log names; created ids become shell variables, and the run's name `prefix` a fresh one
    (so the replay's objects clash with nothing the run left)."""
    needed = [
        ex
        for ex in prelude or []
        if any(any(_mentions(later, v) for later in log) for v, _ in _created(ex))
    ]
    names: dict[str, str] = {}
    lines: list[str] = []
    counter = 0
    steps = [(ex, log) for ex in needed] + [(ex, log[i + 1 :]) for i, ex in enumerate(log)]
    # A created id that a URL already named before (healvi's tag 102 beside profile 102) is
    # replaced in bodies only: in a URL it is that other object.
    urls: list[str] = []
    body_only: set[str] = set()
    for ex, rest in steps:
        urls.append(ex.url)
        line = _curl(ex, names, secrets, prefix, body_only)
        captures: list[tuple[str, str]] = []
        for value, path in _created(ex):
            if value in names:
                continue
            if any(_mentions(later, value) for later in rest):
                counter += 1
                captures.append((value, path))
                if any(_pattern(value).search(u) for u in urls):
                    body_only.add(value)
        if not captures:
            lines.append(line)
            continue
        if len(captures) == 1:
            value, path = captures[0]
            name = f"ID_{counter}"
            names[value] = name
            lines.append(f"{name}=$({line} | jq -r {shlex.quote(path)})")
            continue
        # One answer names several objects: keep it once, read each id from it.
        answer = f"ANSWER_{counter}"
        lines.append(f"{answer}=$({line})")
        for k, (value, path) in enumerate(captures):
            name = f"ID_{counter - len(captures) + k + 1}"
            names[value] = name
            lines.append(f'{name}=$(printf %s "${answer}" | jq -r {shlex.quote(path)})')
    if prefix and any("${" + PREFIX_VAR + "}" in line for line in lines):
        base = prefix.rstrip("-")
        lines.insert(0, f'{PREFIX_VAR}="{base}r$((RANDOM % 10000))-"')
    return lines


def story(log: list[Exchange], limit: int = STORY_LINES) -> str:
    """The requests as `METHOD path body → status`, one a line (the last `limit`)."""
    shown = log[-limit:]
    lines = [] if len(log) <= limit else [f"… {len(log) - limit} earlier request(s)"]
    for ex in shown:
        parts = urlsplit(ex.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = ""
        if ex.body is not None:
            text = ex.body.decode("utf-8", "backslashreplace")
            body = " " + (text if len(text) <= 240 else text[:240] + "…")
        lines.append(f"{ex.method} {target}{body} → {ex.status}")
    return "\n".join(lines)
