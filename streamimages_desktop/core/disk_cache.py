"""DiskCache: rendition files bounded in bytes, LRU with a TTL, indexed in SQLite."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from streamimages_desktop.core.atomic import atomic_write
from streamimages_desktop.core.disk_index import (
    FILES_DIR,
    INDEX_NAME,
    RENDITION_RE,
    SCHEMA_VERSION,
    file_name,
    open_index,
    shards,
    sweep,
)
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.paths import ensure_cache_dir, ensure_private_dir

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

log = logging.getLogger(__name__)

RENDITIONS = frozenset({"thumb", "display"})
_IMAGE_ID_RE = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_ROW = "image_id = ? AND rendition = ? AND sha256 = ?"
TOUCH_BATCH = 256  # hits remembered in memory before their new LRU order is written


@dataclass(frozen=True)
class RenditionKey:
    """Which file: an image id (uuid hex), a rendition and the original's SHA-256.

    A rendition is "thumb" or "display", or one of them keyed by its side in pixels
    ("thumb@400", "display@2048": the grid on a HiDPI screen, the viewer fitted to a screen).

    Only validated keys exist, so file names are never built from user text; a replaced
    original has another sha256 and never finds the old rendition.
    """

    image_id: str
    rendition: str
    sha256: str

    def __post_init__(self) -> None:
        if not isinstance(self.image_id, str) or not _IMAGE_ID_RE.fullmatch(self.image_id):
            raise ValueError(f"image id must be 32 lowercase hex digits, not {self.image_id!r}")
        if not isinstance(self.rendition, str) or not RENDITION_RE.fullmatch(self.rendition):
            raise ValueError(
                f"rendition must be one of {sorted(RENDITIONS)}, optionally @pixels,"
                f" not {self.rendition!r}"
            )
        if not isinstance(self.sha256, str) or not _SHA256_RE.fullmatch(self.sha256):
            raise ValueError(f"sha256 must be 64 lowercase hex digits, not {self.sha256!r}")


@dataclass(frozen=True)
class DiskCacheStats:
    """Items and bytes on disk now; the other counters since this instance was opened."""

    items: int
    bytes: int
    limit_bytes: int
    hits: int
    misses: int
    evictions: int
    expirations: int
    corrupt: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def checksum(data: bytes) -> int:
    """CRC-32: catches truncation and bit rot at memory speed (blake2b cost more than the
    SQLite lookup and file read together). Not a defence against someone who can write to
    the 0700 cache folder; nothing is, short of not caching."""
    return zlib.crc32(data)


class DiskCache:
    """Rendition files under `root`, at most `max_bytes` by the index, least recently used go first.

    Each put writes a new file (random token in its name) atomically outside the lock, then
    indexes it, so a reader never sees half a file and two writers never share a name. A file
    that is missing, truncated or altered is caught by its size and checksum, dropped and
    reported as a miss; the caller regenerates it. Index rows go first, files after the commit.
    Items and bytes live in a one-row table kept by triggers, so they are right even when two
    processes share the folder. One SQLite connection guarded by one lock; thread-safe.
    """

    def __init__(
        self,
        root: Path,
        max_bytes: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._root = ensure_cache_dir(Path(root))
        self._files = ensure_private_dir(self._root / FILES_DIR)
        self._files_str = str(self._files)
        self._max_bytes = _check_limit(max_bytes)
        self._ttl = _check_ttl(ttl_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = self._expirations = self._corrupt = 0
        # Hits since the last flush, oldest first: a write per hit would cost more than the hit.
        self._touched: dict[tuple[str, str, str], None] = {}
        self._db = open_index(self._root, self._files)
        with self._lock, self._failing_as_library_error():
            self._sweep()
            with self._write() as doomed:
                self._evict_to(self._max_bytes, doomed)

    @property
    def root(self) -> Path:
        return self._root

    def get(self, key: RenditionKey) -> bytes | None:
        """The stored bytes, or None if missing, expired or damaged (the entry is then dropped)."""
        try:
            with self._lock:
                row = self._db.execute(
                    f"SELECT token, bytes, checksum, stored_at FROM renditions WHERE {_ROW}",
                    (key.image_id, key.rendition, key.sha256),
                ).fetchone()
                if row is None:
                    self._misses += 1
                    return None
                token, size, digest, stored_at = row
                if self._clock() - stored_at > self._ttl:
                    with self._write() as doomed:
                        self._forget(doomed, key.image_id, key.rendition, key.sha256, token)
                    self._expirations += 1
                    self._misses += 1
                    return None
                row_key = (key.image_id, key.rendition, key.sha256)
                self._touched.pop(row_key, None)
                self._touched[row_key] = None
                if len(self._touched) >= TOUCH_BATCH:
                    self._flush_touched()
            data = self._read(key.image_id, key.rendition, key.sha256, token)
            with self._lock:
                if data is not None and len(data) == size and checksum(data) == digest:
                    self._hits += 1
                    return data
                self._misses += 1
                with self._write() as doomed:
                    # Only if the row is still the one read: another thread may have replaced it.
                    if self._forget(doomed, key.image_id, key.rendition, key.sha256, token):
                        log.warning("cached %s of %s was damaged", key.rendition, key.image_id)
                        self._corrupt += 1
                return None
        except sqlite3.Error as exc:
            log.warning("rendition cache index: %s", exc)
            return None

    def put(self, key: RenditionKey, data: bytes) -> None:
        """Store `data`, evicting least recently used files so the index stays within max_bytes.

        Replaces any rendition of the same image and kind made from another original. Best
        effort: a value larger than the bound is not stored, and a failing disk is logged, not
        raised (the caller still has the bytes it rendered). The bound is kept by the index; the
        new file is on disk a moment before the evicted ones are gone.
        """
        size = len(data)
        if size > self._max_bytes:
            return
        token = secrets.token_hex(8)
        path = self._path(key.image_id, key.rendition, key.sha256, token)
        assert path is not None
        try:
            atomic_write(path, data)
        except OSError as exc:
            log.warning("could not cache %s of %s: %s", key.rendition, key.image_id, exc)
            return
        digest = checksum(data)
        try:
            with self._lock, self._write() as doomed:
                for old_sha, old_token in self._db.execute(
                    "SELECT sha256, token FROM renditions WHERE image_id = ? AND rendition = ?",
                    (key.image_id, key.rendition),
                ).fetchall():
                    self._forget(doomed, key.image_id, key.rendition, old_sha, old_token)
                self._evict_to(self._max_bytes - size, doomed)
                self._db.execute(
                    "INSERT INTO renditions SELECT ?, ?, ?, ?, ?, ?, ?,"
                    " COALESCE(MAX(last_used), 0) + 1 FROM renditions",
                    (key.image_id, key.rendition, key.sha256, token, size, digest, self._clock()),
                )
        except sqlite3.Error as exc:
            log.warning("could not index %s of %s: %s", key.rendition, key.image_id, exc)
            _unlink(path)

    def discard_image(self, image_id: str) -> None:
        """Drop every rendition of one image (it was deleted or replaced)."""
        if not isinstance(image_id, str) or not _IMAGE_ID_RE.fullmatch(image_id):
            raise ValueError(f"image id must be 32 lowercase hex digits, not {image_id!r}")
        with self._lock, self._failing_as_library_error(), self._write() as doomed:
            rows = self._db.execute(
                "SELECT rendition, sha256, token FROM renditions WHERE image_id = ?", (image_id,)
            ).fetchall()
            for rendition, sha, token in rows:
                self._forget(doomed, image_id, rendition, sha, token)

    def clear(self) -> None:
        """Drop every rendition, indexed or stray."""
        with self._lock, self._failing_as_library_error():
            with self._write():
                self._db.execute("DELETE FROM renditions")
            for shard in self._shards():
                shutil.rmtree(shard, ignore_errors=True)

    def set_limit(self, max_bytes: int) -> None:
        """Change the bound; evicts at once down to it."""
        limit = _check_limit(max_bytes)
        with self._lock, self._failing_as_library_error(), self._write() as doomed:
            self._max_bytes = limit
            self._evict_to(limit, doomed)

    def set_ttl(self, seconds: float) -> None:
        ttl = _check_ttl(seconds)
        with self._lock:
            self._ttl = ttl

    def stats(self) -> DiskCacheStats:
        """Cheap: one single-row query plus counters kept in memory."""
        with self._lock, self._failing_as_library_error():
            items, size = self._totals()
            return DiskCacheStats(
                items=items,
                bytes=size,
                limit_bytes=self._max_bytes,
                hits=self._hits,
                misses=self._misses,
                evictions=self._evictions,
                expirations=self._expirations,
                corrupt=self._corrupt,
            )

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._flush_touched()
            self._db.close()

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Helpers; those that touch the index run with the lock held.

    @contextlib.contextmanager
    def _write(self) -> Iterator[list[Path]]:
        """One transaction; yields a list of files to delete once it has committed."""
        doomed: list[Path] = []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield doomed
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        for path in doomed:
            _unlink(path)

    @contextlib.contextmanager
    def _failing_as_library_error(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise LibraryError(f"rendition cache index in {self._root}: {exc}") from None

    def _totals(self) -> tuple[int, int]:
        items, size = self._db.execute("SELECT items, bytes FROM totals").fetchone()
        return int(items), int(size)

    def _sweep(self) -> None:
        """At start: tidy the folder (see disk_index.sweep) and drop rows whose file is gone."""
        missing = sweep(self._db, self._files)
        if missing:
            with self._write() as doomed:
                for image_id, rendition, sha, token in missing:
                    self._forget(doomed, image_id, rendition, sha, token)

    def _shards(self) -> list[Path]:
        return shards(self._files)

    def _path(self, image_id: str, rendition: str, sha: str, token: str) -> Path | None:
        """The file of one entry, or None if a value is not one this code writes (never a path)."""
        name = file_name(image_id, rendition, sha, token)
        return None if name is None else self._files / image_id[:2] / name

    def _read(self, image_id: str, rendition: str, sha: str, token: str) -> bytes | None:
        name = file_name(image_id, rendition, sha, token)
        if name is None:
            return None
        try:  # os.path, not pathlib: this is the hot path of a thumbnail restore
            with open(os.path.join(self._files_str, image_id[:2], name), "rb") as f:
                return f.read()
        except OSError:
            return None

    def _forget(
        self, doomed: list[Path], image_id: str, rendition: str, sha: str, token: str
    ) -> bool:
        """Delete one row if it still has `token`; its file joins `doomed`. True if it was there."""
        gone = self._db.execute(
            f"DELETE FROM renditions WHERE {_ROW} AND token = ?", (image_id, rendition, sha, token)
        ).rowcount
        path = self._path(image_id, rendition, sha, token)
        if gone and path is not None:
            doomed.append(path)
        return bool(gone)

    def _flush_touched(self) -> None:
        """Write the LRU order of recent hits: they become the most recently used, in order."""
        if not self._touched:
            return
        touched, self._touched = list(self._touched), {}
        in_tx = self._db.in_transaction
        if not in_tx:
            self._db.execute("BEGIN IMMEDIATE")
        try:
            (base,) = self._db.execute(
                "SELECT COALESCE(MAX(last_used), 0) FROM renditions"
            ).fetchone()
            self._db.executemany(
                f"UPDATE renditions SET last_used = ? WHERE {_ROW}",
                [(base + 1 + i, *row_key) for i, row_key in enumerate(touched)],
            )
        except BaseException:
            if not in_tx:
                self._db.execute("ROLLBACK")
            raise
        if not in_tx:
            self._db.execute("COMMIT")

    def _evict_to(self, target: int, doomed: list[Path]) -> None:
        """Drop least recently used entries until the indexed bytes are at most `target`."""
        self._flush_touched()
        now = self._clock()
        while self._totals()[1] > target:
            rows = self._db.execute(
                "SELECT image_id, rendition, sha256, token, stored_at FROM renditions"
                " ORDER BY last_used LIMIT 64"
            ).fetchall()
            if not rows:
                return
            for image_id, rendition, sha, token, stored_at in rows:
                if self._totals()[1] <= target:
                    return
                self._forget(doomed, image_id, rendition, sha, token)
                if now - stored_at > self._ttl:
                    self._expirations += 1
                else:
                    self._evictions += 1


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


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
