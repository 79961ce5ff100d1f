"""The one HTTP client of the proxy: sends what the app sent, to the upstream, and nothing else.

Requests are built by hand (`httpx.Request`), never through the client's defaults, so no
header the app did not send is added (httpx would add User-Agent, Accept, Accept-Encoding);
only Host (the upstream's) and Content-Length are set. Redirects are not followed, the
environment's proxy settings are not used, and nothing is retried: a 429 with Retry-After, a 5xx
or a redirect reaches the app as the upstream sent it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tagfake.proxy.options import ProxyOptions

#: Per connection, never forwarded (RFC 9110 7.6.1); content-length is set for the body sent.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
#: Dropped from answers too: the body is handed on decoded (its length recomputed), and the
#: violations header is the proxy's own (a tagfake upstream sends its own).
_ANSWER_DROPPED = HOP_BY_HOP | {"content-encoding", "x-tagfake-violations"}


class UpstreamFailed(Exception):
    """No usable answer: unreachable, timed out, connection lost, answer too long."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def end_to_end(
    headers: list[tuple[bytes, bytes]], dropped: frozenset[str]
) -> list[tuple[bytes, bytes]]:
    """The headers without the hop-by-hop ones, and without those named in `Connection`."""
    named = {
        token.strip().lower()
        for k, v in headers
        if k.lower() == b"connection"
        for token in v.decode("latin-1").split(",")
    }
    return [
        (k.lower(), v)
        for k, v in headers
        if (name := k.decode("latin-1").lower()) not in dropped and name not in named
    ]


class Upstream:
    def __init__(self, options: ProxyOptions) -> None:
        self.options = options
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, inside the server's event loop.
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.options.timeout),
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def url(self, raw_path: str, query: bytes) -> str:
        """The upstream URL of a path below the vendor's mount (`/tags` → <upstream>/tags)."""
        text = self.options.base + raw_path
        return f"{text}?{query.decode('latin-1')}" if query else text

    async def send(
        self, method: str, url: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Answer:
        sent = end_to_end(headers, HOP_BY_HOP)
        request = httpx.Request(method, url, headers=sent, content=body or None)
        limit = self.options.max_answer_bytes
        try:
            response = await self._http().send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise UpstreamFailed(f"answered more than {limit} bytes")
                    chunks.append(chunk)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise UpstreamFailed(f"did not answer within {self.options.timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"is unreachable ({type(exc).__name__}: {exc})") from None
        return Answer(
            response.status_code,
            end_to_end(list(response.headers.raw), _ANSWER_DROPPED),
            b"".join(chunks),
        )
