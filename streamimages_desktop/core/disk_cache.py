"""DiskCache: rendition files bounded in bytes, LRU with a TTL, indexed in SQLite."""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import shutil
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from streamimages_desktop.core import paths
from streamimages_desktop.core.atomic import atomic_write, random_hex
from streamimages_desktop.core.disk_index import (
    BUSY_TIMEOUT_SECONDS,
    FILES_DIR,
    INDEX_NAME,
    RENDITION_RE,
    SCHEMA_VERSION,
    SWEEP_GRACE_SECONDS,
    Trouble,
    file_name,
    mark_swept,
    open_index,
    repair,
    shards,
    sweep,
    sweep_due,
    trouble,
)
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.logs import logger
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

log = logger(__name__)

RENDITIONS = frozenset({"thumb", "display"})
_IMAGE_ID_RE = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_ROW = "image_id = ? AND rendition = ? AND sha256 = ?"
TOUCH_BATCH = 256  # hits remembered in memory before their new LRU order is written
TOTALS_REFRESH_SECONDS = 1.0  # how stale items/bytes in stats() may get while only reading
_COUNTERS = ("items", "bytes", "hits", "misses", "evictions", "expirations", "corrupt")
_UNWRITABLE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_READ_ONLY = "it is read-only or not writable"
_T = TypeVar("_T")


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
    """Items and bytes in the index (as of the last look-up or write); the other counters since
    this instance was opened. Zero items and bytes while the cache works uncached."""

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


class _Tally:
    """The numbers stats() reports, behind their own tiny lock.

    Never held while SQLite or the disk is waited on, so the GUI thread can read them while a
    worker waits on another process's transaction.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(_COUNTERS, 0)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._values[name] += n

    def set_totals(self, items: int, size: int) -> None:
        with self._lock:
            self._values["items"], self._values["bytes"] = items, size

    def bytes(self) -> int:
        with self._lock:
            return self._values["bytes"]

    def snapshot(self, limit_bytes: int) -> DiskCacheStats:
        with self._lock:
            values = dict(self._values)
        return DiskCacheStats(limit_bytes=limit_bytes, **values)


class DiskCache:
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
        self._root = Path(root)
        self._files = self._root / FILES_DIR
        self._files_str = str(self._files)
        self._max_bytes = _check_limit(max_bytes)
        self._ttl = _check_ttl(ttl_seconds)
        self._clock = clock
        self._timeout = busy_timeout
        # Guards the connection and the LRU batch; may be held while SQLite waits on another
        # process, so stats() never takes it.
        self._lock = threading.Lock()
        self._tally = _Tally()
        # Hits since the last flush, oldest first: a write per hit would cost more than the hit.
        self._touched: dict[tuple[str, str, str], None] = {}
        self._refreshed = -math.inf
        self._db: sqlite3.Connection | None = None
        self.warning: str | None = None  # one sentence naming the folder, if working uncached
        self.unusable_reason: str | None = None
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
            if exc.errno in _UNWRITABLE_ERRNOS:
                with self._lock:
                    self._go_uncached(_folder_reason(exc, self._root))
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
            _unlink(path)

    def discard_image(self, image_id: str) -> None:
        """Drop every rendition of one image (it was deleted or replaced)."""
        if not isinstance(image_id, str) or not _IMAGE_ID_RE.fullmatch(image_id):
            raise ValueError(f"image id must be 32 lowercase hex digits, not {image_id!r}")
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

        def collect() -> int:
            self._sweep(older_than)
            with self._write() as doomed:
                rows = self._sql.execute(
                    "SELECT image_id, rendition, sha256, token FROM renditions"
                    " WHERE stored_at <= ?",
                    (settled,),
                ).fetchall()
                return sum(
                    self._forget(doomed, image_id, rendition, sha, token)
                    for image_id, rendition, sha, token in rows
                    if image_id not in keep_ids
                )

        with self._lock:
            return self._index("collect orphan renditions", collect, 0, strict=True)

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

    # Helpers; all of them run with the lock held.

    def _open(self) -> None:
        try:
            ensure_cache_dir(self._root)
            ensure_private_dir(self._files)
            self._db = self._open_index_patiently()
        except OSError as exc:
            self._go_uncached(_folder_reason(exc, self._root))
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

    @property
    def _sql(self) -> sqlite3.Connection:
        assert self._db is not None, "the index is used only while open"
        return self._db

    @contextlib.contextmanager
    def _write(self) -> Iterator[list[Path]]:
        """One transaction; yields a list of files to delete once it has committed."""
        doomed: list[Path] = []
        db = self._sql
        db.execute("BEGIN IMMEDIATE")
        try:
            yield doomed
            items, size = self._totals()
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise
        self._tally.set_totals(items, size)
        self._refreshed = time.monotonic()
        for path in doomed:
            _unlink(path)

    def _totals(self) -> tuple[int, int]:
        items, size = self._sql.execute("SELECT items, bytes FROM totals").fetchone()
        return int(items), int(size)

    def _refresh_totals(self) -> None:
        self._tally.set_totals(*self._totals())
        self._refreshed = time.monotonic()

    def _lookup(self, ids: tuple[str, str, str]) -> tuple[str, int, int] | None:
        """Token, size and checksum of a fresh entry; an expired one is dropped."""
        if time.monotonic() - self._refreshed > TOTALS_REFRESH_SECONDS:
            self._refresh_totals()  # what other processes did shows within a second or so
        row = self._sql.execute(
            f"SELECT token, bytes, checksum, stored_at FROM renditions WHERE {_ROW}", ids
        ).fetchone()
        if row is None:
            return None
        token, size, digest, stored_at = row
        if self._clock() - stored_at > self._ttl:
            with self._write() as doomed:
                self._forget(doomed, *ids, token)
            self._tally.add("expirations")
            return None
        self._touched.pop(ids, None)
        self._touched[ids] = None
        return str(token), int(size), int(digest)

    def _drop(self, ids: tuple[str, str, str], token: str) -> bool:
        with self._write() as doomed:
            return self._forget(doomed, *ids, token)

    def _insert(self, ids: tuple[str, str, str], token: str, size: int, digest: int) -> bool:
        image_id, rendition, _sha = ids
        with self._write() as doomed:
            rows = self._sql.execute(
                "SELECT sha256, token FROM renditions WHERE image_id = ? AND rendition = ?",
                (image_id, rendition),
            ).fetchall()
            if any(old_token == token for _sha, old_token in rows):
                return True  # a rebuild of the index found this file already
            for old_sha, old_token in rows:
                self._forget(doomed, image_id, rendition, old_sha, old_token)
            self._evict_to(self._max_bytes - size, doomed)
            self._sql.execute(
                "INSERT INTO renditions SELECT ?, ?, ?, ?, ?, ?, ?,"
                " COALESCE(MAX(last_used), 0) + 1 FROM renditions",
                (*ids, token, size, digest, self._clock()),
            )
        return True

    def _discard(self, image_id: str) -> None:
        with self._write() as doomed:
            rows = self._sql.execute(
                "SELECT rendition, sha256, token FROM renditions WHERE image_id = ?", (image_id,)
            ).fetchall()
            for rendition, sha, token in rows:
                self._forget(doomed, image_id, rendition, sha, token)

    def _clear(self) -> None:
        with self._write():
            self._sql.execute("DELETE FROM renditions")
        for shard in self._shards():
            shutil.rmtree(shard, ignore_errors=True)

    def _evict_now(self, target: int) -> None:
        with self._write() as doomed:
            self._evict_to(target, doomed)

    def _sweep(self, grace: float = SWEEP_GRACE_SECONDS) -> None:
        """Tidy the folder (see disk_index.sweep) and drop rows whose file is gone."""
        missing = sweep(self._sql, self._files, grace)
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
        gone = self._sql.execute(
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
        db = self._sql
        in_tx = db.in_transaction
        if not in_tx:
            db.execute("BEGIN IMMEDIATE")
        try:
            (base,) = db.execute("SELECT COALESCE(MAX(last_used), 0) FROM renditions").fetchone()
            db.executemany(
                f"UPDATE renditions SET last_used = ? WHERE {_ROW}",
                [(base + 1 + i, *row_key) for i, row_key in enumerate(touched)],
            )
        except BaseException:
            if not in_tx and db.in_transaction:
                db.execute("ROLLBACK")
            raise
        if not in_tx:
            db.execute("COMMIT")

    def _evict_to(self, target: int, doomed: list[Path]) -> None:
        """Drop least recently used entries until the indexed bytes are at most `target`."""
        self._flush_touched()
        now = self._clock()
        while self._totals()[1] > target:
            rows = self._sql.execute(
                "SELECT image_id, rendition, sha256, token, stored_at FROM renditions"
                " ORDER BY last_used LIMIT 64"
            ).fetchall()
            if not rows:
                return
            for image_id, rendition, sha, token, stored_at in rows:
                if self._totals()[1] <= target:
                    return
                self._forget(doomed, image_id, rendition, sha, token)
                self._tally.add("expirations" if now - stored_at > self._ttl else "evictions")


def _folder_reason(exc: OSError, folder: Path) -> str:
    """Why the cache folder cannot be used, in words about the folder (never the library)."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.ELOOP):
        loop = paths.in_the_way(folder)
        if loop is not None and "loop" in loop:
            return loop
        return "a file is in the way: a folder is needed there"
    if exc.errno in _UNWRITABLE_ERRNOS:
        return _READ_ONLY
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return exc.strerror or str(exc)


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
