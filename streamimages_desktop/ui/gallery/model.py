"""GalleryModel: the images a role may see in one stream, adapted to a Qt list model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from streamimages_desktop.core.access import can_see
from streamimages_desktop.core.models import OWNER, StreamImage, Viewer, Visibility
from streamimages_desktop.ui.gallery.paged_rows import Fetch, PagedRows
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.gallery.roles import (
    ROW_FLAGS,
    TEXT_ROLES,
    ImageIdRole,
    TileRole,
    VisibilityRole,
    image_data,
)
from streamimages_desktop.ui.gallery.row_runs import MAX_RUNS, Runs, key_runs, runs
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader
from streamimages_desktop.ui.gallery.thumbnails import TileThumbnails

IMAGE_IDS_MIME = "application/x-streamimages-image-ids"

Index = QModelIndex | QPersistentModelIndex


class GalleryModel(QAbstractListModel):
    """The rows of one query (PagedRows: every id, a few pages of StreamImage) as a Qt model.

    The model only ever holds rows the current viewer may see. A row whose page has not
    arrived yet is a placeholder without a title; its page is fetched on a worker and the
    rows update when it comes. DecorationRole answers from TileThumbnails by image id (known
    before the image's page): the cached thumbnail, or the shared placeholder while the
    ThumbnailLoader loads it, and the loaded thumbnail updates that one row.

    Attributes:
        viewer: the role the rows were chosen for.
        rows: the PagedRows.
        thumbnails: the TileThumbnails (pixel ratio, tile size, held requests).
    """

    def __init__(
        self, pixmap_cache: PixmapCache, loader: ThumbnailLoader, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._cache = pixmap_cache
        self.rows = PagedRows(self)
        self.rows.rows_arrived.connect(self._on_rows_arrived)
        self.viewer: Viewer = OWNER
        self.thumbnails = TileThumbnails(pixmap_cache, loader, self.rows, self._viewer, self)
        self.thumbnails.changed.connect(self._on_decorations_changed)

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
        self.thumbnails.forget_loaded()
        self.endResetModel()

    def set_first_page(
        self, viewer: Viewer, count: int, first: Sequence[StreamImage], fetch: Fetch
    ) -> None:
        """A new result of `count` rows, of which the first page is here; `fetch` reads the
        other pages (on the rows' worker) as they are shown."""
        self.beginResetModel()
        self.viewer = viewer
        self.rows.set_first(count, [i for i in first if can_see(viewer, i.visibility)], fetch)
        self.thumbnails.forget_loaded()
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
        changes = None
        if viewer == self.viewer:
            changes = key_runs(old, ids, new_rows, self.rows.row_of)
        if changes is None:
            self._reset_keys(viewer, ids, visibility, fresh, fetch)
            return False
        gone, added = changes
        self._remove_runs(gone)
        for first, last in added:  # ascending: rows before `first` are all in place already
            self.beginInsertRows(QModelIndex(), first, last)
            self.rows.insert_rows(first, ids[first : last + 1], visibility[first : last + 1])
            self.endInsertRows()
        self.rows.set_keys(ids, visibility, fresh, fetch)  # fresh titles and counts
        if ids:
            self._changed(0, len(ids) - 1, TEXT_ROLES)
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
        gone = runs(doomed)
        if len(gone) > MAX_RUNS:
            self.beginResetModel()
            self.rows.keep_rows(lambda r: can_see(viewer, visibility[r] or Visibility.PRIVATE))
            self.thumbnails.forget_loaded()
            self.endResetModel()
        else:
            self._remove_runs(gone)
        return len(doomed)

    @property
    def device_pixel_ratio(self) -> float:
        return self.thumbnails.device_pixel_ratio

    def new_viewport_epoch(self) -> None:
        """The visible rows changed (scroll, resize, tile size): evicted thumbnails may reload."""
        self.thumbnails.new_viewport_epoch()

    def set_device_pixel_ratio(self, ratio: float) -> None:
        self.thumbnails.set_device_pixel_ratio(ratio)

    def set_tile_size(self, px: int) -> None:
        """Tiles of `px` logical pixels: a larger rendition is asked for when they outgrow it."""
        self.thumbnails.set_tile_size(px)

    def thumbnail_pending(self, row: int) -> bool:
        """True while the thumbnail of `row` is held back, queued or loading."""
        image_id = self.id_at(row)
        return image_id is not None and self.thumbnails.pending(image_id)

    @property
    def holding(self) -> bool:
        return self.thumbnails.holding

    def hold_requests(self) -> None:
        """The viewport moves fast: misses (thumbnails, pages) are noted, not requested."""
        self.thumbnails.hold()
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
        if stop:
            self.rows.hold = False
        keep_ids = (self.id_at(row) for row in keep)
        self.thumbnails.release(self._wanting(rows, pages), stop=stop, keep=keep_ids)

    def _wanting(self, rows: Iterable[int], pages: Iterable[int]) -> Iterator[str | None]:
        """Wants the pages of `pages`, then yields the ids of `rows`, each row's page wanted
        just before its thumbnail is asked for (lazily: release takes its held ones first)."""
        for row in pages:
            self.rows.want_row(row)
        for row in rows:
            self.rows.want_row(row)
            yield self.id_at(row)

    # Qt side -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return ROW_FLAGS if self._valid(index) else Qt.ItemFlag.NoItemFlags

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
            decoration = self.thumbnails.decoration(self.rows.ids[row])
            if known is None:
                return (decoration, "", self.rows.visibility[row])
            return (decoration, known.title, known.visibility)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnails.decoration(self.rows.ids[row])
        if role == ImageIdRole:
            return self.rows.ids[row]
        if role == VisibilityRole:
            return self.rows.visibility[row]
        return image_data(self.rows.image_at(row), role)

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
        self.thumbnails.forget_loaded()
        self.endResetModel()

    def _remove_runs(self, gone: Runs) -> None:
        for first, last in reversed(gone):  # from the end, so earlier rows keep their numbers
            self.beginRemoveRows(QModelIndex(), first, last)
            self.rows.remove_rows(first, last)
            self.endRemoveRows()

    def _viewer(self) -> Viewer:
        return self.viewer

    def _changed(self, first: int, last: int, roles: Sequence[int]) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, 0), list(roles))

    def _on_rows_arrived(self, first: int, last: int) -> None:
        self._changed(first, last, TEXT_ROLES)

    def _on_decorations_changed(self, first: int, last: int) -> None:
        self._changed(first, last, [Qt.ItemDataRole.DecorationRole])
