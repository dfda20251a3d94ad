"""Import files or pasted bytes into a stream: check, decode, hash, dedupe, store; all or none.

The entry points and the pipeline that joins the two stages: files are prepared on worker
threads (core.import_prepare) in a bounded window (core.import_window) while the prepared
head of the window is stored as one group (core.import_commit). The result types live in
core.import_results and the folder walk in core.import_walk; both are re-exported here, the
one module the UI, the CLI and the manager import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from streamimages_desktop.core import import_window
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_cache import DiskCache
from streamimages_desktop.core.import_commit import GroupCommit
from streamimages_desktop.core.import_prepare import Candidate, Preparer, display_name
from streamimages_desktop.core.import_results import (
    ImportOptions,
    ImportResult,
    ImportStatus,
    ProgressCallback,
    read_reason,
    write_reason,
)
from streamimages_desktop.core.import_walk import expand_paths
from streamimages_desktop.core.models import StreamImage
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.store import Store

__all__ = [
    "ImportOptions",
    "ImportResult",
    "ImportStatus",
    "Importer",
    "ProgressCallback",
    "display_name",
    "expand_paths",
    "read_reason",
    "write_reason",
]

_Candidate = Candidate  # the name the group tests use


class Importer:
    """The write path of one library: prepares files in parallel and commits them in groups."""

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
        self._prepare = Preparer(settings, getattr(blobs, "stage", None))
        self._commit = GroupCommit(
            settings, store, blobs, disk_cache, clock, lock, library_lock=library_lock
        )

    def prepare_path(self, path: Path) -> Candidate | ImportResult:
        """Stage 1 for a file: stat checks, read, analyze, hash. Never raises for bad input."""
        return self._prepare.prepare_path(path)

    def _prepare_ahead(self, path: Path) -> Candidate | ImportResult:
        """Stage 1 on a worker, with the original staged and the thumbnail cached ahead, so
        the serial commit is left with the syncs and the rows; import_paths commits or drops
        every candidate this makes."""
        prepared = self._prepare.prepare_path(path, stage=True)
        if isinstance(prepared, ImportResult):
            return prepared
        return self._commit.cache_ahead(prepared)

    def prepare_bytes(self, data: bytes, name: str) -> Candidate | ImportResult:
        """Stage 1 for pasted bytes; `name` is only a label."""
        return self._prepare.prepare_bytes(data, name)

    def commit(
        self, owner: str, stream_id: str, cand: Candidate, options: ImportOptions
    ) -> ImportResult:
        """Store one prepared file: a group of one."""
        return self.commit_group(owner, stream_id, [cand], options)[0]

    def commit_group(
        self, owner: str, stream_id: str, cands: Sequence[Candidate], options: ImportOptions
    ) -> list[ImportResult]:
        """Stage 2: see GroupCommit.commit_group."""
        return self._commit.commit_group(owner, stream_id, cands, options)

    def _row(
        self,
        image_id: str,
        stream_id: str,
        cand: Candidate,
        options: ImportOptions,
        now: datetime,
    ) -> StreamImage:
        return self._commit.row(image_id, stream_id, cand, options, now)

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
        with ThreadPoolExecutor(import_window.WORKERS, thread_name_prefix="import") as pool:
            window = import_window.Window(items, pool, self._prepare_ahead, self._commit.drop)
            try:
                while window:
                    if cancel is not None and cancel.is_set():
                        break
                    head = window.take_group()
                    window.fill()  # keep both workers busy while this group is committed
                    cands = [p for p in head if isinstance(p, Candidate)]
                    committed = iter(self.commit_group(owner, stream_id, cands, options))
                    for prepared in head:
                        result = prepared if isinstance(prepared, ImportResult) else next(committed)
                        results.append(result)
                        if progress is not None:
                            progress(len(results), total, result)
            finally:
                window.abandon()
        return results
