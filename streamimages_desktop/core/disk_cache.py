"""DiskCache: rendition files bounded in bytes, LRU with a TTL, indexed in SQLite.

The rendition cache's public face: get, put, discard, clear, its bound and TTL, stats, all
under one lock. Below it, each with one idea: disk_guard.py (what a busy, full, read-only or
damaged index means), disk_rows.py (the rows: look-up, insert, LRU, TTL, totals),
disk_index.py (the index file, its repair and the sweep), disk_tally.py (the counters),
rendition_key.py (the key).
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Collection
from pathlib import Path
from types import TracebackType

from streamimages_desktop.core.atomic import atomic_write, random_hex
from streamimages_desktop.core.disk_guard import UNWRITABLE_ERRNOS, GuardedIndex, folder_reason
from streamimages_desktop.core.disk_index import (
    BUSY_TIMEOUT_SECONDS,
    FILES_DIR,
    INDEX_NAME,
    SCHEMA_VERSION,
)
from streamimages_desktop.core.disk_rows import unlink_if_there
from streamimages_desktop.core.disk_tally import DiskCacheStats
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.rendition_key import RENDITIONS, RenditionKey, check_image_id

__all__ = [
    "FILES_DIR",
    "INDEX_NAME",
    "RENDITIONS",
    "SCHEMA_VERSION",
    "DiskCache",
    "DiskCacheStats",
    "RenditionKey",
    "checksum",
]

log = logger(__name__)

TOUCH_BATCH = 256  # hits remembered in memory before their new LRU order is written


def checksum(data: bytes) -> int:
    """CRC-32: catches truncation and bit rot at memory speed (blake2b cost more than the
    SQLite lookup and file read together). Not a defence against someone who can write to
    the 0700 cache folder; nothing is, short of not caching."""
    return zlib.crc32(data)


class DiskCache(GuardedIndex):
    """Rendition files under `root`, at most `max_bytes` by the index, least recently used go first.

    Each put writes a new file (random token in its name) atomically outside the lock, then
    indexes it, so a reader never sees half a file and two writers never share a name. A file
    that is missing, truncated or altered is caught by its size and checksum, dropped and
    reported as a miss; the caller regenerates it. Index rows go first, files after the commit.
    Items and bytes live in a one-row table kept by triggers, so they are right even when two
    processes share the folder. One SQLite connection guarded by one lock; thread-safe.

    The environment never costs the renditions: a busy or full index skips one write (logged),
    a damaged one is rebuilt from the files, and a folder that cannot be used (read-only, a
    file in the way) leaves the cache working uncached, with `warning` saying so once.
    """

    def __init__(
        self,
        root: Path,
        max_bytes: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.time,
        *,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> None:
        folder = Path(root)
        limit, ttl = _check_limit(max_bytes), _check_ttl(ttl_seconds)
        super().__init__(folder, limit, ttl, clock, busy_timeout)
        # Guards the connection and the LRU batch; may be held while SQLite waits on another
        # process, so stats() never takes it.
        self._lock = threading.Lock()
        with self._lock:
            self._open()

    @property
    def root(self) -> Path:
        return self._root

    @property
    def usable(self) -> bool:
        """False once the cache works uncached (see `warning`)."""
        return self._db is not None

    def get(self, key: RenditionKey) -> bytes | None:
        """The stored bytes, or None if missing, expired or damaged (the entry is then dropped)."""
        ids = (key.image_id, key.rendition, key.sha256)
        with self._lock:
            found = self._index("look up a rendition", lambda: self._lookup(ids), None)
            if len(self._touched) >= TOUCH_BATCH:
                self._index("record recent use", self._flush_touched, None)
        if found is None:
            self._tally.add("misses")
            return None
        token, size, digest = found
        data = self._read(*ids, token)
        if data is not None and len(data) == size and checksum(data) == digest:
            self._tally.add("hits")
            return data
        self._tally.add("misses")
        with self._lock:
            # Only if the row is still the one read: another thread may have replaced it.
            if self._index("drop a damaged rendition", lambda: self._drop(ids, token), False):
                log.warning("cached %s of %s was damaged", key.rendition, key.image_id)
                self._tally.add("corrupt")
        return None

    def put(self, key: RenditionKey, data: bytes) -> None:
        """Store `data`, evicting least recently used files so the index stays within max_bytes.

        Replaces any rendition of the same image and kind made from another original. Best
        effort: a value larger than the bound is not stored, and a failing disk is logged, not
        raised (the caller still has the bytes it rendered). The bound is kept by the index; the
        new file is on disk a moment before the evicted ones are gone.
        """
        size = len(data)
        if size > self._max_bytes or self._db is None:
            return
        token = random_hex(8)
        path = self._path(key.image_id, key.rendition, key.sha256, token)
        assert path is not None
        try:
            # Not fsynced: a rendition is regenerable and get() checks its size and checksum,
            # so a file a power cut truncated is dropped and made again (issue 14).
            atomic_write(path, data, fsync=False)
        except OSError as exc:
            if exc.errno in UNWRITABLE_ERRNOS:
                with self._lock:
                    self._go_uncached(folder_reason(exc, self._root))
            else:
                log.warning("could not cache %s of %s: %s", key.rendition, key.image_id, exc)
            return
        digest = checksum(data)
        ids = (key.image_id, key.rendition, key.sha256)
        with self._lock:
            stored = self._index(
                "store a rendition", lambda: self._insert(ids, token, size, digest), False
            )
        if not stored:
            unlink_if_there(path)

    def discard_image(self, image_id: str) -> None:
        """Drop every rendition of one image (it was deleted or replaced)."""
        check_image_id(image_id)
        with self._lock:
            self._index(
                "drop an image's renditions", lambda: self._discard(image_id), None, strict=True
            )

    def discard_images_except(self, keep: Collection[str], older_than: float) -> int:
        """Drop renditions of images not in `keep` stored over `older_than` seconds ago.

        For the orphan collector: entries of imports or deletes a crash interrupted, and files
        no entry knows that are as old. Returns how many entries went.
        """
        keep_ids = set(keep)
        settled = self._clock() - older_than
        with self._lock:
            return self._index(
                "collect orphan renditions",
                lambda: self._collect(keep_ids, settled, older_than),
                0,
                strict=True,
            )

    def clear(self) -> None:
        """Drop every rendition, indexed or stray."""
        with self._lock:
            if self._db is None:
                why = self.unusable_reason or "it is closed"
                raise LibraryError(f"cannot clear the rendition cache folder {self._root}: {why}")
            self._index("clear", self._clear, None, strict=True)

    def set_limit(self, max_bytes: int) -> None:
        """Change the bound; evicts at once down to it."""
        limit = _check_limit(max_bytes)
        with self._lock:
            self._max_bytes = limit
            self._index("evict", lambda: self._evict_now(limit), None, strict=True)

    def set_ttl(self, seconds: float) -> None:
        ttl = _check_ttl(seconds)
        with self._lock:
            self._ttl = ttl

    def stats(self) -> DiskCacheStats:
        """Counters kept in memory: never waits on the disk or on a worker (safe on a GUI thread).

        Items and bytes are the index's totals as of this instance's last write or look-up
        (at most a second or so behind what other processes did meanwhile).
        """
        return self._tally.snapshot(self._max_bytes)

    def close(self) -> None:
        with self._lock:
            if self._db is None:
                return
            with contextlib.suppress(sqlite3.Error):
                self._flush_touched()
            self._db.close()
            self._db = None

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _check_limit(max_bytes: int) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(
            f"disk cache bound must be a whole number of bytes >= 0, not {max_bytes!r}"
        )
    return max_bytes


def _check_ttl(seconds: float) -> float:
    if not seconds > 0 or math.isnan(seconds):
        raise ValueError(f"cache TTL must be a positive number of seconds, not {seconds!r}")
    return float(seconds)
