"""Nexor's slugs. The docs give only examples ("VIP" → `vip`, "Follow-up" → `follow-up`,
"Hot Lead" → `hot-lead`); the rule that fits them is an assumption (vendor-behaviour.md), the one
common slug libraries such as Laravel's `Str::slug` follow: transliterate to ASCII, lowercase,
every run of other characters becomes one `-`, no `-` at either end."""

from __future__ import annotations

import re

from text_unidecode import unidecode

from tagfake.short_texts import kept_for_short_texts

_OUTSIDE = re.compile(r"[^a-z0-9]+")


# Every sync slugs each name it is sent, and clients send the same few names again and again:
# the transliteration showed in each sync's profile.
@kept_for_short_texts(maxsize=4096)
def slugify(text: str) -> str:
    """ "Über Größe" → `uber-grosse`, "Ñandú" → `nandu`, "a_b.c" → `a-b-c`.

    The same rule turns a name into the slug the sync looks up and normalises a slug given on
    create or update, so find-or-create by slug cannot make a second tag for one slug. A text
    without a letter or digit in any script (`"!!!"`) gives the empty slug, which is refused.
    """
    return _OUTSIDE.sub("-", unidecode(text).lower()).strip("-")
