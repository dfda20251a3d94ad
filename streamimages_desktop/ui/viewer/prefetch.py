"""DisplayLoader: display renditions made, read and decoded on workers, kept as pixmaps."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from PIL import Image
from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QImage, QPixmap

from streamimages_desktop.core.errors import ImageRejected, StreamImagesError
from streamimages_desktop.core.manager import MadeRendition
from streamimages_desktop.core.models import Viewer
from streamimages_desktop.ui.gallery.pixmap_cache import PREVIEW_PAGE, PixmapCache
from streamimages_desktop.ui.tasks import TaskRunner

BUCKET = 256  # display sides are rounded up to this, so screens of similar size share files
# Task priorities: the image asked for first, then its neighbours, then cache writes.
SHOWN, NEIGHBOUR, STORE = 10, 0, -10

log = logging.getLogger(__name__)


class DisplaySource(Protocol):
    def rendition_or_pixels(
        self, viewer: Viewer, image_id: str, rendition: str
    ) -> bytes | MadeRendition: ...


@dataclass(frozen=True)
class Decoded:
    """A display rendition ready for QPixmap.fromImage; `store` caches a freshly made one."""

    image: QImage
    store: Callable[[], bytes] | None = None


def display_rendition(screen: QSize, dpr: float, max_px: int) -> str:
    """The rendition that fills `screen` (logical pixels) at `dpr`: "display@2048" and so on."""
    need = max(screen.width(), screen.height(), 1) * max(dpr, 1.0)
    side = BUCKET * math.ceil(need / BUCKET)
    return f"display@{max(BUCKET, min(side, max_px))}"


def qimage_of(pixels: Image.Image) -> QImage:
    """Pillow's L or RGB pixels as a QImage that owns a copy of them."""
    if pixels.mode == "L":
        fmt, depth = QImage.Format.Format_Grayscale8, 1
    else:
        pixels = pixels if pixels.mode == "RGB" else pixels.convert("RGB")
        fmt, depth = QImage.Format.Format_RGB888, 3
    data = pixels.tobytes()
    width, height = pixels.size
    return QImage(data, width, height, width * depth, fmt).copy()


def decode_display(source: DisplaySource, viewer: Viewer, image_id: str, rendition: str) -> Decoded:
    """Worker side: the access-checked rendition as a QImage.

    A cached one is decoded from its JPEG; a cold one is shown from the pixels just made, and
    `store` (run later, on a worker) encodes and caches it.
    """
    made = source.rendition_or_pixels(viewer, image_id, rendition)
    if isinstance(made, bytes):
        image = QImage.fromData(made)
        store = None
    else:
        image, store = qimage_of(made.pixels), made.store
    if image.isNull():
        raise ImageRejected("the display rendition could not be decoded")
    return Decoded(image, store)


class DisplayLoader(QObject):
    """Loads display renditions on its own workers into the PixmapCache's "preview" page.

    `request()` for the image shown runs before `prefetch()` of its neighbours; each
    (image, rendition) is in flight once. Results of an older generation (the role changed,
    the viewer closed) are dropped, never cached.

    Signals:
        ready(str, str, QPixmap): an image id, its rendition and the pixmap (also cached).
        failed(str, str): an image id and a one-line reason.
    """

    ready = Signal(str, str, QPixmap)
    failed = Signal(str, str)

    def __init__(
        self,
        source: DisplaySource,
        cache: PixmapCache,
        max_threads: int = 2,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._source, self._cache = source, cache
        self.runner = TaskRunner(max_threads, self)
        self._generation = 0
        self._in_flight: set[tuple[str, str]] = set()

    def cached(self, image_id: str, rendition: str, dpr: float) -> QPixmap | None:
        return self._cache.get(PREVIEW_PAGE, image_id, rendition, dpr)

    def request(self, viewer: Viewer, image_id: str, rendition: str, dpr: float) -> bool:
        """Load for showing now; False if it is cached or already on its way."""
        return self._submit(viewer, image_id, rendition, dpr, SHOWN)

    def prefetch(self, viewer: Viewer, image_id: str, rendition: str, dpr: float) -> bool:
        return self._submit(viewer, image_id, rendition, dpr, NEIGHBOUR)

    def reset(self) -> None:
        """A new generation: queued work is dropped and late results are ignored."""
        self._generation += 1
        self.runner.clear_queued()
        self._in_flight.clear()

    def shutdown(self, msecs: int = 5000) -> bool:
        self.reset()
        return self.runner.wait(msecs)

    def _submit(self, viewer: Viewer, image_id: str, rendition: str, dpr: float, pri: int) -> bool:
        key = (image_id, rendition)
        if key in self._in_flight or self.cached(image_id, rendition, dpr) is not None:
            return False
        self._in_flight.add(key)
        generation = self._generation
        self.runner.submit(
            partial(decode_display, self._source, viewer, image_id, rendition),
            partial(self._on_loaded, generation, image_id, rendition, dpr, viewer=viewer),
            partial(self._on_failed, generation, image_id, rendition),
            priority=pri,
        )
        return True

    def _on_loaded(
        self,
        generation: int,
        image_id: str,
        rendition: str,
        dpr: float,
        decoded: Decoded,
        *,
        viewer: Viewer | None = None,
    ) -> None:
        if decoded.store is not None:  # cache the new rendition once the pixels are shown
            self.runner.submit(decoded.store, lambda _data: None, self._on_store_failed, STORE)
        if generation != self._generation:
            return
        self._in_flight.discard((image_id, rendition))
        pixmap = QPixmap.fromImage(decoded.image)
        made_as = viewer.role if viewer is not None else None
        self._cache.put(PREVIEW_PAGE, image_id, rendition, dpr, pixmap, made_as=made_as)
        self.ready.emit(image_id, rendition, pixmap)

    def _on_store_failed(self, exc: Exception) -> None:
        log.warning("a display rendition was not cached: %s", exc)

    def _on_failed(self, generation: int, image_id: str, rendition: str, exc: Exception) -> None:
        if generation != self._generation:
            return
        self._in_flight.discard((image_id, rendition))
        reason = str(exc) if isinstance(exc, StreamImagesError) else "it could not be loaded"
        self.failed.emit(image_id, reason or type(exc).__name__)
