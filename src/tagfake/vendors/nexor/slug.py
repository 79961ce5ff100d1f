"""Nexor's slugs. The docs give only examples ("VIP" → `vip`, "Follow-up" → `follow-up`,
"Hot Lead" → `hot-lead`); the rule that fits them is an assumption (vendor-behaviour.md)."""

from __future__ import annotations

import re

_OUTSIDE = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """Lowercase; every run of characters outside `[a-z0-9]` becomes one `-`; `-` trimmed.

    Non-ASCII letters are not transliterated: "María" → `mar-a`. A name with no ASCII letter or
    digit gives the empty slug, which the sync refuses.
    """
    return _OUTSIDE.sub("-", name.lower()).strip("-")
