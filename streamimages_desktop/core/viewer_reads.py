"""Reads as a viewer: streams, images, renditions and originals, each behind the access rules.

Access is checked before any cache is asked, so no cache can serve an image to a role that may
not see it; a hidden image is the same NotFound as a missing one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from streamimages_desktop.core import access, trash
from streamimages_desktop.core.errors import NotFound, StreamImagesError
from streamimages_desktop.core.manager_state import ManagerState, OnFirstUse, log, not_found
from streamimages_desktop.core.models import (
    Sort,
    Stats,
    StreamImage,
    StreamSummary,
    Viewer,
    Visibility,
)
from streamimages_desktop.core.record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from PIL import Image

    from streamimages_desktop.core import disk_cache, imaging
    from streamimages_desktop.core.disk_cache import RenditionKey

if not TYPE_CHECKING:
    disk_cache = OnFirstUse("disk_cache")
    imaging = OnFirstUse("imaging")

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


class MadeRendition(Record):
    """A rendition's pixels (L or RGB, from its side to under twice it) made from the original;
    `store()` fits and encodes them as JPEG, puts that in the disk cache and returns it."""

    pixels: Image.Image
    store: Callable[[], bytes]


class ViewerReads(ManagerState):
    """What a viewer of any role may read; the owner sees everything, others what access allows."""

    def streams(self, viewer: Viewer) -> list[StreamSummary]:
        return self._store.list_streams(viewer)

    def stream_exists(self, stream_id: str) -> bool:
        """Whether the stream exists (names are not secret; images are): one key lookup,
        where streams() counts every stream's images."""
        return self._store.get_stream(stream_id) is not None

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
            raise not_found(image_id)
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
            raise not_found(image_id) from None
        return found._replace(views=found.views + 1, last_accessed=now)

    def rendition(self, viewer: Viewer, image_id: str, rendition: str = "thumb") -> bytes:
        """JPEG bytes: access is checked before any cache is asked; a miss is regenerated.

        `rendition` is "thumb", "display" or a size-keyed one ("thumb@400", "display@2048").
        """
        key, found, cached = self._cached(viewer, image_id, rendition)
        if cached is not None:
            return cached
        data = imaging.render(self._original_of(found), rendition_side(rendition, self._top))
        return self._put_rendition(key, data)

    def trashed_thumbnail(self, viewer: Viewer, image_id: str) -> bytes:
        """The thumbnail of an image in the owner's Trash, so it shows what it holds. Only the
        owner has a Trash (every other role is refused) and a live image is not found here.
        Cached like any rendition: a purge discards it, a restore finds it still good."""
        access.require_edit(viewer)
        found = trash.trashed_image(self._store, image_id)
        if found is None:
            raise not_found(image_id)
        key = disk_cache.RenditionKey(found.id, "thumb", found.sha256)
        cached = self._disk_cache.get(key)
        if cached is not None:
            return cached
        data = imaging.render(self._original_of(found), rendition_side("thumb", self._top))
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

    def stats(self, viewer: Viewer, stream_id: str | None = None) -> Stats:
        return self._store.stats(viewer, stream_id)
