"""PixmapCache: the core MemoryCache holding QPixmaps by image id, rendition and pixel ratio."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

from PySide6.QtGui import QPixmap

from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.models import Role
from streamimages_desktop.core.workbench.policies import DEFAULT_POLICY

GALLERY_PAGE = "gallery"
PREVIEW_PAGE = "preview"


def pixmap_bytes(pixmap: QPixmap) -> int:
    """What a pixmap costs in memory: 4 bytes per device pixel."""
    return pixmap.width() * pixmap.height() * 4


def _ratio(dpr: float) -> float:
    """Pixel ratios that differ only by float noise share a key."""
    return round(float(dpr), 2)


class PixmapCache:
    """Decoded pixmaps for the GUI thread, bounded in bytes by the core MemoryCache.

    Keys are (page, (image_id, rendition, dpr)): the device pixel ratio is part of the key so a
    HiDPI screen never reuses a pixmap made for a low-resolution one. Use it from the GUI thread
    only (QPixmap lives there). Access is checked before anything asks this cache: the gallery
    model only holds rows the current role may see.

    On air (set_audience), keys also carry the audience, so nothing cached while the window
    looked as someone else is ever returned, and the gallery and preview pages are emptied.

    Attributes:
        memory: the underlying MemoryCache (the cache pane reads stats, clears pages and sets
            the limit on it).
        audience: the on-air audience, or None off air.
    """

    def __init__(
        self,
        limit_bytes: int | MemoryCache[QPixmap],
        ttl_seconds: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        policy: str = DEFAULT_POLICY,
    ) -> None:
        if isinstance(limit_bytes, MemoryCache):
            self.memory: MemoryCache[QPixmap] = limit_bytes
        else:
            self.memory = MemoryCache(limit_bytes, ttl_seconds, pixmap_bytes, clock, policy=policy)
        self.audience: Role | None = None

    def key(self, image_id: str, rendition: str, dpr: float) -> Hashable:
        if self.audience is None:
            return (image_id, rendition, _ratio(dpr))
        return (image_id, rendition, _ratio(dpr), "on-air", self.audience.value)

    def set_audience(self, audience: Role | None) -> None:
        """On air for `audience` (None: off air); a change empties the gallery and preview pages.

        Those pages hold pixmaps made for whoever the window looked as before (often the
        owner); the audience's own are loaded again as they are painted.
        """
        if audience == self.audience:
            return
        self.audience = audience
        for page in (GALLERY_PAGE, PREVIEW_PAGE):
            self.memory.clear(page)

    def get(self, page: str, image_id: str, rendition: str, dpr: float) -> QPixmap | None:
        """The cached pixmap, or None (a miss, counted in the page's stats)."""
        return self.memory.get(page, self.key(image_id, rendition, dpr))

    def put(
        self,
        page: str,
        image_id: str,
        rendition: str,
        dpr: float,
        pixmap: QPixmap,
        *,
        made_as: Role | None = None,
    ) -> bool:
        """Store a pixmap; False when it alone is larger than the whole limit.

        On air, only a pixmap `made_as` the audience is stored (a late worker's is refused).
        """
        if self.audience is not None and made_as is not self.audience:
            return False
        return self.memory.put(page, self.key(image_id, rendition, dpr), pixmap)

    def discard_image(self, image_id: str) -> int:
        """Forget every pixmap of an image (all pages, renditions, ratios): it was deleted."""
        return self.memory.discard_where(
            lambda _page, key: isinstance(key, tuple) and bool(key) and key[0] == image_id
        )

    def clear(self, page: str | None = None) -> None:
        """Drop one page's pixmaps, or all of them."""
        self.memory.clear(page)
