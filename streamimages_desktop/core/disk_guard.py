"""GuardedIndex: the rendition cache's index kept open against what the environment does to it.

One place (`_index`) decides what an SQLite error means: damage rebuilds the index from the
files (disk_index.repair) and the work runs once more; a read-only folder or an index that
cannot be rebuilt leaves the cache working uncached, said once in `warning`; busy, full or
other is logged and the work skipped (or, where the caller must know, a LibraryError). Files
are never deleted for any of these.

No lock here: DiskCache holds its own around every call of these methods.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from streamimages_desktop.core import paths
from streamimages_desktop.core.disk_index import (
    FILES_DIR,
    Trouble,
    mark_swept,
    open_index,
    repair,
    sweep_due,
    trouble,
)
from streamimages_desktop.core.disk_rows import RenditionRows
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.paths import ensure_cache_dir, ensure_private_dir

__all__ = ["UNWRITABLE_ERRNOS", "GuardedIndex", "folder_reason"]

# The cache's warnings keep the logger name they have always had (the GUI's log file shows it).
log = logger("streamimages_desktop.core.disk_cache")

UNWRITABLE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_READ_ONLY = "it is read-only or not writable"
_T = TypeVar("_T")


class GuardedIndex(RenditionRows):
    """The index of the cache folder `root`; `_db` is None once it works uncached."""

    def __init__(
        self,
        root: Path,
        max_bytes: int,
        ttl_seconds: float,
        clock: Callable[[], float],
        busy_timeout: float,
    ) -> None:
        self._root = root
        super().__init__(root / FILES_DIR, max_bytes, ttl_seconds, clock)
        self._timeout = busy_timeout
        self.warning: str | None = None  # one sentence naming the folder, if working uncached
        self.unusable_reason: str | None = None

    # All of these run with the cache's lock held.

    def _open(self) -> None:
        try:
            ensure_cache_dir(self._root)
            ensure_private_dir(self._files)
            self._db = self._open_index_patiently()
        except OSError as exc:
            self._go_uncached(folder_reason(exc, self._root))
            return
        except sqlite3.Error as exc:
            kind = trouble(exc)
            unwritable = kind is Trouble.UNWRITABLE
            self._go_uncached(_READ_ONLY if unwritable else f"its index is {kind.value}: {exc}")
            return
        self._index("tidy the folder", self._start, None)

    def _open_index_patiently(self) -> sqlite3.Connection:
        """open_index, retried with backoff while another process creates or holds the index.

        A new index switches to WAL, which SQLite reports as busy without waiting; two
        processes opening a fresh cache at once must both end up with it, not one uncached.
        """
        deadline = time.monotonic() + self._timeout
        pause = 0.005
        while True:
            try:
                return open_index(self._root, self._files, self._timeout, self._clock())
            except sqlite3.Error as exc:
                if trouble(exc) is not Trouble.BUSY or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _start(self) -> None:
        """Work at open that does not grow with the cache unless it is due (once a day)."""
        self._refresh_totals()
        if sweep_due(self._root):
            self._sweep()
            mark_swept(self._root)
        if self._tally.bytes() > self._max_bytes:  # the bound was lowered since the last run
            self._evict_now(self._max_bytes)

    def _index(
        self, what: str, work: Callable[[], _T], fallback: _T, *, strict: bool = False
    ) -> _T:
        """`work` on the index, with what the environment does to it handled in one place.

        Damage: the index is rebuilt from the files and `work` runs once more. Read-only: the
        cache goes uncached. Busy, full, other: logged and `fallback` returned, or with
        `strict` a LibraryError naming the cache folder. Files are never deleted for these.
        """
        for attempt in (1, 2):
            if self._db is None:
                return fallback
            try:
                return work()
            except sqlite3.Error as exc:
                self._rollback()
                kind = trouble(exc)
                if kind is Trouble.DAMAGED and attempt == 1:
                    self._repair(exc)
                    continue
                if kind is Trouble.UNWRITABLE:
                    self._go_uncached(_READ_ONLY)
                    return fallback
                if kind is Trouble.DAMAGED:
                    self._go_uncached(f"its index is {kind.value}: {exc}")
                    return fallback
                message = f"the rendition cache index in {self._root} is {kind.value} ({exc})"
                if strict:
                    raise LibraryError(f"{message}; try again") from None
                log.warning("%s: could not %s", message, what)
                return fallback
        return fallback

    def _repair(self, cause: sqlite3.Error) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        self._touched.clear()
        try:
            self._db = repair(self._root, self._files, self._timeout, self._clock(), cause)
        except (OSError, sqlite3.Error) as exc:
            self._go_uncached(f"its index is damaged and could not be rebuilt: {exc}")
            return
        with contextlib.suppress(sqlite3.Error):
            self._refresh_totals()

    def _go_uncached(self, reason: str) -> None:
        """From now on every get misses and every put is skipped; says so once."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        self._touched.clear()
        self._tally.set_totals(0, 0)
        if self.warning is None:
            self.unusable_reason = reason
            self.warning = (
                f"the rendition cache folder {self._root} cannot be used ({reason}); "
                "renditions are made from the originals each time and not stored"
            )
            log.warning("%s", self.warning)

    def _rollback(self) -> None:
        if self._db is not None and self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")


def folder_reason(exc: OSError, folder: Path) -> str:
    """Why the cache folder cannot be used, in words about the folder (never the library)."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.ELOOP):
        loop = paths.in_the_way(folder)
        if loop is not None and "loop" in loop:
            return loop
        return "a file is in the way: a folder is needed there"
    if exc.errno in UNWRITABLE_ERRNOS:
        return _READ_ONLY
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return exc.strerror or str(exc)
