"""State that survives a restart: one JSON file, loaded at start, written atomically after changes.

`StateFile` reads and writes the file. A write goes to a temporary file in the same folder, is
fsync'ed and renamed over the old one, so the file on disk is always one whole snapshot; the
snapshot it replaces is kept as `<file>.bak` (a hard link, or a copy where links don't work).
A file that cannot be read back is refused with a message naming it and what is wrong, and is
never touched. `<file>.lock` keeps a second tagfake off the same file.

`Flusher` is a thread that writes a snapshot whenever the store's revision moved, at most
`interval` seconds after the change, and once more when it stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tagfake import __version__
from tagfake.state.memory import SNAPSHOT_FORMAT
from tagfake.state.store import Store
from tagfake.text import has_lone_surrogate

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the rest works
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("tagfake.state")

FORMAT_FAMILY = SNAPSHOT_FORMAT.rsplit("/", 1)[0] + "/"


class StateFileError(Exception):
    """The state file cannot be used. `str()` names the file and what is wrong with it."""

    def __init__(self, path: Path, problem: str, hint: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.hint = hint
        text = f"state file {path}: {problem}"
        super().__init__(f"{text}\n  {hint}" if hint else text)


class StateFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path).absolute()
        self.bak = self.path.with_name(self.path.name + ".bak")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_file: IO[bytes] | None = None

    # -- reading --------------------------------------------------------------------------

    def read(self) -> dict[str, Any] | None:
        """The checked snapshot, or None when there is no file yet. Never changes the file."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise self._refuse("is a directory, not a file") from None
        except OSError as exc:
            raise self._refuse(f"cannot be read ({exc.strerror or exc})") from None
        if not raw.strip():
            raise self._refuse("is empty")
        try:
            doc = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise self._refuse(f"is not UTF-8 text (byte {exc.start})") from None
        except json.JSONDecodeError as exc:
            raise self._refuse(
                f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        if has_lone_surrogate(doc):
            raise self._refuse("holds an unpaired UTF-16 surrogate, which is not UTF-8 text")
        check_snapshot(doc, self)
        assert isinstance(doc, dict)
        return doc

    def _refuse(self, problem: str) -> StateFileError:
        hint = "tagfake left it as it is: fix it, or move it away to start from the fixtures."
        if self.bak.is_file():
            hint += f" The previous good copy is {self.bak}."
        return StateFileError(self.path, problem, hint)

    # -- writing --------------------------------------------------------------------------

    def write(self, doc: dict[str, Any]) -> None:
        """Replace the file with `doc` atomically; the replaced file becomes `<file>.bak`."""
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        folder = self.path.parent
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fchmod(out.fileno(), self._mode())
                os.fsync(out.fileno())
            self._keep_backup(tmp)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(folder)

    def _mode(self) -> int:
        try:
            return self.path.stat().st_mode & 0o777
        except OSError:
            return 0o644

    def _keep_backup(self, tmp: Path) -> None:
        """Make `<file>.bak` the current file; `<file>` itself stays in place all the while."""
        staged = tmp.with_name(tmp.name + ".bak")
        try:
            try:
                os.link(self.path, staged)
            except FileNotFoundError:
                return
            except OSError:  # no hard links on this file system: copy instead
                shutil.copyfile(self.path, staged)
            os.replace(staged, self.bak)
        except FileNotFoundError:
            return
        except BaseException:
            with contextlib.suppress(OSError):
                staged.unlink()
            raise

    def check_writable(self) -> None:
        """Refuse at start, not at the first change, when the folder can't take our files."""
        folder = self.path.parent
        if not folder.is_dir():
            raise StateFileError(self.path, f"folder {folder} does not exist")
        try:
            fd, probe = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise StateFileError(
                self.path,
                f"folder {folder} is not writable ({exc.strerror or exc})",
                f"tagfake runs as uid {os.getuid()}; give that user write access to {folder}.",
            ) from None
        os.close(fd)
        os.unlink(probe)

    def remove_stale_temporaries(self) -> None:
        """Temporary files left by a process killed while writing (ours: we hold the lock)."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp*"):
            with contextlib.suppress(OSError):
                stale.unlink()

    # -- one process per file -------------------------------------------------------------

    def lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        handle = open(self.lock_path, "a+b")  # noqa: SIM115 - held until unlock()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            owner = handle.read().decode("ascii", "replace").strip() or "?"
            handle.close()
            raise StateFileError(
                self.path,
                f"is in use by another tagfake (pid {owner})",
                "stop that one, or give this one another --state-file.",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode("ascii"))
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                self._lock_file.close()
            self._lock_file = None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def check_snapshot(doc: Any, where: StateFile) -> None:
    """Raise StateFileError unless `doc` is a snapshot this tagfake can restore."""
    if not isinstance(doc, dict):
        raise where._refuse("is not a tagfake state file (a JSON object is expected)")
    fmt = doc.get("format")
    if fmt != SNAPSHOT_FORMAT:
        if isinstance(fmt, str) and fmt.startswith(FORMAT_FAMILY):
            written_by = doc.get("tagfake")
            by = f" by tagfake {written_by}" if isinstance(written_by, str) else ""
            raise where._refuse(
                f"was written in format {fmt!r}{by}; tagfake {__version__} reads only "
                f"{SNAPSHOT_FORMAT!r}"
            )
        raise where._refuse(
            f'is not a tagfake state file (its "format" is {fmt!r}, not {SNAPSHOT_FORMAT!r})'
        )
    problems = list(_shape_problems(doc))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise where._refuse(f"is damaged: {problems[0]}{more}")


def _shape_problems(doc: dict[str, Any]) -> Iterable[str]:
    counters = doc.get("counters")
    if not isinstance(counters, dict):
        yield '"counters" must be an object'
    elif not all(isinstance(v, int) and not isinstance(v, bool) for v in counters.values()):
        yield 'every value of "counters" must be an integer'
    spaces = doc.get("namespaces")
    if not isinstance(spaces, list):
        yield '"namespaces" must be a list'
        return
    seen: set[tuple[str, str]] = set()
    for i, space in enumerate(spaces):
        where = f"namespaces[{i}]"
        if not isinstance(space, dict):
            yield f"{where} must be an object"
            continue
        vendor, tenant = space.get("vendor"), space.get("tenant")
        if not isinstance(vendor, str) or not isinstance(tenant, str):
            yield f'{where} needs string "vendor" and "tenant"'
            continue
        if (vendor, tenant) in seen:
            yield f"{where}: {vendor}/{tenant} appears twice"
        seen.add((vendor, tenant))
        creds = space.get("credentials")
        if not isinstance(creds, list) or not all(isinstance(c, str) for c in creds):
            yield f'{where} ({vendor}/{tenant}): "credentials" must be a list of strings'
        data = space.get("data")
        if not isinstance(data, dict):
            yield f'{where} ({vendor}/{tenant}): "data" must be an object'
            continue
        for key in ("tags", "groups", "entities"):
            if key in data and not isinstance(data[key], dict):
                yield f'{where} ({vendor}/{tenant}): "data.{key}" must be an object'
    vendors = doc.get("vendors")
    if vendors is not None and not (
        isinstance(vendors, list) and all(isinstance(v, str) for v in vendors)
    ):
        yield '"vendors" must be a list of strings'


def saved_vendors(doc: dict[str, Any]) -> set[str]:
    """The vendors a snapshot speaks for (their tenants, or none left, are the saved state)."""
    named = set(doc.get("vendors") or ())
    return named | {str(space["vendor"]) for space in doc["namespaces"]}


class Flusher:
    """Writes `snapshot()` to the state file whenever `store.revision` moved.

    `snapshot` defaults to `store.snapshot`; the caller may add fields to it. Write errors are
    logged and retried on the next tick; `stop()` makes a last write and tells whether every
    change reached the file.
    """

    def __init__(
        self,
        store: Store,
        state_file: StateFile,
        *,
        interval: float = 0.2,
        snapshot: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.store = store
        self.state_file = state_file
        self.interval = interval
        self._snapshot = snapshot or store.snapshot
        self._written = store.revision
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None
        self.writes = 0

    @property
    def written_revision(self) -> int:
        return self._written

    def mark_written(self) -> None:
        """Take the store's current state as already on disk (it was just loaded from there)."""
        self._written = self.store.revision

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tagfake-state", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush_if_changed()
            except Exception:  # a bug, not the disk: say so, and keep the thread alive
                log.exception("state file %s: snapshot failed", self.state_file.path)

    def flush_if_changed(self) -> bool:
        """Write when anything changed since the last write. False when the write failed."""
        if self.store.revision == self._written:
            return True
        return self.flush()

    def flush(self) -> bool:
        with self._lock:
            doc = self._snapshot()
            revision = int(doc.get("revision", self.store.revision))
            started = time.perf_counter()
            try:
                self.state_file.write(doc)
            except OSError as exc:
                message = f"cannot write state file {self.state_file.path}: {exc}"
                if message != self._last_error:  # once per distinct error, not every tick
                    log.error("%s (will retry)", message)
                    self._last_error = message
                return False
            if self._last_error is not None:
                log.warning("state file %s written again", self.state_file.path)
                self._last_error = None
            self._written = revision
            self.writes += 1
            log.debug("state revision %d written in %.1f ms", revision, _ms(started))
            return True

    def stop(self) -> bool:
        """Stop the thread and write what is left. True when the file holds the last change."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        return self.flush_if_changed()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


@dataclass
class Persistence:
    """A runtime's state file while it serves: the file, its flusher, and what happened at start."""

    state_file: StateFile
    flusher: Flusher
    summary: str

    def start(self) -> None:
        self.flusher.start()

    def close(self) -> bool:
        """Last write, then let go of the file. True when every change reached it."""
        try:
            return self.flusher.stop()
        except Exception:
            log.exception("state file %s: last write failed", self.state_file.path)
            return False
        finally:
            self.state_file.unlock()


def open_state(runtime: Runtime, path: Path, *, interval: float = 0.2) -> Persistence:
    """Fill `runtime.store` from the state file, or from the fixtures when there is none yet.

    Vendors served now but not in the file start from their fixtures; vendors in the file but
    not served now are kept as they are, so serving fewer vendors for a while loses nothing.
    Raises StateFileError (the file untouched) when the file is unusable.
    """
    state_file = StateFile(path)
    state_file.check_writable()
    state_file.lock()
    try:
        doc = state_file.read()
        fresh: list[str] = list(runtime.vendors)
        kept: set[str] = set()
        if doc is None:
            runtime.load_fixtures()
            summary = f"{state_file.path} (new; started from the fixtures)"
        else:
            try:
                runtime.store.restore(doc)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise state_file._refuse(f"is damaged: cannot restore it ({exc!r})") from None
            kept = saved_vendors(doc)
            fresh = [slug for slug in runtime.vendors if slug not in kept]
            for slug in fresh:
                runtime.apply_fixture(slug, runtime.read_fixture(slug))
            tenants = len(doc["namespaces"])
            summary = f"{state_file.path} (loaded {tenants} tenant(s)"
            summary += f"; {', '.join(fresh)} from the fixtures)" if fresh else ")"
        vendors = sorted(kept | set(runtime.vendors))

        def snapshot() -> dict[str, Any]:
            snap = runtime.store.snapshot()
            snap["vendors"] = vendors
            snap["tagfake"] = __version__
            snap["saved_at"] = datetime.now(UTC).isoformat(timespec="milliseconds")
            return snap

        flusher = Flusher(runtime.store, state_file, interval=interval, snapshot=snapshot)
        state_file.remove_stale_temporaries()
        if fresh:
            try:
                state_file.write(snapshot())
            except OSError as exc:
                raise StateFileError(state_file.path, f"cannot be written ({exc})") from None
        flusher.mark_written()
    except BaseException:
        state_file.unlock()
        raise
    return Persistence(state_file, flusher, summary)
