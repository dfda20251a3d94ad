"""StreamImageManager: the facade the UI and CLI call; every read as a viewer, edits as owner."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType

from PIL import Image

from streamimages_desktop.core import access, imaging, paths
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
from streamimages_desktop.core.errors import LibraryError, NotFound, StreamImagesError
from streamimages_desktop.core.importer import (
    Importer,
    ImportOptions,
    ImportResult,
    ProgressCallback,
    write_reason,
)
from streamimages_desktop.core.models import (
    Sort,
    Stats,
    Stream,
    StreamImage,
    StreamSummary,
    Viewer,
    Visibility,
    validate_stream_id,
)
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.store import Store

log = logging.getLogger(__name__)

LIBRARY_FILE = "library.sqlite3"
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS})
RENDITION_SIZES: dict[str, int] = {"thumb": imaging.THUMB_SIZE, "display": imaging.DISPLAY_SIZE}
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


def _folder_error(what: str, folder: Path, exc: OSError) -> LibraryError:
    """One line naming the folder and what the system said (disk full, not writable, ...)."""
    if exc.errno in _WRITE_ERRNOS:
        reason = write_reason(exc)
    elif exc.errno in (errno.EEXIST, errno.ENOTDIR):  # mkdir met a file where a folder belongs
        reason = "a file is in the way (a folder is needed there)"
    else:
        reason = exc.strerror or str(exc)
    return LibraryError(f"cannot use the {what} folder {folder}: {reason}")


def _not_found(image_id: str) -> NotFound:
    """The same words for a missing image and one the role may not see, so nothing leaks."""
    return NotFound(f"no image {image_id}")


class StreamImageManager:
    """Library + originals + rendition cache behind one thread-safe object.

    The store keeps one connection per thread and the disk cache has its own lock; `_lock`
    serializes what spans several of them (an import's commit, a delete's row-then-blob), so a
    blob is never removed between another import writing it and inserting its row.
    """

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.RLock()
        root = settings.stream_images_dir
        try:
            paths.ensure_private_dir(root)
            blobs = BlobStore(root / "originals")
            blobs.clean_leftovers()
        except OSError as exc:
            raise _folder_error("library", root, exc) from None
        self._blobs = blobs
        self._store = Store(root / LIBRARY_FILE)
        try:
            self._disk_cache = DiskCache(
                settings.image_cache_dir, settings.disk_limit_bytes, settings.ttl_seconds
            )
        except OSError as exc:
            self._store.close()
            raise _folder_error("cache", settings.image_cache_dir, exc) from None
        except BaseException:
            self._store.close()
            raise
        self._importer = Importer(
            settings, self._store, self._blobs, self._disk_cache, clock, self._lock
        )

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        self._store.close()
        self._disk_cache.close()

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
    def disk_cache(self) -> DiskCache:
        return self._disk_cache

    # -- streams -------------------------------------------------------------------------------

    def create_stream(self, viewer: Viewer, stream_id: str, title: str | None = None) -> Stream:
        access.require_edit(viewer)
        stream = Stream(
            validate_stream_id(stream_id), title or stream_id, viewer.user_id, self._clock()
        )
        self._store.create_stream(stream)
        return stream

    def streams(self, viewer: Viewer) -> list[StreamSummary]:
        return self._store.list_streams(viewer)

    def rename_stream(self, viewer: Viewer, stream_id: str, title: str) -> None:
        access.require_edit(viewer)
        self._store.rename_stream(stream_id, title)

    def delete_stream(self, viewer: Viewer, stream_id: str) -> int:
        """Delete the stream's rows first, then the blobs nobody uses any more and renditions."""
        access.require_edit(viewer)
        with self._lock:
            rows = self._store.delete_stream(stream_id)
            for row in rows:
                self._forget(row)
        return len(rows)

    # -- imports -------------------------------------------------------------------------------

    def import_paths(
        self,
        viewer: Viewer,
        stream_id: str,
        paths: Sequence[Path],
        options: ImportOptions = ImportOptions(),  # noqa: B008 - frozen, so sharing is safe
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[ImportResult]:
        """One result per file (folders walked recursively, sorted), in input order.

        The stream is created on the first file stored. Cancel is checked between files; the
        files not reached get no result, so the list is shorter than the progress total.
        """
        access.require_edit(viewer)
        validate_stream_id(stream_id)
        return self._importer.import_paths(
            viewer.user_id, stream_id, paths, options, progress, cancel
        )

    def import_bytes(
        self,
        viewer: Viewer,
        stream_id: str,
        data: bytes,
        name: str,
        options: ImportOptions = ImportOptions(),  # noqa: B008
    ) -> ImportResult:
        """Import pasted bytes; `name` (e.g. clipboard-2026-11-24-101500.png) is only a label."""
        access.require_edit(viewer)
        validate_stream_id(stream_id)
        return self._importer.import_bytes(viewer.user_id, stream_id, data, name, options)

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

    def image(self, viewer: Viewer, image_id: str) -> StreamImage:
        found = self._store.get_image(viewer, image_id)
        if found is None:
            raise _not_found(image_id)
        return found

    def open_image(self, viewer: Viewer, image_id: str) -> StreamImage:
        """Like image(); a subscriber or viewer opening it counts one view, the owner does not."""
        found = self.image(viewer, image_id)
        if not access.counts_views(viewer):
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
        key = RenditionKey(found.id, rendition, found.sha256)
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
            return self._blobs.read(found.sha256, found.format)
        except FileNotFoundError:
            missing = f"the original of image {found.id} is missing from the library"
            raise NotFound(missing) from None
        except OSError as exc:
            raise LibraryError(f"cannot read the original of image {found.id}: {exc}") from None

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
    ) -> StreamImage:
        access.require_edit(viewer)
        if title is not None and not title.strip():
            raise StreamImagesError("a title cannot be empty")
        return self._store.update_image(
            image_id,
            now=self._clock(),
            title=None if title is None else title.strip(),
            description=description,
            visibility=None if visibility is None else Visibility(visibility),
        )

    def delete_images(self, viewer: Viewer, image_ids: Iterable[str]) -> int:
        """Rows first, then each blob no row uses any more, then renditions; missing ids skip."""
        access.require_edit(viewer)
        deleted = 0
        for image_id in image_ids:
            with self._lock:
                row = self._store.delete_image(image_id)
                if row is not None:
                    self._forget(row)
                    deleted += 1
        return deleted

    def _forget(self, row: StreamImage) -> None:
        """Files of a deleted row; a failure leaves an orphan file, never a row without data."""
        try:
            if not self._store.sha_in_use(row.sha256):
                self._blobs.remove(row.sha256, row.format)
        except (OSError, StreamImagesError) as exc:
            log.warning("blob %s of deleted image %s not removed: %s", row.sha256, row.id, exc)
        try:
            self._disk_cache.discard_image(row.id)
        except (OSError, StreamImagesError) as exc:
            log.warning("renditions of deleted image %s not removed: %s", row.id, exc)
