"""Imports into the library: files and folders, or pasted bytes, as the owner.

The import code (hashing, decoding, a worker pool) loads on the first import, never for a
read command (issue 14); core/importer.py does the work under the manager's locks."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from streamimages_desktop.core import access
from streamimages_desktop.core.manager_state import ManagerState
from streamimages_desktop.core.models import Viewer, validate_stream_id

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from streamimages_desktop.core.importer import (
        Importer,
        ImportOptions,
        ImportResult,
        ProgressCallback,
    )


def _default_options() -> ImportOptions:
    from streamimages_desktop.core.importer import ImportOptions

    return ImportOptions()


class ImportOps(ManagerState):
    """The owner's imports; each checks the role and a writable library before any file."""

    @cached_property
    def _importer(self) -> Importer:
        """Made on the first import, so a `list` or `stats` never loads the import code (its
        hashing and worker pool cost a read command more than its query, issue 14)."""
        from streamimages_desktop.core.importer import Importer

        return Importer(
            self._settings,
            self._store,
            self._blobs,
            self._disk_cache,
            self._clock,
            self._lock,
            library_lock=self._library_lock,
        )

    def import_paths(
        self,
        viewer: Viewer,
        stream_id: str,
        paths: Sequence[Path],
        options: ImportOptions | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[ImportResult]:
        """One result per file (folders walked recursively, sorted), in input order.

        The stream is created on the first file stored. Cancel is checked between files; the
        files not reached get no result, so the list is shorter than the progress total.
        """
        access.require_edit(viewer)
        self._require_writable()
        validate_stream_id(stream_id)
        return self._importer.import_paths(
            viewer.user_id, stream_id, paths, options or _default_options(), progress, cancel
        )

    def import_bytes(
        self,
        viewer: Viewer,
        stream_id: str,
        data: bytes,
        name: str,
        options: ImportOptions | None = None,
    ) -> ImportResult:
        """Import pasted bytes; `name` (e.g. clipboard-2026-11-24-101500.png) is only a label."""
        access.require_edit(viewer)
        self._require_writable()
        validate_stream_id(stream_id)
        return self._importer.import_bytes(
            viewer.user_id, stream_id, data, name, options or _default_options()
        )
