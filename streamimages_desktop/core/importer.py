"""Import files or pasted bytes into a stream: check, decode, hash, dedupe, store; all or none."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import stat
import threading
import uuid
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from streamimages_desktop.core import failures, imaging
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
from streamimages_desktop.core.errors import (
    DuplicateImage,
    ImageRejected,
    ProblemKind,
    StreamFull,
    StreamImagesError,
)
from streamimages_desktop.core.models import Stream, StreamImage, Visibility
from streamimages_desktop.core.process_lock import file_lock
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.store import Store
from streamimages_desktop.core.units import count_of, format_bytes

log = logging.getLogger(__name__)

WORKERS = 2  # read + hash + reduced decode run on both cores; Pillow and hashlib release the GIL
WINDOW = 4  # files prepared ahead of the (serial) commits: bounds memory to a few originals


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
    analysis: imaging.Analysis


def _rejected(source: str, reason: str) -> ImportResult:
    return ImportResult(ImportStatus.REJECTED, source, reason=reason)


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
        analysis = imaging.analyze(data, self._settings.image_max_pixels)
        return _Candidate(source, name, data, hashlib.sha256(data).hexdigest(), analysis)

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
        """Store one prepared file: blob, thumbnail, row. On any failure nothing stays behind."""
        fmt = cand.analysis.format
        with self._lock:
            try:
                existing = self._store.find_duplicate(stream_id, cand.sha256)
                if existing is not None:
                    return ImportResult(ImportStatus.DUPLICATE, cand.source, existing)
                limit = self._settings.max_stream_images_per_stream
                count = self._store.count_images(stream_id)
                if count >= limit:
                    raise StreamFull(
                        f"stream {stream_id} already holds {count_of(count, 'image')} "
                        f"(MAX_STREAM_IMAGES_PER_STREAM = {limit})"
                    )
            except ImageRejected as exc:
                return _rejected(cand.source, exc.reason)
            except StreamImagesError as exc:
                return _rejected(cand.source, str(exc))
            image_id = uuid.uuid4().hex
            blob_new = False
            try:
                # Shared: the orphan collector (exclusive) never sees the blob without its row.
                with self._shared_library_lock():
                    try:
                        blob_new = self._blobs.put(cand.data, cand.sha256, fmt, options.visibility)
                        self._put_thumbnail(image_id, cand)
                        now = self._clock()
                        self._store.insert_image(
                            self._row(image_id, stream_id, cand, options, now),
                            limit,
                            create_stream=Stream(stream_id, stream_id, owner, now),
                        )
                    except BaseException:
                        self._undo(image_id, cand, blob_new)
                        raise
            except BaseException as exc:
                if isinstance(exc, DuplicateImage):  # another importer won the race
                    return ImportResult(ImportStatus.DUPLICATE, cand.source, exc.image_id)
                if isinstance(exc, ImageRejected):
                    return _rejected(cand.source, exc.reason)
                if isinstance(exc, OSError):
                    return _rejected(cand.source, write_reason(exc))
                if isinstance(exc, StreamImagesError):
                    return _rejected(cand.source, str(exc))
                raise
        return ImportResult(ImportStatus.IMPORTED, cand.source, image_id)

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

    def _put_thumbnail(self, image_id: str, cand: _Candidate) -> None:
        """Cache the thumbnail made during analysis; a failure here only costs a regeneration."""
        key = RenditionKey(image_id, "thumb", cand.sha256)
        try:
            self._disk_cache.put(key, cand.analysis.thumbnail)
        except (OSError, sqlite3.Error, StreamImagesError) as exc:
            log.warning("thumbnail of %s not cached: %s", image_id, exc)

    def _undo(self, image_id: str, cand: _Candidate, blob_new: bool) -> None:
        """Remove what a failed commit wrote: its thumbnail, and its blob if no row uses it.

        Never raises: the caller reports the first failure in one line. What cannot be removed
        here (the disk is full, the folder is read-only) the orphan collector removes later, so
        it is logged at info level only.
        """
        try:
            self._disk_cache.discard_image(image_id)
        except Exception as exc:
            log.info("could not discard the thumbnail of failed import %s: %s", image_id, exc)
        if not blob_new:
            return
        try:
            if not self._store.sha_in_use(cand.sha256):
                self._blobs.remove(cand.sha256, cand.analysis.format)
        except Exception as exc:
            log.info("could not remove the blob of failed import %s: %s", image_id, exc)

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
        """One result per file, in input order. Cancel is checked between files; files not
        reached when it is set get no result (the list is simply shorter than `total`)."""
        own = (self._settings.stream_images_dir, self._settings.image_cache_dir)
        items = expand_paths(paths, skip=own)
        total = len(items)
        results: list[ImportResult] = []
        todo = iter(items)
        ahead: deque[Future[_Candidate | ImportResult] | ImportResult] = deque()
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="import") as pool:

            def fill() -> None:
                while len(ahead) < WINDOW:
                    item = next(todo, None)
                    if item is None:
                        return
                    ahead.append(
                        item
                        if isinstance(item, ImportResult)
                        else pool.submit(self.prepare_path, item)
                    )

            try:
                fill()
                while ahead:
                    if cancel is not None and cancel.is_set():
                        break
                    head = ahead.popleft()
                    prepared = head if isinstance(head, ImportResult) else head.result()
                    fill()  # keep both workers busy while this one is committed
                    if isinstance(prepared, ImportResult):
                        result = prepared
                    else:
                        result = self.commit(owner, stream_id, prepared, options)
                    results.append(result)
                    if progress is not None:
                        progress(len(results), total, result)
            finally:
                for pending in ahead:
                    if isinstance(pending, Future):
                        pending.cancel()
        return results
