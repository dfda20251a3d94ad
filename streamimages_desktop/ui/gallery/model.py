"""GalleryModel: the images a role may see in one stream, adapted to a Qt list model."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
)
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPixmap

from streamimages_desktop.core.access import can_see
from streamimages_desktop.core.labels import visibility_name
from streamimages_desktop.core.models import OWNER, StreamImage, Viewer, Visibility
from streamimages_desktop.core.units import count_of, format_bytes
from streamimages_desktop.ui.gallery.paged_rows import Fetch, PagedRows
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader

ImageIdRole = Qt.ItemDataRole.UserRole + 1
IMAGE_IDS_MIME = "application/x-streamimages-image-ids"
VisibilityRole = Qt.ItemDataRole.UserRole + 2
# (decoration, title, visibility) in one call: the delegate asks once per tile per frame.
TileRole = Qt.ItemDataRole.UserRole + 3

# Thumbnail renditions by longest side: a tile asks for the smallest that covers its size in
# device pixels (tile size x device pixel ratio), so tiles stay crisp on HiDPI screens.
THUMB_RENDITIONS: tuple[tuple[int, str], ...] = (
    (200, "thumb"),
    (400, "thumb@400"),
    (640, "thumb@640"),
)
_MAX_RUNS = 32  # more separate runs of changed rows than this, and a reset is cheaper

_placeholder: QPixmap | None = None

Index = QModelIndex | QPersistentModelIndex


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


NBSP, TIMES = "\u00a0", "\u00d7"  # "1280 x 720 px" with the times sign, never broken


def tooltip_for(image: StreamImage) -> str:
    """Title, description, visibility, size and views as rich text (all user text escaped)."""
    description = image.description.strip()
    if len(description) > 300:
        description = description[:299] + "…"
    lines = [f"<b>{html.escape(image.title)}</b>"]
    if description:
        lines.append(html.escape(description).replace("\n", "<br>"))
    lines.append(
        f"{visibility_name(image.visibility)} · "
        f"{image.width}{NBSP}{TIMES}{NBSP}{image.height}{NBSP}px · "
        f"{format_bytes(image.bytes)} · {count_of(image.views, 'view')}"
    )
    return "<br>".join(lines)


def thumb_rendition(tile_px: int, dpr: float) -> str:
    """The smallest thumbnail rendition at least `tile_px` x `dpr` device pixels wide."""
    need = tile_px * max(1.0, dpr)
    for side, name in THUMB_RENDITIONS:
        if side >= need:
            return name
    return THUMB_RENDITIONS[-1][1]


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Ascending row numbers grouped into (first, last) runs of adjacent rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class GalleryModel(QAbstractListModel):
    """The rows of one query (PagedRows: every id, a few pages of StreamImage) as a Qt model.

    The model only ever holds rows the current viewer may see. A row whose page has not
    arrived yet is a placeholder without a title; its page is fetched on a worker and the
    rows update when it comes. DecorationRole answers from the PixmapCache by image id (known
    before the image's page); on a miss it returns the shared placeholder and asks the
    ThumbnailLoader, and the loaded thumbnail updates that one row.

    Attributes:
        viewer: the role the rows were chosen for.
        rows: the PagedRows.
        device_pixel_ratio: the screen's ratio, part of every pixmap cache key and set on
            every thumbnail pixmap (so a 400 px rendition paints a 200 px tile at 2x).
        tile_size: the tile's width in logical pixels; with the ratio it picks the rendition.
    """

    def __init__(
        self, pixmap_cache: PixmapCache, loader: ThumbnailLoader, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._cache = pixmap_cache
        self._loader = loader
        self.rows = PagedRows(self)
        self.rows.rows_arrived.connect(self._on_rows_arrived)
        self.viewer: Viewer = OWNER
        self.device_pixel_ratio = 1.0
        self.tile_size = 160
        # Thrash guard: an image loaded in this viewport epoch and already evicted again (the
        # cache is smaller than a screen) is not re-requested until the viewport changes.
        self._epoch = 0
        self._loaded_in: dict[str, int] = {}
        # While the grid flies past (hold_requests), a miss is only noted here: a tile on
        # screen for one frame must not start a worker that holds the GIL during the next.
        self._holding = False
        self._held: dict[str, None] = {}  # ids missed while holding, in paint order
        loader.loaded.connect(self._on_thumbnail_loaded)
        loader.failed.connect(self._on_thumbnail_failed)

    # Domain side -------------------------------------------------------------------------

    @property
    def images(self) -> Sequence[StreamImage]:
        """The images whose pages are here, in row order (all of them for a short stream)."""
        return tuple(self.rows.known_images())

    def image_at(self, row: int) -> StreamImage | None:
        """The image of `row`, or None while its page is on its way (it is then asked for)."""
        return self.rows.image_at(row)

    def id_at(self, row: int) -> str | None:
        return self.rows.ids[row] if 0 <= row < len(self.rows) else None

    def known_image(self, image_id: str) -> StreamImage | None:
        return self.rows.known(image_id)

    def row_of(self, image_id: str) -> int | None:
        return self.rows.row_of(image_id)

    def index_of(self, image_id: str) -> QModelIndex:
        row = self.rows.row_of(image_id)
        return QModelIndex() if row is None else self.index(row, 0)

    def ids_for(self, viewer: Viewer) -> Sequence[str | None]:
        """The rows' ids as `viewer` may see them (the viewer steps through these)."""
        if viewer == self.viewer:
            return self.rows.ids  # the query's own rows: all visible to its viewer
        return [
            i
            for i, v in zip(self.rows.ids, self.rows.visibility, strict=True)
            if v is not None and can_see(viewer, v)
        ]

    def set_images(self, viewer: Viewer, images: Iterable[StreamImage]) -> None:
        """Replace every row with these (all known), keeping only what `viewer` may see."""
        self.beginResetModel()
        self.viewer = viewer
        self.rows.set_all([i for i in images if can_see(viewer, i.visibility)])
        self._loaded_in.clear()
        self.endResetModel()

    def set_first_page(
        self, viewer: Viewer, count: int, first: Sequence[StreamImage], fetch: Fetch
    ) -> None:
        """A new result of `count` rows, of which the first page is here; `fetch` reads the
        other pages (on the rows' worker) as they are shown."""
        self.beginResetModel()
        self.viewer = viewer
        self.rows.set_first(count, [i for i in first if can_see(viewer, i.visibility)], fetch)
        self._loaded_in.clear()
        self.endResetModel()

    def adopt_keys(
        self, viewer: Viewer, ids: list[str], visibility: list[Visibility], fetch: Fetch
    ) -> None:
        """Every id of the current result arrived: pages are now fetched by id. If the
        library changed since the first page, the rows are brought up to the keys."""
        if viewer != self.viewer or not self.rows.adopt_keys(ids, visibility):
            self.update_keys(viewer, ids, visibility, self.rows.known_images(), fetch)

    def update_images(self, viewer: Viewer, images: Iterable[StreamImage]) -> bool:
        """Bring the rows up to a refreshed result of the same query (every image given)."""
        kept = [i for i in images if can_see(viewer, i.visibility)]
        fetch = self.rows.fetch
        return self.update_keys(
            viewer, [i.id for i in kept], [i.visibility for i in kept], kept, fetch
        )

    def update_keys(
        self,
        viewer: Viewer,
        ids: list[str],
        visibility: list[Visibility],
        fresh: Iterable[StreamImage],
        fetch: Fetch | None,
    ) -> bool:
        """Bring the rows up to a refreshed result of the same query: its keys, and fresh
        images for (some of) them.

        Rows that went are removed and new ones inserted where they belong, and every row's
        data is updated, so the selection, current item and scroll position survive an import,
        edit or delete. Falls back to a reset (and returns False) when the order changed or
        the changes are scattered over more than a few runs.
        """
        keep = [can_see(viewer, v) for v in visibility]
        if not all(keep):
            ids = [i for i, k in zip(ids, keep, strict=True) if k]
            visibility = [v for v, k in zip(visibility, keep, strict=True) if k]
        old = self.rows.ids
        new_rows = {i: r for r, i in enumerate(ids)}
        if viewer == self.viewer:  # the same query: a row that went was trashed, moved or hidden
            for image_id in old:
                if image_id is not None and image_id not in new_rows:
                    self._cache.discard_image(image_id)  # no cache keeps what left the library
        fresh = [i for i in fresh if i.id in new_rows]
        if viewer != self.viewer or None in old:
            self._reset_keys(viewer, ids, visibility, fresh, fetch)
            return False
        same_order = [i for i in old if i in new_rows] == [
            i for i in ids if self.rows.row_of(i) is not None
        ]
        gone = _runs(r for r, i in enumerate(old) if i not in new_rows)
        added = _runs(r for r, i in enumerate(ids) if self.rows.row_of(i) is None)
        if not same_order or len(gone) + len(added) > _MAX_RUNS:
            self._reset_keys(viewer, ids, visibility, fresh, fetch)
            return False
        for first, last in reversed(gone):  # from the end, so earlier rows keep their numbers
            self.beginRemoveRows(QModelIndex(), first, last)
            self.rows.remove_rows(first, last)
            self.endRemoveRows()
        for first, last in added:  # ascending: rows before `first` are all in place already
            self.beginInsertRows(QModelIndex(), first, last)
            self.rows.insert_rows(first, ids[first : last + 1], visibility[first : last + 1])
            self.endInsertRows()
        self.rows.set_keys(ids, visibility, fresh, fetch)  # fresh titles and counts
        if ids:
            self._changed(0, len(ids) - 1, _TEXT_ROLES)
        return True

    def restrict_to(self, viewer: Viewer) -> int:
        """Remove at once every row `viewer` may not see; returns how many went.

        A row whose visibility is not known yet cannot be judged: then every row goes (the
        new query brings back the right ones)."""
        self.viewer = viewer
        visibility = self.rows.visibility
        if None in visibility:
            count = len(visibility)
            self.set_images(viewer, [])
            return count
        doomed = [r for r, v in enumerate(visibility) if v is not None and not can_see(viewer, v)]
        runs = _runs(doomed)
        if len(runs) > _MAX_RUNS:
            self.beginResetModel()
            self.rows.keep_rows(lambda r: can_see(viewer, visibility[r] or Visibility.PRIVATE))
            self._loaded_in.clear()
            self.endResetModel()
        else:
            for first, last in reversed(runs):
                self.beginRemoveRows(QModelIndex(), first, last)
                self.rows.remove_rows(first, last)
                self.endRemoveRows()
        return len(doomed)

    def new_viewport_epoch(self) -> None:
        """The visible rows changed (scroll, resize, tile size): evicted thumbnails may reload."""
        self._epoch += 1

    def set_device_pixel_ratio(self, ratio: float) -> None:
        if ratio != self.device_pixel_ratio:
            self.device_pixel_ratio = ratio
            self._pick_rendition()
            if len(self.rows):
                self._changed(0, len(self.rows) - 1, [Qt.ItemDataRole.DecorationRole])

    def set_tile_size(self, px: int) -> None:
        """Tiles of `px` logical pixels: a larger rendition is asked for when they outgrow it."""
        self.tile_size = px
        if self._pick_rendition() and len(self.rows):
            self._changed(0, len(self.rows) - 1, [Qt.ItemDataRole.DecorationRole])

    def _pick_rendition(self) -> bool:
        changed = self._loader.set_rendition(
            thumb_rendition(self.tile_size, self.device_pixel_ratio)
        )
        if changed:
            self._loaded_in.clear()  # the thrash guard was about the old rendition
        return changed

    def thumbnail_pending(self, row: int) -> bool:
        """True while the thumbnail of `row` is held back, queued or loading."""
        image_id = self.id_at(row)
        return image_id is not None and (
            image_id in self._held or self._loader.is_pending(image_id)
        )

    @property
    def holding(self) -> bool:
        return self._holding

    def hold_requests(self) -> None:
        """The viewport moves fast: misses (thumbnails, pages) are noted, not requested."""
        self._holding = True
        self.rows.hold = True

    def release_requests(
        self,
        rows: Iterable[int],
        *,
        stop: bool,
        pages: Iterable[int] = (),
        keep: Iterable[int] = (),
    ) -> None:
        """Request the held thumbnails of `rows` and the missing pages of `rows` and `pages`
        (on screen long enough to be worth loading); held thumbnails of `keep` (still on
        screen) stay held, the others are forgotten. `stop`: the viewport is still: every
        thumbnail of `rows` not in the cache is asked for, and misses are again at once."""
        held, self._held = self._held, {}
        if stop:
            self._holding = False
            self.rows.hold = False
        for row in pages:
            self.rows.want_row(row)
        for row in rows:
            self.rows.want_row(row)
            image_id = self.id_at(row)
            if image_id is None:
                continue
            if image_id in held:
                del held[image_id]
                self._request(image_id)
            elif stop:
                self._decoration(image_id)  # asks for it if it is not in the cache
        if not stop:
            for row in keep:
                image_id = self.id_at(row)
                if image_id is not None and image_id in held:
                    self._held[image_id] = None

    # Qt side -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _ROW_FLAGS if self._valid(index) else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [IMAGE_IDS_MIME]

    def mimeData(self, indexes: Sequence[Index]) -> QMimeData:
        """The dragged tiles' ids, one per line (the stream browser reads them)."""
        rows = sorted({i.row() for i in indexes if self._valid(i)})
        ids = [i for r in rows if (i := self.rows.ids[r]) is not None]
        data = QMimeData()
        data.setData(IMAGE_IDS_MIME, QByteArray("\n".join(ids).encode("ascii")))
        return data

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._valid(index):
            return None
        row = index.row()
        if role == TileRole:
            known = self.rows.image_at(row)
            decoration = self._decoration(self.rows.ids[row])
            if known is None:
                return (decoration, "", self.rows.visibility[row])
            return (decoration, known.title, known.visibility)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(self.rows.ids[row])
        if role == ImageIdRole:
            return self.rows.ids[row]
        if role == VisibilityRole:
            return self.rows.visibility[row]
        image = self.rows.image_at(row)
        if role == Qt.ItemDataRole.UserRole:
            return image
        if image is None:
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            return image.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip_for(image)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{image.title}, {visibility_name(image.visibility)}"
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        names[ImageIdRole] = QByteArray(b"imageId")
        names[VisibilityRole] = QByteArray(b"visibility")
        names[TileRole] = QByteArray(b"tile")
        return names

    def shutdown(self) -> None:
        self.rows.shutdown()

    # Internals ---------------------------------------------------------------------------

    def _valid(self, index: Index) -> bool:
        return (
            index.isValid()
            and index.model() is self
            and index.column() == 0
            and 0 <= index.row() < len(self.rows)
        )

    def _reset_keys(
        self,
        viewer: Viewer,
        ids: list[str],
        visibility: list[Visibility],
        fresh: list[StreamImage],
        fetch: Fetch | None,
    ) -> None:
        self.beginResetModel()
        self.viewer = viewer
        self.rows.set_keys(ids, visibility, fresh, fetch)
        self._loaded_in.clear()
        self.endResetModel()

    def _decoration(self, image_id: str | None) -> QPixmap:
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

    def _request(self, image_id: str) -> None:
        if self._loaded_in.get(image_id) != self._epoch:
            self._loader.request(self.viewer, image_id)

    def _changed(self, first: int, last: int, roles: Sequence[int]) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, 0), list(roles))

    def _on_rows_arrived(self, first: int, last: int) -> None:
        self._changed(first, last, _TEXT_ROLES)

    def _on_thumbnail_loaded(self, image_id: str, image: QImage) -> None:
        row = self.rows.row_of(image_id)
        if row is None:
            return  # no longer shown (deleted, filtered out, another stream)
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.device_pixel_ratio)
        if not self._cache.put(
            GALLERY_PAGE,
            image_id,
            self._loader.rendition,
            self.device_pixel_ratio,
            pixmap,
            made_as=self.viewer.role,
        ) and self._cache.audience not in (None, self.viewer.role):
            return  # on air for another role: this result is stale, never painted
        self._loaded_in[image_id] = self._epoch
        self._changed(row, row, [Qt.ItemDataRole.DecorationRole])

    def _on_thumbnail_failed(self, image_id: str, _reason: str) -> None:
        row = self.rows.row_of(image_id)
        if row is not None:
            self._changed(row, row, [Qt.ItemDataRole.DecorationRole])


_ROW_FLAGS = (  # asked for every tile on every paint: combined once
    Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemNeverHasChildren
    | Qt.ItemFlag.ItemIsDragEnabled  # onto a stream in the browser: move (Ctrl: copy)
)

_TEXT_ROLES: list[int] = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.UserRole,
    ImageIdRole,
    VisibilityRole,
]
