"""StreamImageManager: the facade the UI and CLI call; every read as a viewer, edits as owner.

The class is assembled from one module per idea: viewer_reads (reads, renditions), import_ops,
curation_ops (edits, trash, visibility, move/copy), audience_output (derivatives, export, OBS)
and adoption_ops (library transfer), over manager_state's shared state. This module keeps the
lifetime, the caches' figures, housekeeping and the check, and the names it has always offered.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from streamimages_desktop.core import access, housekeeping, paths
from streamimages_desktop.core.adoption_ops import AdoptionOps
from streamimages_desktop.core.audience_output import AudienceOutput
from streamimages_desktop.core.curation_ops import CurationOps
from streamimages_desktop.core.errors import StreamImagesError, UserError
from streamimages_desktop.core.housekeeping import ORPHAN_GRACE_SECONDS, OrphanReport
from streamimages_desktop.core.import_ops import ImportOps
from streamimages_desktop.core.library_backend import cache_dir_of, open_backend
from streamimages_desktop.core.library_location import LIBRARY_FILE as LIBRARY_FILE
from streamimages_desktop.core.library_location import location_of
from streamimages_desktop.core.manager_state import OnFirstUse, log
from streamimages_desktop.core.models import Role
from streamimages_desktop.core.record import Record
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.viewer_reads import MAX_THUMB_SIDE as MAX_THUMB_SIDE
from streamimages_desktop.core.viewer_reads import MIN_RENDITION_SIDE as MIN_RENDITION_SIDE
from streamimages_desktop.core.viewer_reads import RENDITION_SIZES as RENDITION_SIZES
from streamimages_desktop.core.viewer_reads import MadeRendition as MadeRendition
from streamimages_desktop.core.viewer_reads import rendition_side as rendition_side

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

    from streamimages_desktop.core import disk_cache, library_check

    # Annotations only: the memory cache belongs to the window (and brings the workbench's
    # policies), so a `list` does not import it.
    from streamimages_desktop.core.cache import CacheStats, MemoryCache
    from streamimages_desktop.core.derivatives import Derivative as Derivative
    from streamimages_desktop.core.disk_cache import DiskCache
    from streamimages_desktop.core.disk_cache import DiskCacheStats as DiskCacheStats
    from streamimages_desktop.core.export import ExportProgress as ExportProgress
    from streamimages_desktop.core.export import ExportResult as ExportResult

if not TYPE_CHECKING:
    disk_cache = OnFirstUse("disk_cache")
    library_check = OnFirstUse("library_check")

# Names this module has always offered, loaded on first use (PEP 562).
_FROM_ELSEWHERE: dict[str, tuple[str, str]] = {
    "Derivative": ("derivatives", "Derivative"),
    "DiskCacheStats": ("disk_cache", "DiskCacheStats"),
    "ExportResult": ("export", "ExportResult"),
    "ExportProgress": ("export", "ExportProgress"),
}


def __getattr__(name: str) -> Any:
    if name not in _FROM_ELSEWHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _FROM_ELSEWHERE[name]
    return getattr(importlib.import_module(f"streamimages_desktop.core.{module}"), attr)


def utc_now() -> datetime:
    return datetime.now(UTC)


class CacheReport(Record):
    """Both cache layers at one moment; `memory` is None while no window has attached one."""

    memory: CacheStats | None
    disk: DiskCacheStats


class StreamImageManager(AudienceOutput, CurationOps, ImportOps, AdoptionOps):
    """Library + originals + rendition cache behind one thread-safe object.

    The store keeps one connection per thread and the disk cache has its own lock; `_lock`
    serializes what spans several of them (an import's commit, a delete's row-then-blob), so a
    blob is never removed between another import writing it and inserting its row. Reads come
    from ViewerReads (through AudienceOutput), the rest from one mixin per idea.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        housekeeping_at_start: bool = True,
    ) -> None:
        """Open (or create) the library. With `housekeeping_at_start` the throttled orphan
        collection runs here (cheap: at most once an hour); the window passes False and runs
        collect_orphans() in the background when needs_housekeeping() says so.
        """
        self._settings = settings
        self._clock = clock
        self._lock = threading.RLock()
        self._warnings = []
        backend = open_backend(settings, clock())
        self._backend = backend
        self._warnings.extend(backend.warnings)
        self._root = backend.state_dir
        self._library_lock = backend.state_dir / housekeeping.LOCK_FILE
        self._blobs = backend.blobs
        self._store = backend.store
        self._memory_cache = None
        if housekeeping_at_start and not self._store.read_only and self.needs_housekeeping():
            try:
                self.collect_orphans(wait=None)
            except (OSError, StreamImagesError) as exc:  # tidying never stops a command
                log.info("housekeeping skipped: %s", exc)

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        self._backend.close()
        opened = self.__dict__.get("_disk_cache")
        if opened is not None:
            opened.close()

    def __enter__(self) -> StreamImageManager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def is_team_library(self) -> bool:
        return self._backend.is_team

    @property
    def highest_role(self) -> Role:
        """The highest role this login may look as: the owner on the local library; on a team
        library the role of the member's access level (the servers show them no more)."""
        level = getattr(self._store, "level", "all")
        return access.LEVEL_ROLE.get(level, Role.VIEWER)

    # -- caches --------------------------------------------------------------------------------

    def attach_memory_cache(self, cache: MemoryCache[Any] | None) -> None:
        """The window's memory cache (pixmaps), so cache_stats() and clear_cache() see both
        layers. Memory caches live in the process that draws; None detaches it."""
        self._memory_cache = cache

    def disk_cache_stats(self) -> DiskCacheStats:
        return self._disk_cache.stats()

    def open_rendition_cache(self) -> None:
        """Open the rendition cache now. It opens on first use (a `list` never needs it), so
        the window opens it on the worker that opens the library: else the first figure or
        warning the GUI thread asks for would open its index there."""
        self._disk_cache  # noqa: B018 (the cached_property is the opening)

    @property
    def cache_warning(self) -> str | None:
        """One sentence naming the cache folder when it cannot be used (work goes on uncached)."""
        return self._disk_cache.warning

    def clear_disk_cache(self) -> DiskCacheStats:
        """Delete every rendition file (each is made again on its next read); returns the
        figures from just before, so a caller can say what was removed. Safe on a worker."""
        before = self._disk_cache.stats()
        self._disk_cache.clear()
        return before

    def cache_stats(self) -> CacheReport:
        memory = None if self._memory_cache is None else self._memory_cache.stats()
        return CacheReport(memory, self._disk_cache.stats())

    def clear_cache(self, page: str | None = None, *, disk: bool = False) -> None:
        """Clear the attached memory cache (one page, or all), and with `disk` the renditions.

        Call it from the thread that owns the memory cache's values (the GUI thread for
        pixmaps); clear_disk_cache() alone may run anywhere.
        """
        if self._memory_cache is not None:
            self._memory_cache.clear(page)
        if disk:
            self._disk_cache.clear()

    @staticmethod
    def stored_disk_cache_stats(settings: Settings) -> DiskCacheStats | None:
        """The disk cache's figures without opening the library; None if it was never made.

        Reading figures creates nothing: a `cache stats` on a fresh machine leaves no folder.
        """
        if not (cache_dir_of(settings) / disk_cache.INDEX_NAME).exists():
            return None
        with disk_cache.DiskCache(
            cache_dir_of(settings), settings.disk_limit_bytes, settings.ttl_seconds
        ) as disk:
            return disk.stats()

    @staticmethod
    def disk_cache_unusable(settings: Settings) -> str | None:
        """Why the rendition cache folder cannot be used (a file in its place, read-only), or
        None; everything then works uncached, so this is a warning, never a refusal."""
        blocked = paths.in_the_way(cache_dir_of(settings))
        if blocked is None and not (cache_dir_of(settings) / disk_cache.INDEX_NAME).exists():
            return None  # never made: nothing to say, and nothing is created by asking
        with disk_cache.DiskCache(
            cache_dir_of(settings), settings.disk_limit_bytes, settings.ttl_seconds
        ) as disk:
            return disk.unusable_reason or blocked

    @property
    def startup_warnings(self) -> list[str]:
        """Things to tell the user once (e.g. a library folder others can read)."""
        return list(self._warnings)

    # -- housekeeping --------------------------------------------------------------------------

    def needs_housekeeping(self) -> bool:
        """Whether collect_orphans() has not run in this library for an hour."""
        return self._backend.may_housekeep and housekeeping.needs_housekeeping(self._root)

    def collect_orphans(
        self, grace_seconds: float = ORPHAN_GRACE_SECONDS, *, wait: float | None = 30.0
    ) -> OrphanReport:
        """Remove what crashes left: temp files of dead writers, originals no row uses and
        renditions of images with no row, all older than `grace_seconds`, under the library
        lock (skipped when `wait` is None and another process holds it). The trash older than
        IMAGE_TRASH_DAYS is purged first."""
        if not self._backend.may_housekeep:
            return OrphanReport(skipped=True)
        self.purge_expired_trash()
        report = housekeeping.collect_orphans(
            self._root, self._blobs, self._store, self._disk_cache, grace_seconds, wait=wait
        )
        if report.originals or report.renditions or report.temp_files:
            log.info("housekeeping: %s", report)
        return report

    @property
    def read_only(self) -> bool:
        """The library cannot be written: browsing works, every change is refused."""
        return self._store.read_only

    def check(self, *, full: bool = False) -> library_check.CheckReport:
        """`streamimages check` on this library (see core/library_check.py)."""
        return library_check.check(self._store.path, self._disk_cache, full=full)

    @staticmethod
    def check_library(
        settings: Settings, *, full: bool = False, repair: bool = False
    ) -> tuple[list[str], library_check.CheckReport, OrphanReport | None]:
        """Check (and with `repair`, first repair) the library without opening it as a
        manager would, which refuses a damaged one; then, on a sound library, collect what
        crashes left (orphan originals, renditions of images with no row, dead writers'
        temp files, older than the grace period). Returns the repair steps, the report and
        what the collection removed (None when the library could not be tidied)."""
        if location_of(settings).is_team:
            raise UserError(
                "check looks at a local library's files; a team library's database and"
                " storage are kept whole by their servers (push it to a local folder with"
                " `team pull` to check a copy)"
            )
        library = settings.stream_images_dir / LIBRARY_FILE
        try:
            cache: DiskCache | None = disk_cache.DiskCache(
                settings.image_cache_dir, settings.disk_limit_bytes, settings.ttl_seconds
            )
        except (OSError, StreamImagesError):
            cache = None  # the check says the renditions were not looked at, and goes on
        try:
            if repair:
                repaired = library_check.repair(library, cache, full=full)
                steps, report = list(repaired.steps), repaired.after
            else:
                steps, report = [], library_check.check(library, cache, full=full)
        finally:
            if cache is not None:
                cache.close()
        if report.read_only or report.damaged(library_check.DATABASE) or not library.exists():
            return steps, report, None
        with StreamImageManager(settings, housekeeping_at_start=False) as manager:
            return steps, report, manager.collect_orphans()

    # -- changes made elsewhere ----------------------------------------------------------------

    def wait_for_change(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for a change by another machine, then data_version().

        A team library's server says when anyone commits (core/team_changes.py), and a lost
        connection comes back as a change, so the caller re-reads what notifications it
        missed; the local library has no such news and answers at once (poll it instead).
        """
        feed = self._backend.change_feed()
        if feed is not None:
            feed.wait(timeout)
        return self.data_version()

    def data_version(self) -> int:
        """A number that changes whenever any connection (any process) commits to the library;
        the window polls it on a worker to notice changes made elsewhere."""
        return self._store.data_version()
