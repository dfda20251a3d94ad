"""Import files or pasted bytes into a stream: check, decode, hash, dedupe, store; all or none."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
import threading
import uuid
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamimages_desktop.core import failures
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
from streamimages_desktop.core.errors import (
    DuplicateImage,
    ImageRejected,
    ProblemKind,
    StreamImagesError,
)
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.models import Stream, StreamImage, Visibility
from streamimages_desktop.core.process_lock import file_lock
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.store import Store
from streamimages_desktop.core.units import count_of, format_bytes

if TYPE_CHECKING:  # imaging loads Pillow: only the import itself needs it (not `list`)
    from streamimages_desktop.core.imaging import Analysis

log = logger(__name__)

WORKERS = 2  # read + hash + reduced decode run on both cores; Pillow and hashlib release the GIL
# Files prepared ahead of the (serial) group commits, bounded by count and by their bytes, so
# the workers never wait on a commit while memory holds only a few large originals.
WINDOW_FILES = 32
WINDOW_BYTES = 96 * 1024 * 1024
# A group commit takes the prepared files at the head of the window, up to these bounds: one
# transaction and one round of fsyncs for all of them (issue 14).
GROUP_FILES = 32
GROUP_BYTES = 64 * 1024 * 1024


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ImportOptions:
    """What every file of one import gets; title None means the file name without extension."""

    visibility: Visibility = Visibility.PUBLIC
    title: str | None = None
    description: str = ""


@dataclass(frozen=True)
class ImportResult:
    """The outcome for one file: the new or existing id, or the reason it was refused."""

    status: ImportStatus
    source: str
    image_id: str | None = None
    reason: str | None = None


ProgressCallback = Callable[[int, int, ImportResult], None]


@dataclass(frozen=True)
class _Candidate:
    """A file that passed every check that needs no library: ready to be stored."""

    source: str
    name: str
    data: bytes
    sha256: str
    analysis: Analysis
    image_id: str


def _rejected(source: str, reason: str) -> ImportResult:
    return ImportResult(ImportStatus.REJECTED, source, reason=reason)


def _failure_reason(exc: BaseException) -> str | None:
    """The one line for a failure that refuses files; None for a bug (it propagates)."""
    if isinstance(exc, ImageRejected):
        return exc.reason
    if isinstance(exc, OSError):
        return write_reason(exc)
    if isinstance(exc, StreamImagesError):
        return str(exc)
    return None


def display_name(name: str) -> str:
    """A file name safe to store as text: undecodable bytes become U+FFFD (display only)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_reason(exc: OSError) -> str:
    """A short phrase for an error while reading a source file."""
    kind = failures.os_kind(exc)
    if kind is ProblemKind.MISSING:
        return "no such file"
    if kind in (ProblemKind.PERMISSION, ProblemKind.LINK_LOOP):
        return failures.os_reason(exc)
    return f"could not read the file ({exc.strerror or exc})"


def write_reason(exc: OSError) -> str:
    """A short phrase for an error while writing into the library."""
    kind = failures.os_kind(exc)
    if kind is ProblemKind.FULL:
        return "disk full"
    if kind in (ProblemKind.PERMISSION, ProblemKind.READ_ONLY):
        return "library folder is not writable"
    return f"could not write to the library ({exc.strerror or exc})"


def _walk(folder: Path, skip: frozenset[Path]) -> Iterator[Path | ImportResult]:
    """Every entry below `folder`, sorted by name; symlinked folders are listed, not entered.

    Hidden entries (".DS_Store", ".git") and the application's own library and cache folders
    are passed over: nobody means to import those by dropping a parent folder.
    """
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield _rejected(str(folder), f"cannot read folder: {read_reason(exc)}")
        return
    for entry in entries:
        path = folder / entry.name
        if entry.name.startswith(".") or path.absolute() in skip:
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path, skip)
        else:
            yield path


def expand_paths(paths: Sequence[Path], skip: Collection[Path] = ()) -> list[Path | ImportResult]:
    """Files to try, in order: folders are walked recursively in sorted order.

    A folder named directly is walked; a symbolic link to a folder is never followed (it is
    tried as a file and refused), so link loops cannot trap the walk. A folder holding no
    files gives one refusal so the user hears about it. Folders in `skip` are not entered.
    """
    skipped = frozenset(p.absolute() for p in skip)
    items: list[Path | ImportResult] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and not path.is_symlink():
            found = list(_walk(path, skipped))
            items.extend(found or [_rejected(str(path), "folder holds no files")])
        else:
            items.append(path)
    return items


class Importer:
    """The write path of one import. Commits are serialized by `lock`, shared with deletes."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        blobs: BlobStore,
        disk_cache: DiskCache,
        clock: Callable[[], datetime],
        lock: threading.RLock,
        *,
        library_lock: Path | None = None,
    ) -> None:
        """`library_lock` is the file the orphan collector locks (None: no other process)."""
        self._settings = settings
        self._store = store
        self._blobs = blobs
        self._disk_cache = disk_cache
        self._clock = clock
        self._lock = lock
        self._library_lock = library_lock

    # -- stage 1: no library access, runs on worker threads ------------------------------------

    def _check_name(self, name: str) -> None:
        suffix = Path(name).suffix.lower()
        if suffix not in self._settings.allowed_image_extensions:
            allowed = " ".join(sorted(self._settings.allowed_image_extensions))
            shown = f"extension {suffix}" if suffix else "no file extension"
            raise ImageRejected(f"{shown} is not allowed (allowed: {allowed})")

    def _check_size(self, size: int) -> None:
        limit = self._settings.max_upload_bytes
        if size == 0:
            raise ImageRejected("empty file")
        if size > limit:
            raise ImageRejected(
                f"too large ({format_bytes(size)}; the limit is "
                f"{self._settings.max_image_upload_size_mb:g} MB, MAX_IMAGE_UPLOAD_SIZE_MB)"
            )

    def _read(self, path: Path) -> bytes:
        """The file's bytes; anything but a regular file is refused before it is opened."""
        try:
            info = os.stat(path)  # follows a symlink: a link counts as what it points to
        except OSError as exc:
            raise ImageRejected(read_reason(exc)) from None
        if stat.S_ISDIR(info.st_mode):
            raise ImageRejected("not a regular file (a folder)")
        if not stat.S_ISREG(info.st_mode):
            raise ImageRejected("not a regular file (a pipe, socket or device)")
        self._check_name(path.name)
        self._check_size(info.st_size)
        try:
            # O_NONBLOCK: should the path be swapped for a FIFO after stat, open cannot hang.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            raise ImageRejected(read_reason(exc)) from None
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ImageRejected("not a regular file (it changed while being read)")
            try:
                data = f.read(self._settings.max_upload_bytes + 1)
            except OSError as exc:
                raise ImageRejected(read_reason(exc)) from None
        self._check_size(len(data))  # it may have grown or shrunk since stat
        return data

    def _candidate(self, source: str, name: str, data: bytes) -> _Candidate:
        from streamimages_desktop.core import imaging  # Pillow, only once a file is imported

        analysis = imaging.analyze(data, self._settings.image_max_pixels)
        digest = hashlib.sha256(data).hexdigest()
        return _Candidate(source, name, data, digest, analysis, uuid.uuid4().hex)

    def prepare_path(self, path: Path) -> _Candidate | ImportResult:
        """Stage 1 for a file: stat checks, read, analyze, hash. Never raises for bad input."""
        source = str(path)
        try:
            data = self._read(path)
            return self._candidate(source, display_name(path.name), data)
        except ImageRejected as exc:
            return _rejected(source, exc.reason)
        except Exception as exc:  # a bug or a Pillow surprise: one file never stops the batch
            log.exception("unexpected error while reading %r", source)
            return _rejected(source, f"internal error ({type(exc).__name__})")

    def prepare_bytes(self, data: bytes, name: str) -> _Candidate | ImportResult:
        """Stage 1 for pasted bytes; `name` (e.g. clipboard-2026-11-24-101500.png) is a label."""
        name = display_name(Path(name).name) or "clipboard.png"
        try:
            self._check_name(name)
            self._check_size(len(data))
            return self._candidate(name, name, data)
        except ImageRejected as exc:
            return _rejected(name, exc.reason)

    # -- stage 2: the library, serialized ------------------------------------------------------

    def commit(
        self, owner: str, stream_id: str, cand: _Candidate, options: ImportOptions
    ) -> ImportResult:
        """Store one prepared file: a group of one."""
        return self.commit_group(owner, stream_id, [cand], options)[0]

    def commit_group(
        self, owner: str, stream_id: str, cands: Sequence[_Candidate], options: ImportOptions
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
            for i in accepted:
                result = results[i]
                if result is None or result.status is not ImportStatus.IMPORTED:
                    self._discard_thumbnail(cands[i])
        return [r for r in results if r is not None]

    def _pre_check(
        self, stream_id: str, cands: Sequence[_Candidate], results: list[ImportResult | None]
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
                    results[i] = _rejected(
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
                    results[i] = _rejected(cand.source, reason)
            return []

    def _store_group(
        self,
        owner: str,
        stream_id: str,
        cands: Sequence[_Candidate],
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
                        self._put_thumbnail(cand)
                    now = self._clock()
                    rows = [  # a microsecond apart, so "oldest first" is the input order
                        self._row(
                            c.image_id, stream_id, c, options, now + timedelta(microseconds=k)
                        )
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
                        results[i] = _rejected(cand.source, reason or str(refused))
        except BaseException as exc:
            reason = _failure_reason(exc)
            if reason is None:
                raise
            for i in accepted:
                results[i] = _rejected(cands[i].source, reason)

    def _put_blobs(self, group: Sequence[_Candidate], visibility: Visibility) -> list[bool]:
        """The group's originals, durable on return; one "newly written" flag each.

        A blob store with put_many() (the local one) writes and fsyncs them together; one
        without it (the team's S3 store) is called once per file, and what that group wrote
        is removed again if one of them fails, so the group stays all or nothing.
        """
        items = [(c.data, c.sha256, c.analysis.format) for c in group]
        put_many = getattr(self._blobs, "put_many", None)
        if put_many is not None:
            flags: list[bool] = put_many(items)
            return flags
        blobs: Any = self._blobs  # the same methods, each also taking the visibility
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

    def _row(
        self,
        image_id: str,
        stream_id: str,
        cand: _Candidate,
        options: ImportOptions,
        now: datetime,
    ) -> StreamImage:
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

    def _put_thumbnail(self, cand: _Candidate) -> None:
        """Cache the thumbnail made during analysis; a failure here only costs a regeneration."""
        key = RenditionKey(cand.image_id, "thumb", cand.sha256)
        try:
            self._disk_cache.put(key, cand.analysis.thumbnail)
        except (OSError, sqlite3.Error, StreamImagesError) as exc:
            log.warning("thumbnail of %s not cached: %s", cand.image_id, exc)

    def _discard_thumbnail(self, cand: _Candidate) -> None:
        """Drop the cached thumbnail of a file that got no row. Never raises: what cannot be
        removed now (the disk is full) the orphan collector removes later."""
        try:
            self._disk_cache.discard_image(cand.image_id)
        except Exception as exc:
            log.info("could not discard the thumbnail of failed import %s: %s", cand.image_id, exc)

    def _undo_blob(self, cand: _Candidate, blob_new: bool, visibility: Visibility) -> None:
        """Remove the blob a refused or failed file wrote, if no row uses it. Never raises."""
        if not blob_new:
            return
        try:
            if not self._store.sha_in_use(cand.sha256, visibility):
                self._blobs.remove(cand.sha256, cand.analysis.format, visibility)
        except Exception as exc:
            log.info("could not remove the blob of failed import %s: %s", cand.image_id, exc)

    # -- the two entry points ----------------------------------------------------------------

    def import_bytes(
        self, owner: str, stream_id: str, data: bytes, name: str, options: ImportOptions
    ) -> ImportResult:
        prepared = self.prepare_bytes(data, name)
        if isinstance(prepared, ImportResult):
            return prepared
        return self.commit(owner, stream_id, prepared, options)

    def import_paths(
        self,
        owner: str,
        stream_id: str,
        paths: Sequence[Path],
        options: ImportOptions,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[ImportResult]:
        """One result per file, in input order, each given (to `progress` too) only once its
        group has committed. Cancel is checked between groups; files not committed when it is
        set get no result (the list is simply shorter than `total`)."""
        own = (self._settings.stream_images_dir, self._settings.image_cache_dir)
        items = expand_paths(paths, skip=own)
        total = len(items)
        results: list[ImportResult] = []
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="import") as pool:
            window = _Window(items, pool, self.prepare_path)
            try:
                while window:
                    if cancel is not None and cancel.is_set():
                        break
                    head = window.take_group()
                    window.fill()  # keep both workers busy while this group is committed
                    cands = [p for p in head if isinstance(p, _Candidate)]
                    committed = iter(self.commit_group(owner, stream_id, cands, options))
                    for prepared in head:
                        result = prepared if isinstance(prepared, ImportResult) else next(committed)
                        results.append(result)
                        if progress is not None:
                            progress(len(results), total, result)
            finally:
                window.abandon()
        return results


_Pending = Future[_Candidate | ImportResult] | ImportResult


class _Window:
    """Files being prepared ahead of the commits, in input order, bounded by count and bytes."""

    def __init__(
        self,
        items: Sequence[Path | ImportResult],
        pool: ThreadPoolExecutor,
        stage: Callable[[Path], _Candidate | ImportResult],
    ) -> None:
        self._todo = iter(items)
        self._pool = pool
        self._stage = stage
        self._ahead: deque[tuple[_Pending, int]] = deque()  # with its size on disk
        self._bytes = 0
        self.fill()

    def __bool__(self) -> bool:
        return bool(self._ahead)

    def fill(self) -> None:
        while len(self._ahead) < WINDOW_FILES and self._bytes < WINDOW_BYTES:
            item = next(self._todo, None)
            if item is None:
                return
            if isinstance(item, ImportResult):
                self._ahead.append((item, 0))
                continue
            size = _size_of(item)
            self._ahead.append((self._pool.submit(self._stage, item), size))
            self._bytes += size

    def take_group(self) -> list[_Candidate | ImportResult]:
        """The head (waited for), then every file after it already prepared, within bounds."""
        group: list[_Candidate | ImportResult] = []
        files = size = 0
        while self._ahead and files < GROUP_FILES and size < GROUP_BYTES:
            pending, on_disk = self._ahead[0]
            if group and isinstance(pending, Future) and not pending.done():
                break
            self._ahead.popleft()
            self._bytes -= on_disk
            prepared = pending if isinstance(pending, ImportResult) else pending.result()
            group.append(prepared)
            if isinstance(prepared, _Candidate):
                files += 1
                size += len(prepared.data)
        return group

    def abandon(self) -> None:
        """Cancel what has not started; what runs finishes when the pool shuts down (stage 1
        writes nothing, so nothing is left to undo)."""
        for pending, _size in self._ahead:
            if isinstance(pending, Future):
                pending.cancel()
        self._ahead.clear()


def _size_of(path: Path) -> int:
    """The file's size for the window's byte bound (0 when stat fails: stage 1 reports it)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
