"""Stage 1 of an import: one file checked, read, decoded (reduced) and hashed, on a worker.

It touches no library state, so it runs on several files at once while the serial group
commit (core.import_commit) stores earlier ones; everything that can refuse a file without
the library refuses it here. Pillow's decode and encode and hashlib release the GIL, so the
workers' threads really use the cores.
"""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from streamimages_desktop.core.blobs import Staged
from streamimages_desktop.core.errors import ImageRejected
from streamimages_desktop.core.import_results import ImportResult, read_reason, rejected
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.units import format_bytes

if TYPE_CHECKING:  # imaging loads Pillow: only the import itself needs it (not `list`)
    from streamimages_desktop.core.imaging import Analysis

log = logger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A file that passed every check that needs no library: ready to be stored."""

    source: str
    name: str
    data: bytes
    sha256: str
    analysis: Analysis
    image_id: str
    staged: Staged | None = None  # the original already in a temp file (see BlobStore.stage)
    thumb_cached: bool = False  # its thumbnail put in the disk cache ahead of the commit

    def discard_staged(self) -> None:
        """Remove the staged temp file unless put_many took it (safe to call again)."""
        if self.staged is not None:
            self.staged.discard()


def display_name(name: str) -> str:
    """A file name safe to store as text: undecodable bytes become U+FFFD (display only)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


Stage = Callable[[bytes, str, str], Staged | None]


def read_at_most(f: BinaryIO, expected: int, limit: int) -> bytes:
    """Up to `limit` bytes of `f`, asking first for the `expected` size (stat's) plus one byte,
    to see growth. f.read(limit) would allocate `limit` bytes for every file: 4 GB each at
    the largest MAX_IMAGE_UPLOAD_SIZE_MB, which a system without overcommit refuses."""
    data = f.read(min(expected + 1, limit))
    if len(data) <= expected or len(data) >= limit:
        return data
    return data + f.read(limit - len(data))  # it grew since stat: read on, up to the limit


class Preparer:
    """Stage 1 for files and pasted bytes; never raises for bad input (it returns a refusal).

    With `stage` (the local BlobStore.stage), prepare_path(..., stage=True) also copies the
    original into a temp file beside its blob, on the worker: that write then costs the
    serial commit nothing. The team's S3 store has no such step.
    """

    def __init__(self, settings: Settings, stage: Stage | None = None) -> None:
        self._settings = settings
        self._stage = stage

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
        if stat.S_ISDIR(info.st_mode) and os.path.islink(path):
            # Never walked (see import_walk), so link loops cannot trap an import: say so.
            raise ImageRejected("a link to a folder (links to folders are not followed)")
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
                data = read_at_most(f, info.st_size, self._settings.max_upload_bytes + 1)
            except OSError as exc:
                raise ImageRejected(read_reason(exc)) from None
        self._check_size(len(data))  # it may have grown or shrunk since stat
        return data

    def _candidate(self, source: str, name: str, data: bytes, stage: bool = False) -> Candidate:
        from streamimages_desktop.core import imaging  # Pillow, only once a file is imported

        analysis = imaging.analyze(data, self._settings.image_max_pixels)
        digest = hashlib.sha256(data).hexdigest()
        staged = self._staged(data, digest, analysis.format) if stage else None
        return Candidate(source, name, data, digest, analysis, uuid.uuid4().hex, staged)

    def _staged(self, data: bytes, sha256: str, fmt: str) -> Staged | None:
        """The original written ahead, or None: a failure here (disk full) is left to the
        group commit, which writes the file again and refuses the group with one reason."""
        if self._stage is None:
            return None
        try:
            return self._stage(data, sha256, fmt)
        except OSError as exc:
            log.debug("original not staged ahead (the commit writes it): %s", exc)
            return None

    def prepare_path(self, path: Path, *, stage: bool = False) -> Candidate | ImportResult:
        """Stat checks, read, analyze, hash; with `stage`, the original written ahead too (the
        caller then hands the candidate to a commit or calls discard_staged)."""
        source = str(path)
        try:
            data = self._read(path)
            return self._candidate(source, display_name(path.name), data, stage)
        except ImageRejected as exc:
            return rejected(source, exc.reason)
        except Exception as exc:  # a bug or a Pillow surprise: one file never stops the batch
            log.exception("unexpected error while reading %r", source)
            return rejected(source, f"internal error ({type(exc).__name__})")

    def prepare_bytes(self, data: bytes, name: str) -> Candidate | ImportResult:
        """Pasted bytes; `name` (e.g. clipboard-2026-11-24-101500.png) is only a label."""
        name = display_name(Path(name).name) or "clipboard.png"
        try:
            self._check_name(name)
            self._check_size(len(data))
            return self._candidate(name, name, data)
        except ImageRejected as exc:
            return rejected(name, exc.reason)
