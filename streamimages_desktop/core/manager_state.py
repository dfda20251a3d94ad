"""The state StreamImageManager's parts share, and the checks more than one of them makes.

The manager is one object built from mixins (reads, imports, curation, output, adoption), one
idea each; this base declares what they all see, so each part type-checks on its own."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path

from streamimages_desktop.core import failures
from streamimages_desktop.core.errors import AccessDenied, EnvironmentProblem, NotFound, ProblemKind
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.models import StreamImage
from streamimages_desktop.core.read_only import read_only_message
from streamimages_desktop.core.settings import Settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

    from streamimages_desktop.core import disk_cache
    from streamimages_desktop.core.cache import MemoryCache
    from streamimages_desktop.core.disk_cache import DiskCache
    from streamimages_desktop.core.library_backend import Backend
    from streamimages_desktop.core.store import Store


class OnFirstUse:
    """A core module imported when first used, not when the manager is: Pillow, the OBS
    client and the check cost a `list` or `stats` more than its query (issue 14). Thread-safe:
    importlib holds the import lock, and after the first use this is a dict lookup."""

    def __init__(self, name: str) -> None:
        self._name = f"streamimages_desktop.core.{name}"

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if not TYPE_CHECKING:
    disk_cache = OnFirstUse("disk_cache")

# Every part logs as the manager did before it was split, so a log reads as it always has.
log = logger("streamimages_desktop.core.manager")


def not_found(image_id: str) -> NotFound:
    """The same words for a missing image and one the role may not see, so nothing leaks."""
    return NotFound(f"no image {image_id}")


class ManagerState:
    """What StreamImageManager.__init__ sets, declared once for all its parts: the store keeps
    one connection per thread and the disk cache has its own lock; `_lock` serializes what
    spans several of them (an import's commit, a delete's row-then-blob)."""

    _settings: Settings
    _clock: Callable[[], datetime]
    _lock: threading.RLock
    _warnings: list[str]
    _backend: Backend
    _root: Path
    _library_lock: Path
    _blobs: Any  # BlobStore or S3BlobStore (core/library_backend.py)
    _store: Store
    _memory_cache: MemoryCache[Any] | None

    @cached_property
    def _disk_cache(self) -> DiskCache:
        """The rendition cache, opened on first use: `list`, `stats` and `streams` never touch
        it, and its index is a second SQLite file to open (issue 14). An unusable folder is a
        warning there (renditions are then made each time); a failure to open is one line."""
        cache_dir = self._backend.cache_dir
        try:
            return disk_cache.DiskCache(
                cache_dir, self._settings.disk_limit_bytes, self._settings.ttl_seconds
            )
        except OSError as exc:
            raise failures.from_os(exc, "cache folder", cache_dir) from None

    @property
    def library_name(self) -> str:
        """Which library is open, for the title and status bar ("local library /home/...",
        "team library ann@db.example:5432/streams"); never a password."""
        return self._backend.location.describe()

    @property
    def _limit(self) -> int:
        return self._settings.max_stream_images_per_stream

    def _require_writable(self) -> None:
        if self._store.read_only and self._backend.is_team:
            raise AccessDenied(
                f"your membership of the {self.library_name} does not allow changes"
                " (the team's owner can add you again with --can-edit)"
            )
        if self._store.read_only:
            raise EnvironmentProblem(read_only_message(self._store.path), ProblemKind.READ_ONLY)

    def _original_of(self, found: StreamImage) -> bytes:
        try:
            data: bytes = self._blobs.read(found.sha256, found.format, found.visibility)
            return data
        except FileNotFoundError:
            missing = f"the original of image {found.id} is missing from the library"
            raise NotFound(missing) from None
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot read the original of image {found.id}: {failures.os_reason(exc)}",
                failures.os_kind(exc),
            ) from None
