"""Parsed specs kept between runs, keyed by the file's content: a start-up reads five specs,
and libyaml takes about ten times longer to parse one than `marshal` to load it again.

Entries live in `$TAGFAKE_CACHE_DIR`, else `$XDG_CACHE_HOME/tagfake/specs`, else
`~/.cache/tagfake/specs`. The key is a SHA-256 of the file's bytes, so an edited spec is parsed
afresh whatever its modification time says. The cache is an optimisation only: a directory that
cannot be written (a read-only container), an entry that cannot be read, or a document `marshal`
cannot hold (YAML dates) all mean the file is parsed as if there were no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_ENV = "TAGFAKE_CACHE_DIR"
# Bumped when what is cached changes meaning (another YAML loader, another document shape).
_VERSION = b"tagfake-spec-cache/1\n"


def cache_dir() -> Path:
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tagfake" / "specs"


def _entry(raw: bytes) -> Path:
    return cache_dir() / (hashlib.sha256(_VERSION + raw).hexdigest() + ".marshal")


def get(raw: bytes) -> Any | None:
    """The document parsed from these bytes before, or None."""
    try:
        return marshal.loads(_entry(raw).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def put(raw: bytes, doc: Any) -> None:
    """Keep the document parsed from these bytes, if it can be kept; never fails."""
    try:
        data = marshal.dumps(doc)
    except ValueError:  # a type marshal does not know (a YAML date): not cached
        return
    target = _entry(raw)
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then renamed: a reader never sees half an entry.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
