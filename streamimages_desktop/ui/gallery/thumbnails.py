"""TileThumbnails: the picture a gallery row paints, from the pixmap cache or a loader request.

A tile's decoration is its thumbnail when the PixmapCache has it (by image id, rendition and
pixel ratio), else the shared placeholder, and the miss asks the ThumbnailLoader. Two guards
keep that asking cheap: while the grid flies past (hold) misses are only noted, and a
thumbnail loaded and evicted again in the same viewport epoch is not asked for again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPixmap

from streamimages_desktop.core.models import Viewer
from streamimages_desktop.ui.gallery.paged_rows import PagedRows
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader

# Thumbnail renditions by longest side: a tile asks for the smallest that covers its size in
# device pixels (tile size x device pixel ratio), so tiles stay crisp on HiDPI screens.
THUMB_RENDITIONS: tuple[tuple[int, str], ...] = (
    (200, "thumb"),
    (400, "thumb@400"),
    (640, "thumb@640"),
)

_placeholder: QPixmap | None = None


def placeholder_pixmap() -> QPixmap:
    """The one picture every tile shows until its thumbnail arrives (made once, lazily)."""
    global _placeholder
    if _placeholder is None:
        side = 128
        palette = QGuiApplication.palette()
        image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        back = QColor(palette.mid().color())
        back.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(back)
        painter.drawRoundedRect(QRectF(4, 4, side - 8, side - 8), 10, 10)
        glyph = QColor(palette.mid().color())
        glyph.setAlpha(150)
        painter.setBrush(glyph)
        hills = QPainterPath(QPointF(28, 92))
        hills.lineTo(52, 60)
        hills.lineTo(68, 78)
        hills.lineTo(80, 66)
        hills.lineTo(100, 92)
        hills.closeSubpath()
        painter.drawPath(hills)
        painter.drawEllipse(QPointF(84, 44), 9, 9)
        painter.end()
        _placeholder = QPixmap.fromImage(image)
    return _placeholder


def thumb_rendition(tile_px: int, dpr: float) -> str:
    """The smallest thumbnail rendition at least `tile_px` x `dpr` device pixels wide."""
    need = tile_px * max(1.0, dpr)
    for side, name in THUMB_RENDITIONS:
        if side >= need:
            return name
    return THUMB_RENDITIONS[-1][1]


class TileThumbnails(QObject):
    """Decorations of the rows of one PagedRows, asked of the loader as `viewer()` sees them.

    Signals:
        changed(int, int): the first and last row whose decoration changed.

    Attributes:
        device_pixel_ratio: the screen's ratio, part of every pixmap cache key and set on
            every thumbnail pixmap (so a 400 px rendition paints a 200 px tile at 2x).
        tile_size: the tile's width in logical pixels; with the ratio it picks the rendition.
    """

    changed = Signal(int, int)

    def __init__(
        self,
        cache: PixmapCache,
        loader: ThumbnailLoader,
        rows: PagedRows,
        viewer: Callable[[], Viewer],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._cache = cache
        self._loader = loader
        self._rows = rows
        self._viewer = viewer
        self.device_pixel_ratio = 1.0
        self.tile_size = 160
        # Thrash guard: an image loaded in this viewport epoch and already evicted again (the
        # cache is smaller than a screen) is not re-requested until the viewport changes.
        self._epoch = 0
        self._loaded_in: dict[str, int] = {}
        # While the grid flies past (hold), a miss is only noted here: a tile on screen for
        # one frame must not start a worker that holds the GIL during the next.
        self._holding = False
        self._held: dict[str, None] = {}  # ids missed while holding, in paint order
        loader.loaded.connect(self._on_loaded)
        loader.failed.connect(self._on_failed)

    def decoration(self, image_id: str | None) -> QPixmap:
        """The cached thumbnail of `image_id`, or the placeholder (and the miss is asked for)."""
        if image_id is None:
            return placeholder_pixmap()
        rendition = self._loader.rendition
        pixmap = self._cache.get(GALLERY_PAGE, image_id, rendition, self.device_pixel_ratio)
        if pixmap is not None:
            return pixmap
        if self._holding:
            self._held[image_id] = None
        else:
            self._request(image_id)
        return placeholder_pixmap()

    def pending(self, image_id: str) -> bool:
        """True while the thumbnail of `image_id` is held back, queued or loading."""
        return image_id in self._held or self._loader.is_pending(image_id)

    def forget_loaded(self) -> None:
        """The rows were replaced: the thrash guard was about the old ones."""
        self._loaded_in.clear()

    def new_viewport_epoch(self) -> None:
        """The visible rows changed (scroll, resize, tile size): evicted thumbnails may reload."""
        self._epoch += 1

    def set_device_pixel_ratio(self, ratio: float) -> None:
        if ratio != self.device_pixel_ratio:
            self.device_pixel_ratio = ratio
            self._pick_rendition()
            self._all_changed()

    def set_tile_size(self, px: int) -> None:
        """Tiles of `px` logical pixels: a larger rendition is asked for when they outgrow it."""
        self.tile_size = px
        if self._pick_rendition():
            self._all_changed()

    @property
    def holding(self) -> bool:
        return self._holding

    def hold(self) -> None:
        """The viewport moves fast: misses are noted, not requested."""
        self._holding = True

    def release(
        self, ids: Iterable[str | None], *, stop: bool, keep: Iterable[str | None] = ()
    ) -> None:
        """Request the held thumbnails of `ids`; held ones of `keep` (still on screen) stay
        held, the others are forgotten. `stop`: the viewport is still: every thumbnail of
        `ids` not in the cache is asked for, and misses are again asked for at once."""
        held, self._held = self._held, {}
        if stop:
            self._holding = False
        for image_id in ids:
            if image_id is None:
                continue
            if image_id in held:
                del held[image_id]
                self._request(image_id)
            elif stop:
                self.decoration(image_id)  # asks for it if it is not in the cache
        if not stop:
            for image_id in keep:
                if image_id is not None and image_id in held:
                    self._held[image_id] = None

    # Internals ---------------------------------------------------------------------------

    def _pick_rendition(self) -> bool:
        changed = self._loader.set_rendition(
            thumb_rendition(self.tile_size, self.device_pixel_ratio)
        )
        if changed:
            self._loaded_in.clear()  # the thrash guard was about the old rendition
        return changed

    def _all_changed(self) -> None:
        if len(self._rows):
            self.changed.emit(0, len(self._rows) - 1)

    def _request(self, image_id: str) -> None:
        if self._loaded_in.get(image_id) != self._epoch:
            self._loader.request(self._viewer(), image_id)

    def _on_loaded(self, image_id: str, image: QImage) -> None:
        row = self._rows.row_of(image_id)
        if row is None:
            return  # no longer shown (deleted, filtered out, another stream)
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.device_pixel_ratio)
        role = self._viewer().role
        if not self._cache.put(
            GALLERY_PAGE,
            image_id,
            self._loader.rendition,
            self.device_pixel_ratio,
            pixmap,
            made_as=role,
        ) and self._cache.audience not in (None, role):
            return  # on air for another role: this result is stale, never painted
        self._loaded_in[image_id] = self._epoch
        self.changed.emit(row, row)

    def _on_failed(self, image_id: str, _reason: str) -> None:
        """Nothing to repaint: a failed tile keeps the placeholder it shows. (A library whose
        originals are missing fails a thumbnail per tile scrolled past; a repaint of each made
        the scroll stall: p99 30-37 ms against 9-13 ms without, scale.py --window at 10,000.)"""
