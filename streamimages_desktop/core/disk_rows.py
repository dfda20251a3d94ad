"""RenditionRows: what the rendition cache does to the rows of its open index.

Look-ups that expire by TTL, inserts that evict least recently used rows to stay within the
bound, the LRU order of hits written in batches, the totals the triggers keep. A row goes in
its transaction first and its file is deleted only after the commit.

No lock and no handling of SQLite errors here: DiskCache (core/disk_cache.py) holds its lock
around every call and decides what a busy, full, read-only or damaged index means.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from streamimages_desktop.core.disk_index import SWEEP_GRACE_SECONDS, file_name, shards, sweep
from streamimages_desktop.core.disk_tally import Tally

__all__ = ["TOTALS_REFRESH_SECONDS", "RenditionRows", "unlink_if_there"]

_ROW = "image_id = ? AND rendition = ? AND sha256 = ?"
TOTALS_REFRESH_SECONDS = 1.0  # how stale items/bytes in stats() may get while only reading


class RenditionRows:
    """The rows of one open index (`_db`, None while closed or uncached) and their files."""

    def __init__(
        self, files: Path, max_bytes: int, ttl_seconds: float, clock: Callable[[], float]
    ) -> None:
        self._files = files
        self._files_str = str(files)
        self._max_bytes = max_bytes
        self._ttl = ttl_seconds
        self._clock = clock
        self._tally = Tally()
        # Hits since the last flush, oldest first: a write per hit would cost more than the hit.
        self._touched: dict[tuple[str, str, str], None] = {}
        self._refreshed = -math.inf
        self._db: sqlite3.Connection | None = None

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
            unlink_if_there(path)

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

    def _collect(self, keep_ids: set[str], settled: float, older_than: float) -> int:
        """Sweep, then drop the rows not in `keep_ids` stored at or before `settled`."""
        self._sweep(older_than)
        with self._write() as doomed:
            rows = self._sql.execute(
                "SELECT image_id, rendition, sha256, token FROM renditions WHERE stored_at <= ?",
                (settled,),
            ).fetchall()
            return sum(
                self._forget(doomed, image_id, rendition, sha, token)
                for image_id, rendition, sha, token in rows
                if image_id not in keep_ids
            )

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


def unlink_if_there(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
