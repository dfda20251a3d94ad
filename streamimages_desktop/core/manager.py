"""StreamImageManager: the facade the UI and CLI call; every read as a viewer, edits as owner."""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from streamimages_desktop.core import (
    access,
    adoption,
    failures,
    housekeeping,
    paths,
    trash,
)
from streamimages_desktop.core.errors import (
    AccessDenied,
    EnvironmentProblem,
    NotFound,
    ProblemKind,
    StreamImagesError,
    UserError,
)
from streamimages_desktop.core.housekeeping import ORPHAN_GRACE_SECONDS, OrphanReport
from streamimages_desktop.core.library_backend import cache_dir_of, open_backend
from streamimages_desktop.core.library_location import LIBRARY_FILE, location_of
from streamimages_desktop.core.models import (
    OWNER,
    Placed,
    Role,
    Sort,
    Stats,
    Stream,
    StreamImage,
    StreamSummary,
    TrashedImage,
    Viewer,
    Visibility,
    validate_stream_id,
)
from streamimages_desktop.core.process_lock import file_lock
from streamimages_desktop.core.read_only import read_only_message
from streamimages_desktop.core.settings import Settings

if TYPE_CHECKING:
    from PIL import Image

    from streamimages_desktop.core import (
        derivatives,
        disk_cache,
        imaging,
        library_check,
        obs_folder,
        obs_websocket,
    )
    from streamimages_desktop.core import export as exporting

    # Annotations only: the memory cache belongs to the window (and brings the workbench's
    # policies), so a `list` does not import it.
    from streamimages_desktop.core.cache import CacheStats, MemoryCache
    from streamimages_desktop.core.derivatives import Derivative as Derivative
    from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
    from streamimages_desktop.core.disk_cache import DiskCacheStats as DiskCacheStats
    from streamimages_desktop.core.export import ExportProgress
    from streamimages_desktop.core.export import ExportResult as ExportResult
    from streamimages_desktop.core.importer import (
        Importer,
        ImportOptions,
        ImportResult,
        ProgressCallback,
    )


class _OnFirstUse:
    """A core module imported when first used, not when the manager is: Pillow, the OBS
    client and the check cost a `list` or `stats` more than its query (issue 14). Thread-safe:
    importlib holds the import lock, and after the first use this is a dict lookup."""

    def __init__(self, name: str) -> None:
        self._name = f"streamimages_desktop.core.{name}"

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if not TYPE_CHECKING:
    derivatives = _OnFirstUse("derivatives")
    disk_cache = _OnFirstUse("disk_cache")
    exporting = _OnFirstUse("export")
    imaging = _OnFirstUse("imaging")
    library_check = _OnFirstUse("library_check")
    obs_folder = _OnFirstUse("obs_folder")
    obs_websocket = _OnFirstUse("obs_websocket")

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


log = logging.getLogger(__name__)

# imaging.THUMB_SIZE and imaging.DISPLAY_SIZE (a test keeps them equal), without loading Pillow.
RENDITION_SIZES: dict[str, int] = {"thumb": 200, "display": 1600}
MIN_RENDITION_SIDE = 64
MAX_THUMB_SIDE = 1024  # the largest tile (320 px) on a 3x screen


def rendition_side(rendition: str, max_side: int) -> int:
    """The longest side of a rendition: a named one, or a size-keyed "thumb@400"/"display@2048".

    Thumbnails run from MIN_RENDITION_SIDE to MAX_THUMB_SIDE and display renditions up to
    `max_side` (VIEWER_DISPLAY_MAX_PX), so no caller makes the cache hold larger ones.
    """
    name, at, side = rendition.partition("@")
    if not at and name in RENDITION_SIZES:
        return RENDITION_SIZES[name]
    top = MAX_THUMB_SIDE if name == "thumb" else max_side
    sized = at and name in RENDITION_SIZES and side.isdigit() and not side.startswith("0")
    if sized and MIN_RENDITION_SIDE <= int(side) <= top:
        return int(side)
    raise ValueError(
        f"unknown rendition {rendition!r}: use one of {sorted(RENDITION_SIZES)},"
        f" or one of them @{MIN_RENDITION_SIDE}..{top} pixels"
    )


@dataclass(frozen=True)
class MadeRendition:
    """A rendition's pixels (L or RGB, from its side to under twice it) made from the original;
    `store()` fits and encodes them as JPEG, puts that in the disk cache and returns it."""

    pixels: Image.Image
    store: Callable[[], bytes]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CacheReport:
    """Both cache layers at one moment; `memory` is None while no window has attached one."""

    memory: CacheStats | None
    disk: DiskCacheStats


def _sha256_hex(data: bytes) -> str:
    import hashlib  # here: OpenSSL's load is paid only by what hashes (issue 14)

    return hashlib.sha256(data).hexdigest()


def _default_options() -> ImportOptions:
    from streamimages_desktop.core.importer import ImportOptions

    return ImportOptions()


def _not_found(image_id: str) -> NotFound:
    """The same words for a missing image and one the role may not see, so nothing leaks."""
    return NotFound(f"no image {image_id}")


class StreamImageManager:
    """Library + originals + rendition cache behind one thread-safe object.

    The store keeps one connection per thread and the disk cache has its own lock; `_lock`
    serializes what spans several of them (an import's commit, a delete's row-then-blob), so a
    blob is never removed between another import writing it and inserting its row.
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
        self._warnings: list[str] = []
        backend = open_backend(settings, clock())
        self._backend = backend
        self._warnings.extend(backend.warnings)
        self._root = backend.state_dir
        self._library_lock = backend.state_dir / housekeeping.LOCK_FILE
        self._blobs = backend.blobs
        self._store = backend.store
        self._memory_cache: MemoryCache[Any] | None = None
        if housekeeping_at_start and not self._store.read_only and self.needs_housekeeping():
            try:
                self.collect_orphans(wait=None)
            except (OSError, StreamImagesError) as exc:  # tidying never stops a command
                log.info("housekeeping skipped: %s", exc)

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
    def library_name(self) -> str:
        """Which library is open, for the title and status bar ("local library /home/...",
        "team library ann@db.example:5432/streams"); never a password."""
        return self._backend.location.describe()

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

    def _require_writable(self) -> None:
        if self._store.read_only and self._backend.is_team:
            raise AccessDenied(
                f"your membership of the {self.library_name} does not allow changes"
                " (the team's owner can add you again with --can-edit)"
            )
        if self._store.read_only:
            raise EnvironmentProblem(read_only_message(self._store.path), ProblemKind.READ_ONLY)

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

    # -- streams -------------------------------------------------------------------------------

    def create_stream(
        self,
        viewer: Viewer,
        stream_id: str,
        title: str | None = None,
        created: datetime | None = None,
    ) -> Stream:
        """A new empty stream; `created` (a redo) gives it the time it had before."""
        access.require_edit(viewer)
        self._require_writable()
        stream = Stream(
            validate_stream_id(stream_id),
            title or stream_id,
            viewer.user_id,
            created or self._clock(),
        )
        self._store.create_stream(stream)
        return stream

    def streams(self, viewer: Viewer) -> list[StreamSummary]:
        return self._store.list_streams(viewer)

    def stream_exists(self, stream_id: str) -> bool:
        """Whether the stream exists (names are not secret; images are): one key lookup,
        where streams() counts every stream's images."""
        return self._store.get_stream(stream_id) is not None

    def rename_stream(self, viewer: Viewer, stream_id: str, title: str) -> str:
        """Returns the title before (what an undo needs)."""
        access.require_edit(viewer)
        self._require_writable()
        before = {s.stream.id: s.stream.title for s in self._store.list_streams(viewer)}
        if stream_id not in before:
            raise NotFound(f"no stream {stream_id}")
        self._store.rename_stream(stream_id, title)
        return before[stream_id]

    def delete_stream(self, viewer: Viewer, stream_id: str) -> list[str]:
        """Move the stream and its images to the trash; returns the ids trashed with it."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            ids = trash.trash_stream(self._store, stream_id, self._clock())
        self._discard_renditions(ids)
        return ids

    def restore_stream(self, viewer: Viewer, stream_id: str, image_ids: Sequence[str]) -> None:
        """Undo of delete_stream: the stream and those images back, all or none."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            trash.restore_stream(self._store, stream_id, image_ids, self._limit)

    def remove_empty_stream(self, viewer: Viewer, stream_id: str) -> None:
        """Undo of create_stream; refused once the stream holds anything."""
        access.require_edit(viewer)
        self._require_writable()
        trash.remove_empty_stream(self._store, stream_id)

    # -- imports -------------------------------------------------------------------------------

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

    # -- reads as a viewer ---------------------------------------------------------------------

    def images(
        self,
        viewer: Viewer,
        stream_id: str | None = None,
        search: str | None = None,
        sort: Sort = Sort.NEWEST,
    ) -> list[StreamImage]:
        return self._store.list_images(viewer, stream_id, search, sort)

    def count(self, viewer: Viewer, stream_id: str | None = None, search: str | None = None) -> int:
        return self._store.count_visible(viewer, stream_id, search)

    def image_page(
        self,
        viewer: Viewer,
        stream_id: str | None,
        search: str | None,
        sort: Sort,
        offset: int,
        limit: int,
    ) -> list[StreamImage]:
        """`limit` rows of images() from `offset` on: the grid reads a long stream by pages."""
        return self._store.list_images(viewer, stream_id, search, sort, limit, offset)

    def image_keys(
        self,
        viewer: Viewer,
        stream_id: str | None = None,
        search: str | None = None,
        sort: Sort = Sort.NEWEST,
    ) -> tuple[list[str], list[Visibility]]:
        """The ids and visibilities of every image images() would return, in its order."""
        ids, values = self._store.list_image_keys(viewer, stream_id, search, sort)
        by_value = {v.value: v for v in Visibility}
        return ids, [by_value[v] for v in values]

    def images_by_id(self, viewer: Viewer, image_ids: Sequence[str]) -> list[StreamImage]:
        """Those of `image_ids` that `viewer` may see (the grid's page of known ids)."""
        return self._store.get_images(viewer, image_ids)

    def image(self, viewer: Viewer, image_id: str) -> StreamImage:
        found = self._store.get_image(viewer, image_id)
        if found is None:
            raise _not_found(image_id)
        return found

    def open_image(self, viewer: Viewer, image_id: str) -> StreamImage:
        """Like image(); a subscriber or viewer opening it counts one view, the owner does not."""
        found = self.image(viewer, image_id)
        if not access.counts_views(viewer) or self._store.read_only:  # no count, still shown
            return found
        now = self._clock()
        try:
            self._store.record_view(image_id, now)
        except NotFound:
            raise _not_found(image_id) from None
        return replace(found, views=found.views + 1, last_accessed=now)

    def rendition(self, viewer: Viewer, image_id: str, rendition: str = "thumb") -> bytes:
        """JPEG bytes: access is checked before any cache is asked; a miss is regenerated.

        `rendition` is "thumb", "display" or a size-keyed one ("thumb@400", "display@2048").
        """
        key, found, cached = self._cached(viewer, image_id, rendition)
        if cached is not None:
            return cached
        data = imaging.render(self._original_of(found), rendition_side(rendition, self._top))
        return self._put_rendition(key, data)

    def rendition_or_pixels(
        self, viewer: Viewer, image_id: str, rendition: str
    ) -> bytes | MadeRendition:
        """The cached JPEG of a rendition, or on a miss its pixels made just now.

        The viewer paints a cold image from the pixels (scaled) and calls `store()` afterwards,
        so resampling, the JPEG encode and the cache write are not between the key press and
        the picture.
        """
        key, found, cached = self._cached(viewer, image_id, rendition)
        if cached is not None:
            return cached
        size = rendition_side(rendition, self._top)
        pixels = imaging.preview_pixels(self._original_of(found), size)
        return MadeRendition(pixels, partial(self._store_rendition, key, pixels, size))

    @property
    def _top(self) -> int:
        return self._settings.viewer_display_max_px

    def _cached(
        self, viewer: Viewer, image_id: str, rendition: str
    ) -> tuple[RenditionKey, StreamImage, bytes | None]:
        """The key, the row (access checked first) and the cached bytes or None."""
        rendition_side(rendition, self._top)  # an unknown rendition is refused before any read
        found = self.image(viewer, image_id)
        key = disk_cache.RenditionKey(found.id, rendition, found.sha256)
        return key, found, self._disk_cache.get(key)

    def _store_rendition(self, key: RenditionKey, pixels: Image.Image, size: int) -> bytes:
        return self._put_rendition(key, imaging.finish_rendition(pixels, size))

    def _put_rendition(self, key: RenditionKey, data: bytes) -> bytes:
        try:
            self._disk_cache.put(key, data)
        except (OSError, StreamImagesError) as exc:  # still return it; next time regenerates
            log.warning("rendition %s of %s not cached: %s", key.rendition, key.image_id, exc)
        return data

    def original(self, viewer: Viewer, image_id: str) -> bytes:
        """The stored original's bytes (the viewer plays animated GIF and WebP from them)."""
        return self._original_of(self.image(viewer, image_id))

    def exif_summary(self, viewer: Viewer, image_id: str) -> list[tuple[str, str]]:
        """Camera, date taken, exposure and the like; only the owner may read metadata."""
        access.require_edit(viewer)
        return imaging.exif_summary(self._original_of(self.image(viewer, image_id)))

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

    def stats(self, viewer: Viewer, stream_id: str | None = None) -> Stats:
        return self._store.stats(viewer, stream_id)

    # -- edits ---------------------------------------------------------------------------------

    def update_image(
        self,
        viewer: Viewer,
        image_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        visibility: Visibility | str | None = None,
        expected_version: int | None = None,
    ) -> StreamImage:
        """Change the given fields. With `expected_version` (the version the edit was based
        on) a row someone changed meanwhile refuses with StaleEdit and nothing is written."""
        access.require_edit(viewer)
        self._require_writable()
        if title is not None and not title.strip():
            raise StreamImagesError("a title cannot be empty")
        wanted = None if visibility is None else Visibility(visibility)
        with self._originals_follow({image_id: wanted} if wanted is not None else {}):
            return self._store.update_image(
                image_id,
                now=self._clock(),
                title=None if title is None else title.strip(),
                description=description,
                visibility=wanted,
                expected_version=expected_version,
            )

    def delete_images(self, viewer: Viewer, image_ids: Iterable[str]) -> list[str]:
        """Move the images to the trash (nothing leaves the disk); returns the ids trashed,
        missing or already trashed ones skipped."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            ids = trash.trash_images(self._store, image_ids, self._clock())
        self._discard_renditions(ids)
        return ids

    def trash(self, viewer: Viewer) -> list[TrashedImage]:
        """The owner's Trash view (every other role is refused)."""
        access.require_edit(viewer)
        return trash.trashed(self._store)

    def restore_images(self, viewer: Viewer, image_ids: Sequence[str]) -> None:
        """Bring these images back from the trash, all or none: same id, stream and fields;
        a deleted stream comes back with them. A full stream or a duplicate refuses."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            trash.restore(self._store, image_ids, self._limit)

    def empty_trash(self, viewer: Viewer, older_than_days: float | None = None) -> list[str]:
        """Purge trashed images (those trashed more than `older_than_days` ago, or all):
        each row goes first, then its renditions and, when no row uses the bytes, the original."""
        access.require_edit(viewer)
        self._require_writable()
        before = (
            None if older_than_days is None else self._clock() - timedelta(days=older_than_days)
        )
        purged: list[str] = []
        with self._lock:
            for row in trash.expired(self._store, before):
                if self._store.delete_image(row.id) is not None:
                    self._forget(row)
                    purged.append(row.id)
            trash.drop_empty_trashed_streams(self._store)
        return purged

    def purge_expired_trash(self) -> list[str]:
        """The automatic purge: what has been in the trash longer than IMAGE_TRASH_DAYS."""
        if self._store.read_only:
            return []
        return self.empty_trash(OWNER, self._settings.image_trash_days)

    def set_visibility(
        self, viewer: Viewer, wanted: Mapping[str, Visibility]
    ) -> dict[str, Visibility]:
        """Give each image its visibility, all or none; returns the visibilities before, so
        set_visibility(viewer, returned) undoes it exactly."""
        access.require_edit(viewer)
        self._require_writable()
        with self._originals_follow(wanted):
            return trash.set_visibilities(self._store, wanted, self._clock())

    @contextlib.contextmanager
    def _originals_follow(self, wanted: Mapping[str, Visibility]) -> Iterator[None]:
        """Where each visibility keeps its own folder of originals (a team library's storage,
        whose keys a member may read only up to their level), a visibility change moves the
        object: copied to the new folder before the row commits, so no row ever points at a
        missing object, and removed from the old one after, once no row there uses it. A
        crash in between leaves only a spare copy, which the orphan collector removes."""
        if not self._backend.is_team or not wanted:
            yield
            return
        found = (self._store.get_image(OWNER, image_id) for image_id in wanted)
        rows = [row for row in found if row is not None]
        moving = [(r, Visibility(wanted[r.id])) for r in rows if r.visibility != wanted[r.id]]
        for row, new in moving:
            data = self._original_of(row)
            self._blobs.put(data, row.sha256, row.format, new)
        try:
            yield
        except BaseException:
            for row, new in moving:
                self._drop_spare_original(row.sha256, row.format, new)
            raise
        for row, _new in moving:
            self._drop_spare_original(row.sha256, row.format, row.visibility)

    def _drop_spare_original(self, sha256: str, fmt: str, visibility: Visibility) -> None:
        """Remove the copy of these bytes in `visibility`'s folder unless a row there uses it;
        never raises (what stays is an orphan the collector removes later)."""
        try:
            with file_lock(self._library_lock):
                if not self._store.sha_in_use(sha256, visibility):
                    self._blobs.remove(sha256, fmt, visibility)
        except (OSError, StreamImagesError) as exc:
            log.info("spare original %s (%s) not removed: %s", sha256, visibility, exc)

    def move_images(self, viewer: Viewer, image_ids: Sequence[str], target: str) -> list[Placed]:
        """Move each image to stream `target` (its limit and duplicates checked per image)."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            return trash.move(self._store, image_ids, target, self._limit)

    def replay_move(self, viewer: Viewer, placed: Sequence[Placed], *, forward: bool) -> None:
        """Undo (forward=False) or redo a move exactly, all or none."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            trash.move_back(self._store, [p for p in placed if p.ok], self._limit, forward=forward)

    def copy_images(
        self,
        viewer: Viewer,
        image_ids: Sequence[str],
        target: str,
        new_ids: Mapping[str, str] | None = None,
    ) -> list[Placed]:
        """Copy each image to `target` as a new row sharing the original on disk."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            return trash.copy(self._store, image_ids, target, self._limit, self._clock(), new_ids)

    def uncopy(self, viewer: Viewer, new_ids: Sequence[str]) -> None:
        """Undo of a copy: the copies' rows go for good (all or none); the shared original
        stays while another row uses it."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            for row in trash.take_rows(self._store, new_ids):
                self._forget(row)

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

    @property
    def _limit(self) -> int:
        return self._settings.max_stream_images_per_stream

    def _discard_renditions(self, image_ids: Iterable[str]) -> None:
        """A trashed image's renditions leave the disk cache, so no cache can serve it."""
        for image_id in image_ids:
            try:
                self._disk_cache.discard_image(image_id)
            except (OSError, StreamImagesError) as exc:
                log.warning("renditions of trashed image %s not removed: %s", image_id, exc)

    def _forget(self, row: StreamImage) -> None:
        """Files of a deleted row; a failure leaves an orphan file, never a row without data."""
        try:
            # Exclusive: no import elsewhere is between reusing this blob and inserting its row.
            with file_lock(self._library_lock):
                if not self._store.sha_in_use(row.sha256, row.visibility):
                    self._blobs.remove(row.sha256, row.format, row.visibility)
        except (OSError, StreamImagesError) as exc:
            log.warning("blob %s of deleted image %s not removed: %s", row.sha256, row.id, exc)
        try:
            self._disk_cache.discard_image(row.id)
        except (OSError, StreamImagesError) as exc:
            log.warning("renditions of deleted image %s not removed: %s", row.id, exc)

    # -- what leaves the library: derivatives, export, the OBS hand-off ------------------------

    def derivative(self, viewer: Viewer, image_id: str) -> Derivative:
        """A clean derivative (re-encoded, upright, sRGB, no metadata) of an image `viewer` may
        see; a hidden image is the same NotFound as a missing one."""
        return self._derivative_of(self.image(viewer, image_id))

    def _derivative_of(self, found: StreamImage) -> Derivative:
        return derivatives.make(self._original_of(found), self._settings.export_jpeg_quality)

    def _require_stream(self, stream_id: str) -> None:
        """Stream names are not secret (images are): an unknown one is named."""
        if all(s.stream.id != stream_id for s in self._store.list_streams(OWNER)):
            raise NotFound(f"no stream {stream_id}")

    def export_selection(
        self,
        viewer: Viewer,
        *,
        image_ids: Sequence[str] | None = None,
        stream_id: str | None = None,
    ) -> list[StreamImage]:
        """The images an export takes: the ids `viewer` may see (others left out without a
        word), a stream's visible images in grid order, or with neither everything it sees."""
        if image_ids is not None:
            found = [self._store.get_image(viewer, image_id) for image_id in image_ids]
            unique = {image.id: image for image in found if image is not None}
            return list(unique.values())
        if stream_id is not None:
            self._require_stream(stream_id)
        return self.images(viewer, stream_id)

    def export(
        self,
        viewer: Viewer,
        target: Path,
        images: Sequence[StreamImage],
        *,
        as_zip: bool = False,
        manifest: bool = False,
        progress: ExportProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportResult:
        """Clean derivatives of `images` (each checked again against `viewer`) to a folder or
        a zip, with an optional manifest of what `viewer` may see; all or nothing."""
        rows = (self._store.get_image(viewer, image.id) for image in images)
        visible = [row for row in rows if row is not None]  # as they are now, for this role
        return exporting.export_images(
            visible,
            self._derivative_of,
            target,
            as_zip=as_zip,
            manifest=manifest,
            progress=progress,
            cancel=cancel,
        )

    @staticmethod
    def _require_audience(viewer: Viewer) -> None:
        if viewer.role is Role.OWNER:
            raise UserError("only an audience's images go on stream: use viewer or subscriber")

    def slideshow_images(self, viewer: Viewer, stream_id: str) -> list[StreamImage]:
        """A stream's images the audience `viewer` may see, in grid order."""
        self._require_audience(viewer)
        self._require_stream(stream_id)
        return self.images(viewer, stream_id)

    def show_in_folder(self, viewer: Viewer, image_id: str, folder: Path) -> Path:
        """Show on stream through a folder: `current.<ext>` is replaced atomically."""
        self._require_audience(viewer)
        return obs_folder.show(folder, image_id, self.derivative(viewer, image_id))

    def slideshow_to_folder(self, viewer: Viewer, stream_id: str, folder: Path) -> list[Path]:
        """Rewrite a slideshow folder with the stream's images the audience may see."""
        slides = [(i.id, self._derivative_of(i)) for i in self.slideshow_images(viewer, stream_id)]
        return obs_folder.slideshow(folder, slides)

    @property
    def obs_files_dir(self) -> Path:
        """Where files handed to OBS over its WebSocket are written (versioned, complete)."""
        return self._root / "obs"

    def show_on_obs(self, viewer: Viewer, image_id: str, input_name: str) -> Path:
        """Write a new versioned file, then point the OBS input at it (obs-websocket v5)."""
        self._require_audience(viewer)
        derivative = self.derivative(viewer, image_id)
        with obs_websocket.ObsConnection(
            self._settings.obs_websocket_url, self._obs_password
        ) as obs:
            obs.input_settings(input_name)  # an unknown input is named before a file is made
            path = obs_folder.write_versioned(self.obs_files_dir, image_id, derivative)
            obs.show(input_name, path)
        return path

    def slideshow_on_obs(self, viewer: Viewer, stream_id: str, input_name: str) -> list[Path]:
        """Rewrite the slideshow files, then re-apply the input's `files` (obs-websocket v5)."""
        images = self.slideshow_images(viewer, stream_id)
        folder = self.obs_files_dir / f"slideshow-{stream_id}"
        with obs_websocket.ObsConnection(
            self._settings.obs_websocket_url, self._obs_password
        ) as obs:
            obs.input_settings(input_name)
            paths = obs_folder.slideshow(folder, [(i.id, self._derivative_of(i)) for i in images])
            obs.slideshow(input_name, paths)
        return paths

    def step_obs_slideshow(self, input_name: str, forward: bool = True) -> None:
        """Next or Previous on an OBS slideshow input."""
        with obs_websocket.ObsConnection(
            self._settings.obs_websocket_url, self._obs_password
        ) as obs:
            obs.step(input_name, forward)

    @property
    def _obs_password(self) -> str:
        return self._settings.obs_websocket_password

    # -- a whole library from one manager to another (core/library_transfer.py) ----------------

    def stream_records(self, viewer: Viewer) -> list[tuple[Stream, datetime | None]]:
        """Every stream by id, trashed ones too, with when it was trashed (None: live).
        Like the trash, the owner's alone."""
        access.require_edit(viewer)
        return adoption.stream_records(self._store)

    def image_records(self, viewer: Viewer) -> list[tuple[StreamImage, datetime | None]]:
        """Every row in the order added, trashed ones too, with when it was trashed (None:
        live): what a copy of the whole library takes. The owner's alone."""
        access.require_edit(viewer)
        return adoption.image_records(self._store)

    def stored_original(self, viewer: Viewer, image_id: str) -> bytes:
        """The original of any row, one in the trash too (owner only); NotFound when the row or
        its file is missing. The caller checks the bytes against the row's SHA-256."""
        access.require_edit(viewer)
        found = adoption.record(self._store, image_id)
        if found is None:
            raise _not_found(image_id)
        return self._original_of(found)

    def adopt_stream(self, viewer: Viewer, stream: Stream, trashed: datetime | None = None) -> bool:
        """Create a stream from another library as it stands (id, title, owner, created; in the
        trash when `trashed`); False when a stream of that id is here already (left as it is)."""
        access.require_edit(viewer)
        self._require_writable()
        return adoption.adopt_stream(self._store, stream, trashed)

    def adopt_image(
        self, viewer: Viewer, image: StreamImage, data: bytes, trashed: datetime | None = None
    ) -> bool:
        """Put a row from another library here as it stands, in the trash when `trashed`: its
        original is written first, then the row commits with the duplicate and limit checks
        (StreamFull when its stream is full). False when it is already here (its id, or its
        bytes in its stream in the same state). Any failure leaves no row and no new file."""
        access.require_edit(viewer)
        self._require_writable()
        if len(data) != image.bytes or _sha256_hex(data) != image.sha256:
            raise UserError(f"the bytes given for image {image.id} do not match its SHA-256")
        if image.format not in imaging.EXTENSION_FOR_FORMAT:
            raise UserError(f"image {image.id} has an unknown format {image.format!r}")
        with self._lock:
            if adoption.is_there(self._store, image, trashed is not None):
                return False  # nothing written: a rerun costs one query per image
            # Shared: the orphan collector (exclusive) never sees the blob without its row.
            with file_lock(self._library_lock, shared=True):
                blob_new = False
                try:
                    blob_new = self._blobs.put(data, image.sha256, image.format, image.visibility)
                    added = adoption.adopt_row(self._store, image, trashed, self._limit)
                except OSError as exc:
                    self._drop_unused_blob(image, blob_new)
                    raise failures.from_os(exc, "originals folder", self._root) from None
                except BaseException:
                    self._drop_unused_blob(image, blob_new)
                    raise
                if not added:
                    self._drop_unused_blob(image, blob_new)
                return added

    def _drop_unused_blob(self, image: StreamImage, blob_new: bool) -> None:
        """Undo a blob an adoption wrote when no row came to use it (never raises: what stays
        is an orphan the collector removes later)."""
        if not blob_new:
            return
        try:
            if not self._store.sha_in_use(image.sha256, image.visibility):
                self._blobs.remove(image.sha256, image.format, image.visibility)
        except (OSError, StreamImagesError) as exc:
            log.info("blob %s of adopted image %s not removed: %s", image.sha256, image.id, exc)
