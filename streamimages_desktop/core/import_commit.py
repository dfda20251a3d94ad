"""Stage 2 of an import: prepared files stored as a group, serialized, all or nothing per file.

The originals are made durable together, then the rows go in ONE transaction (a SAVEPOINT
per row, see Store.insert_images), so a group pays one round of fsyncs and one commit instead
of one per file. Every result is known only once that transaction has committed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
from streamimages_desktop.core.errors import DuplicateImage, ImageRejected, StreamImagesError
from streamimages_desktop.core.import_prepare import Candidate
from streamimages_desktop.core.import_results import (
    ImportOptions,
    ImportResult,
    ImportStatus,
    failure_reason,
    rejected,
)
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.models import Stream, StreamImage, Visibility
from streamimages_desktop.core.process_lock import file_lock
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.store import Store
from streamimages_desktop.core.units import count_of

log = logger(__name__)


class GroupCommit:
    """The library side of an import. Commits are serialized by `lock`, shared with deletes."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        blobs: BlobStore,
        disk_cache: DiskCache,
        clock: Callable[[], datetime],
        lock: threading.RLock,
        library_lock: Path | None,
    ) -> None:
        """`library_lock` is the file the orphan collector locks (None: no other process)."""
        self._settings = settings
        self._store = store
        self.blobs = blobs
        self._disk_cache = disk_cache
        self._clock = clock
        self._lock = lock
        self._library_lock = library_lock

    def cache_ahead(self, cand: Candidate) -> Candidate:
        """Cache the thumbnail of a file whose original was staged, on the worker, so the
        serial commit does not. Only then: a file whose blob exists is likely a duplicate,
        which would cost a put and a discard. Whoever drops the candidate discards it."""
        if cand.staged is None:
            return cand
        self._put_thumbnail(cand)
        return dataclasses.replace(cand, thumb_cached=True)

    def drop(self, cand: Candidate) -> None:
        """Undo what preparation wrote for a file that is never committed. Never raises."""
        cand.discard_staged()
        if cand.thumb_cached:
            self._discard_thumbnail(cand)

    def commit_group(
        self, owner: str, stream_id: str, cands: Sequence[Candidate], options: ImportOptions
    ) -> list[ImportResult]:
        """Store prepared files together: their originals written and fsynced as one group,
        then their rows in ONE transaction. One result each, all known only once that
        transaction has committed. Each file is all or nothing on its own: a duplicate or a
        file over the limit is refused alone (the store checks each row in a SAVEPOINT); a
        failure of the group (disk full) refuses every file of it and leaves none behind.
        """
        results: list[ImportResult | None] = [None] * len(cands)
        accepted: list[int] = []
        try:
            with self._lock:
                accepted = self._pre_check(stream_id, cands, results)
                if accepted:
                    self._store_group(owner, stream_id, cands, accepted, options, results)
        finally:  # also on a bug or ^C: a file without a row keeps no thumbnail
            wrote = set(accepted)
            for i, cand in enumerate(cands):
                cand.discard_staged()  # refused before put_many, or put_many was not reached
                result = results[i]
                if (i in wrote or cand.thumb_cached) and (
                    result is None or result.status is not ImportStatus.IMPORTED
                ):
                    self._discard_thumbnail(cand)
        return [r for r in results if r is not None]

    def _pre_check(
        self, stream_id: str, cands: Sequence[Candidate], results: list[ImportResult | None]
    ) -> list[int]:
        """Indexes of the files worth writing: not already in the stream, within the limit.

        Only to spare refused files their blob writes; the transaction checks again (another
        process may import meanwhile). A second copy of the same bytes within the group goes
        on: the store refuses it as a duplicate of the first, or counts it if the first fails.
        """
        limit = self._settings.max_stream_images_per_stream
        try:
            count = self._store.count_images(stream_id)
            seen: set[str] = set()
            accepted: list[int] = []
            for i, cand in enumerate(cands):
                if cand.sha256 in seen:
                    accepted.append(i)
                    continue
                existing = self._store.find_duplicate(stream_id, cand.sha256)
                if existing is not None:
                    results[i] = ImportResult(ImportStatus.DUPLICATE, cand.source, existing)
                elif count + len(seen) >= limit:
                    held = count_of(count + len(seen), "image")  # once the group is in
                    results[i] = rejected(
                        cand.source,
                        f"stream {stream_id} already holds {held} "
                        f"(MAX_STREAM_IMAGES_PER_STREAM = {limit})",
                    )
                else:
                    seen.add(cand.sha256)
                    accepted.append(i)
            return accepted
        except StreamImagesError as exc:
            reason = exc.reason if isinstance(exc, ImageRejected) else str(exc)
            for i, cand in enumerate(cands):
                if results[i] is None:
                    results[i] = rejected(cand.source, reason)
            return []

    def _store_group(
        self,
        owner: str,
        stream_id: str,
        cands: Sequence[Candidate],
        accepted: Sequence[int],
        options: ImportOptions,
        results: list[ImportResult | None],
    ) -> None:
        """Blobs (durable), then the rows in one transaction; fills `results` for `accepted`."""
        group = [cands[i] for i in accepted]
        limit = self._settings.max_stream_images_per_stream
        new = [False] * len(group)
        try:
            # Shared: the orphan collector (exclusive) never sees a blob without its row.
            with self._shared_library_lock():
                try:
                    new = self._put_blobs(group, options.visibility)
                    # After the originals: a full disk is then said once, by the blob write.
                    for cand in group:
                        if not cand.thumb_cached:
                            self._put_thumbnail(cand)
                    now = self._clock()
                    rows = [  # a microsecond apart, so "oldest first" is the input order
                        self.row(c.image_id, stream_id, c, options, now + timedelta(microseconds=k))
                        for k, c in enumerate(group)
                    ]
                    outcomes = self._store.insert_images(
                        rows, limit, create_stream=Stream(stream_id, stream_id, owner, now)
                    )
                except BaseException:
                    for cand, made in zip(group, new, strict=True):
                        self._undo_blob(cand, made, options.visibility)
                    raise
                for i, cand, made, refused in zip(accepted, group, new, outcomes, strict=True):
                    if refused is None:
                        results[i] = ImportResult(ImportStatus.IMPORTED, cand.source, cand.image_id)
                        continue
                    self._undo_blob(cand, made, options.visibility)
                    if isinstance(refused, DuplicateImage):
                        results[i] = ImportResult(
                            ImportStatus.DUPLICATE, cand.source, refused.image_id
                        )
                    else:
                        reason = refused.reason if isinstance(refused, ImageRejected) else None
                        results[i] = rejected(cand.source, reason or str(refused))
        except BaseException as exc:
            reason = failure_reason(exc)
            if reason is None:
                raise
            for i in accepted:
                results[i] = rejected(cands[i].source, reason)

    def _put_blobs(self, group: Sequence[Candidate], visibility: Visibility) -> list[bool]:
        """The group's originals, durable on return; one "newly written" flag each.

        A blob store with put_many() (the local one) writes and fsyncs them together; one
        without it (the team's S3 store) is called once per file, and what that group wrote
        is removed again if one of them fails, so the group stays all or nothing.
        """
        items = [(c.data, c.sha256, c.analysis.format) for c in group]
        put_many = getattr(self.blobs, "put_many", None)
        if put_many is not None:
            flags: list[bool] = put_many(items, [c.staged for c in group])
            return flags
        blobs: Any = self.blobs  # the same methods, each also taking the visibility
        made: list[bool] = []
        try:
            for data, sha, fmt in items:
                made.append(bool(blobs.put(data, sha, fmt, visibility)))
        except BaseException:
            for (_data, sha, fmt), new in zip(items, made, strict=False):
                if new:
                    with contextlib.suppress(Exception):
                        blobs.remove(sha, fmt, visibility)
            raise
        return made

    def _shared_library_lock(self) -> contextlib.AbstractContextManager[bool]:
        if self._library_lock is None:
            return contextlib.nullcontext(True)
        return file_lock(self._library_lock, shared=True)

    def row(
        self,
        image_id: str,
        stream_id: str,
        cand: Candidate,
        options: ImportOptions,
        now: datetime,
    ) -> StreamImage:
        """The row a prepared file gets."""
        title = options.title if options.title is not None else Path(cand.name).stem
        return StreamImage(
            id=image_id,
            stream_id=stream_id,
            title=title.strip() or cand.name,
            description=options.description,
            original_name=cand.name,
            visibility=Visibility(options.visibility),
            format=cand.analysis.format,
            width=cand.analysis.width,
            height=cand.analysis.height,
            bytes=len(cand.data),
            sha256=cand.sha256,
            created=now,
            updated=now,
        )

    def _put_thumbnail(self, cand: Candidate) -> None:
        """Cache the thumbnail made during analysis; a failure here only costs a regeneration."""
        key = RenditionKey(cand.image_id, "thumb", cand.sha256)
        try:
            self._disk_cache.put(key, cand.analysis.thumbnail)
        except (OSError, sqlite3.Error, StreamImagesError) as exc:
            log.warning("thumbnail of %s not cached: %s", cand.image_id, exc)

    def _discard_thumbnail(self, cand: Candidate) -> None:
        """Drop the cached thumbnail of a file that got no row. Never raises: what cannot be
        removed now (the disk is full) the orphan collector removes later."""
        try:
            self._disk_cache.discard_image(cand.image_id)
        except Exception as exc:
            log.info("could not discard the thumbnail of failed import %s: %s", cand.image_id, exc)

    def _undo_blob(self, cand: Candidate, blob_new: bool, visibility: Visibility) -> None:
        """Remove the blob a refused or failed file wrote, if no row uses it. Never raises."""
        if not blob_new:
            return
        try:
            if not self._store.sha_in_use(cand.sha256, visibility):
                self.blobs.remove(cand.sha256, cand.analysis.format, visibility)
        except Exception as exc:
            log.info("could not remove the blob of failed import %s: %s", cand.image_id, exc)
