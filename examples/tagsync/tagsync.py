"""tagsync: push a CRM's tags to Nexor leads and Zapini conversations, with retries.

A tiny client written the way an app using these vendors would be: stdlib only, a timeout on
every request, and retries where a retry is safe. Both calls are idempotent PUTs that replace
the whole tag set, so repeating one after a timeout or a dropped connection does no harm.

- 429: wait as long as the answer's Retry-After says (capped by `Retry.max_wait`), then retry.
- 5xx, a timeout, a refused or dropped connection: wait (exponential backoff), then retry.
- Any other error (400, 401, 404, 422, ...) is the caller's mistake: raised at once.

Its tests (tests/test_tagsync.py) run it against tagfake through the pytest plugin alone.

    python tagsync.py lead --url https://api.getnexor.ai/api/public --api-key KEY \\
        jane@example.com VIP Follow-up
    python tagsync.py conversation --url https://zapini.example/api/v1 --token TOKEN \\
        550e8400-e29b-41d4-a716-446655440045 550e8400-e29b-41d4-a716-446655440001
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Retry:
    attempts: int = 4  # tries in all, the first one included
    timeout: float = 5.0  # seconds each request may take
    backoff: float = 0.2  # the first wait after a 5xx or connection error; doubles each time
    max_wait: float = 10.0  # no wait is longer, whatever Retry-After says
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    # Told of each retry: (attempt that failed, why, seconds until the next).
    on_retry: Callable[[int, str, float], None] | None = field(default=None, repr=False)


class SyncError(Exception):
    """The vendor refused, or every attempt failed. `status` is None when no answer came."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def sync_lead_tags(
    base_url: str,
    api_key: str,
    email_or_lead_id: str,
    tags: Sequence[str],
    *,
    retry: Retry | None = None,
) -> dict[str, Any]:
    """Make a Nexor lead's tags exactly `tags` (names; missing ones are created by Nexor).

    The lead is named by email (anything with an @) or by its id."""
    who = "email" if "@" in email_or_lead_id else "lead_id"
    body = {who: email_or_lead_id, "tags": list(tags)}
    url = f"{base_url.rstrip('/')}/leads/tags"
    return _send("PUT", url, {"X-API-Key": api_key}, body, retry or Retry())


def set_conversation_tags(
    base_url: str,
    token: str,
    conversation_id: str,
    tag_ids: Sequence[str],
    *,
    retry: Retry | None = None,
) -> dict[str, Any]:
    """Make a Zapini conversation's tags exactly `tag_ids`."""
    quoted = urllib.parse.quote(conversation_id, safe="")
    url = f"{base_url.rstrip('/')}/conversations/{quoted}/tags"
    headers = {"Authorization": f"Bearer {token}"}
    return _send("PUT", url, headers, {"tag_ids": list(tag_ids)}, retry or Retry())


def _send(
    method: str, url: str, headers: dict[str, str], body: Any, retry: Retry
) -> dict[str, Any]:
    data = json.dumps(body).encode()
    backoff = retry.backoff
    for attempt in range(1, retry.attempts + 1):
        request = urllib.request.Request(url, data=data, method=method)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            request.add_header(name, value)
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=retry.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            status, answer = error.code, _json_or_text(error.read())
            retry_after = error.headers.get("Retry-After")
            error.close()
            if status not in RETRIED_STATUSES:
                raise SyncError(f"{method} {url}: {status} {answer}", status, answer) from None
            why = f"{status}"
            wait = _retry_after(retry_after) if status == 429 else None
            if wait is None:
                wait, backoff = backoff, backoff * 2
            failure = SyncError(
                f"{method} {url}: {status} after {attempt} attempts", status, answer
            )
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", error)
            why = "timed out" if isinstance(reason, TimeoutError) else f"{reason!r}"
            wait, backoff = backoff, backoff * 2
            failure = SyncError(f"{method} {url}: {why} after {attempt} attempts")
        else:
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise SyncError(f"{method} {url}: the answer is not JSON", 200, raw) from None
            if not isinstance(parsed, dict):
                raise SyncError(f"{method} {url}: unexpected answer", 200, parsed)
            return parsed
        if attempt == retry.attempts:
            raise failure
        wait = min(wait, retry.max_wait)
        if retry.on_retry is not None:
            retry.on_retry(attempt, why, wait)
        retry.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (the delta-seconds form; an HTTP date is not used)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tagsync", description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=5.0)
    sub = parser.add_subparsers(dest="what", required=True)
    lead = sub.add_parser("lead", help="sync a Nexor lead's tags (by email or lead id)")
    lead.add_argument(
        "--url", default=os.environ.get("NEXOR_URL"), required=not os.environ.get("NEXOR_URL")
    )
    lead.add_argument("--api-key", default=os.environ.get("NEXOR_API_KEY"))
    lead.add_argument("lead", help="an email or a lead id")
    lead.add_argument("tags", nargs="*", help="tag names (none: clear them)")
    conv = sub.add_parser("conversation", help="set a Zapini conversation's tags")
    conv.add_argument(
        "--url", default=os.environ.get("ZAPINI_URL"), required=not os.environ.get("ZAPINI_URL")
    )
    conv.add_argument("--token", default=os.environ.get("ZAPINI_TOKEN"))
    conv.add_argument("conversation", help="the conversation's uuid")
    conv.add_argument("tag_ids", nargs="*", help="tag ids (none: clear them)")
    args = parser.parse_args(argv)

    def tell(attempt: int, why: str, wait: float) -> None:
        print(
            f"tagsync: attempt {attempt} failed ({why}); retrying in {wait:.1f}s", file=sys.stderr
        )

    retry = Retry(attempts=args.attempts, timeout=args.timeout, on_retry=tell)
    try:
        if args.what == "lead":
            if not args.api_key:
                parser.error("give --api-key or set NEXOR_API_KEY")
            result = sync_lead_tags(args.url, args.api_key, args.lead, args.tags, retry=retry)
        else:
            if not args.token:
                parser.error("give --token or set ZAPINI_TOKEN")
            result = set_conversation_tags(
                args.url, args.token, args.conversation, args.tag_ids, retry=retry
            )
    except SyncError as error:
        print(f"tagsync: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
