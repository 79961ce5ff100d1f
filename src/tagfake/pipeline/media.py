"""Media types as RFC 9110 §8.3 writes them: `type/subtype` compared case-insensitively, then
optional `; name=value` parameters with optional whitespace, values plain or quoted. The one
parser for every Content-Type tagfake reads (vendor routes, the admin API, answers it checks)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tagfake.short_texts import kept_for_short_texts

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA = re.compile(rf"\s*({_TOKEN})/({_TOKEN})\s*")
# RFC 9110 allows no whitespace around "="; it is tolerated, as lenient servers do.
_PARAM = re.compile(rf';\s*({_TOKEN})\s*=\s*(?:({_TOKEN})|"((?:[^"\\]|\\.)*)")\s*')
_EMPTY_PARAM = re.compile(r";\s*")
_QUOTED_PAIR = re.compile(r"\\(.)")

#: JSON is UTF-8 (RFC 8259 §8.1); ASCII is a subset of it.
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})


@dataclass(frozen=True)
class MediaType:
    type: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def essence(self) -> str:
        """`type/subtype`, lower-case, without parameters."""
        return f"{self.type}/{self.subtype}"

    @property
    def is_json(self) -> bool:
        return self.type == "application" and (
            self.subtype == "json" or self.subtype.endswith("+json")
        )

    @property
    def charset(self) -> str | None:
        return self.params.get("charset")

    @property
    def is_utf8(self) -> bool:
        """No charset, or one whose bytes are UTF-8."""
        return self.charset is None or self.charset in UTF8_CHARSETS


def parse_media_type(value: str | None) -> MediaType | None:
    """The media type in a Content-Type value, or None when it is missing or not one (its
    `params` are shared between callers: read them, never change them)."""
    return None if value is None else _parse(value)


@kept_for_short_texts(maxsize=512)  # clients send the same few Content-Type values
def _parse(value: str) -> MediaType | None:
    m = _MEDIA.match(value)
    if m is None:
        return None
    params: dict[str, str] = {}
    pos = m.end()
    while pos < len(value):
        p = _PARAM.match(value, pos)
        if p is None:
            empty = _EMPTY_PARAM.match(value, pos)  # `type/sub;` and `;;` are tolerated
            if empty is None or empty.end() == pos:
                return None
            pos = empty.end()
            continue
        name = p.group(1).lower()
        raw = p.group(2) if p.group(2) is not None else _QUOTED_PAIR.sub(r"\1", p.group(3))
        # Parameter names are case-insensitive; charset values are too (RFC 9110 §8.3.2).
        params.setdefault(name, raw.lower() if name == "charset" else raw)
        pos = p.end()
    return MediaType(m.group(1).lower(), m.group(2).lower(), params)


def is_json_media(value: str | None) -> bool:
    media = parse_media_type(value)
    return media is not None and media.is_json
