"""GalleryWidget: the thumbnail grid of a stream as one role sees it, filled off the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    QTimer,
    Signal,
)
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QListView, QStyle, QVBoxLayout, QWidget

from streamimages_desktop.core.models import Sort, StreamImage, Viewer, Visibility
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.gallery.delegate import DEFAULT_TILE, GalleryDelegate
from streamimages_desktop.ui.gallery.model import GalleryModel
from streamimages_desktop.ui.gallery.pacing import GcPacer
from streamimages_desktop.ui.gallery.paged_rows import PAGE_ROWS, Fetch
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.gallery.thumbnail_loader import RenditionSource, ThumbnailLoader
from streamimages_desktop.ui.gallery.view import DEFAULT_EMPTY_TEXT, GalleryView
from streamimages_desktop.ui.tasks import TaskRunner

IDLE_CHECK_MS = 30  # how often, at most, visible rows are checked for pending thumbnails
DWELL_MS = 40  # while scrolling, a tile on screen at three checks this far apart is loaded


class GalleryManager(RenditionSource, Protocol):
    """What the gallery needs from StreamImageManager."""

    def count(
        self, viewer: Viewer, stream_id: str | None = None, search: str | None = None
    ) -> int: ...

    def image_page(
        self,
        viewer: Viewer,
        stream_id: str | None,
        search: str | None,
        sort: Sort,
        offset: int,
        limit: int,
    ) -> list[StreamImage]: ...

    def image_keys(
        self,
        viewer: Viewer,
        stream_id: str | None = None,
        search: str | None = None,
        sort: Sort = Sort.NEWEST,
    ) -> tuple[list[str], list[Visibility]]: ...

    def images_by_id(self, viewer: Viewer, image_ids: Sequence[str]) -> list[StreamImage]: ...


@dataclass(frozen=True)
class _Query:
    viewer: Viewer
    stream_id: str | None
    search: str
    sort: Sort


_BY_ID_CHUNK = 500  # ids per query when a refresh rereads the rows held in memory

Keys = tuple[list[str], list[Visibility]]


def read_first_page(manager: GalleryManager, q: _Query) -> tuple[int, list[StreamImage]]:
    """Worker: how many rows the query has, and the first page of them."""
    search = q.search or None
    count = manager.count(q.viewer, q.stream_id, search)
    return count, manager.image_page(q.viewer, q.stream_id, search, q.sort, 0, PAGE_ROWS)


def read_page(
    manager: GalleryManager, q: _Query, offset: int, limit: int, ids: Sequence[str] | None
) -> list[StreamImage]:
    """Worker: one page of rows, by id once the ids are known (fast anywhere), else by offset."""
    if ids is not None:
        return manager.images_by_id(q.viewer, ids)
    return manager.image_page(q.viewer, q.stream_id, q.search or None, q.sort, offset, limit)


def read_refresh(
    manager: GalleryManager, q: _Query, pages: Sequence[int]
) -> tuple[Keys, list[StreamImage]]:
    """Worker: the query's keys again and the rows of the pages the grid holds, read afresh
    (rows that moved into those pages too, so a new image is not a placeholder)."""
    keys = manager.image_keys(q.viewer, q.stream_id, q.search or None, q.sort)
    ids = keys[0]
    held = [i for p in sorted(pages) for i in ids[p * PAGE_ROWS : (p + 1) * PAGE_ROWS]]
    fresh: list[StreamImage] = []
    for start in range(0, len(held), _BY_ID_CHUNK):
        fresh += manager.images_by_id(q.viewer, held[start : start + _BY_ID_CHUNK])
    return keys, fresh


class GalleryWidget(QWidget):
    """The gallery: a GalleryView over a GalleryModel painted by a GalleryDelegate.

    The query runs on a worker and a generation counter drops stale results; thumbnails load
    on the ThumbnailLoader's workers, visible rows first. Changing the role removes the rows
    it may not see at once, before the new query even starts.

    Signals:
        open_requested(str): Enter or double-click on an image (its id).
        delete_requested(list): the Delete key with these image ids selected.
        context_menu_requested(QPoint, list): a global position and the selected ids.
        shown_changed(int): how many images the grid shows, after each query or filter.
        thumbnails_idle(): no thumbnail of a visible row is still loading.
        query_failed(str): the query could not run; a one-line reason.

    Attributes:
        view: the GalleryView (a QListView).
        model: the GalleryModel.
        delegate: the GalleryDelegate.
        loader: the ThumbnailLoader.
    """

    open_requested = Signal(str)
    delete_requested = Signal(list)
    context_menu_requested = Signal(QPoint, list)
    shown_changed = Signal(int)
    thumbnails_idle = Signal()
    query_failed = Signal(str)

    def __init__(
        self, manager: GalleryManager, pixmap_cache: PixmapCache, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._manager = manager
        self._queries = TaskRunner(1, self)
        self._generation = 0
        self._query: _Query | None = None
        self._shown: _Query | None = None  # the query whose result the model holds
        self._loading = False
        self._idle = False
        self._painted = False  # the view painted since the rows or the viewport changed
        self._empty_text = DEFAULT_EMPTY_TEXT
        self.loader = ThumbnailLoader(manager, parent=self)
        self.model = GalleryModel(pixmap_cache, self.loader, self)
        self.gc = GcPacer(self)
        self.view = GalleryView(self)
        self.delegate = GalleryDelegate(self.view, DEFAULT_TILE)
        self.view.setItemDelegate(self.delegate)
        self.view.setModel(self.model)
        self.model.set_tile_size(self.delegate.tile_size)
        self._apply_tile_size()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.setFocusProxy(self.view)

        self._idle_check = QTimer(self, singleShot=True, interval=IDLE_CHECK_MS)
        self._idle_check.timeout.connect(self._on_idle_check)
        self._prune = QTimer(self, singleShot=True, interval=120)
        self._prune.timeout.connect(self._on_prune)
        # Scrolling: thumbnails and pages only of tiles that stay on screen (see _on_dwell).
        self._dwell = QTimer(self, singleShot=True, interval=DWELL_MS)
        self._dwell.timeout.connect(self._on_dwell)
        self._moved = False
        self._seen: tuple[range, range] = (range(0), range(0))  # rows at the last two checks
        self.view.painted.connect(self._on_view_painted)
        self.view.open_pressed.connect(self._on_open_pressed)
        self.view.delete_pressed.connect(self._on_delete_pressed)
        self.view.doubleClicked.connect(self._on_double_clicked)
        self.view.customContextMenuRequested.connect(self._on_context_menu)
        self.view.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.loader.loaded.connect(self._on_thumbnail_done)
        self.loader.failed.connect(self._on_thumbnail_done)

    # Public API ----------------------------------------------------------------------------

    @property
    def query(self) -> _Query | None:
        return self._query

    @property
    def loading(self) -> bool:
        """True while a query runs."""
        return self._loading

    @property
    def tile_size(self) -> int:
        return self.delegate.tile_size

    def set_query(
        self, viewer: Viewer, stream_id: str | None, search: str = "", sort: Sort = Sort.NEWEST
    ) -> None:
        """Show `stream_id` as `viewer` sees it; the query runs off the GUI thread.

        A narrower role takes effect at once: rows it may not see leave the grid before the
        query starts. Another stream empties the grid until its rows arrive.
        """
        new = _Query(viewer, stream_id, search.strip(), Sort(sort))
        old, self._query = self._query, new
        if old is None or (old.viewer, old.stream_id, old.search) != (
            viewer,
            new.stream_id,
            new.search,
        ):
            self.loader.clear_pending()  # queued thumbnails are stale; late ones are ignored
        if old is not None and old.stream_id != stream_id:
            self.model.set_images(viewer, [])  # no rows of the old stream while loading
        elif old is not None and old.viewer != viewer:
            self.view.set_batched(False)
            if self.model.restrict_to(viewer):
                self.shown_changed.emit(self.model.rowCount())
        self.model.viewer = viewer
        self._run_query()

    def refresh(self) -> None:
        """Run the same query again (after an import, edit or delete)."""
        if self._query is not None:
            self._run_query()

    def set_tile_size(self, px: int) -> None:
        """Thumbnail side in logical pixels (clamped to 64..320); the first visible image stays."""
        rows = self.view.visible_rows()
        self.view.set_batched(False)
        self.delegate.set_tile_size(px)
        self.model.set_tile_size(self.delegate.tile_size)
        self._apply_tile_size()
        if rows:
            self.view.scrollTo(self.model.index(rows[0], 0), QListView.ScrollHint.PositionAtTop)
        self._on_viewport_moved()

    def set_empty_text(self, text: str) -> None:
        self._empty_text = text
        if not self._loading:
            self.view.empty_text = text
            self.view.viewport().update()

    def selected_ids(self) -> list[str]:
        """Ids of the selected images, in grid order."""
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [i for r in rows if (i := self.model.id_at(r)) is not None]

    def current_image(self) -> StreamImage | None:
        return self.model.image_at(self.view.currentIndex().row())

    def visible_ids(self) -> list[str]:
        """Ids of the images whose tiles are in the viewport now."""
        return [i for r in self.view.visible_rows() if (i := self.model.id_at(r)) is not None]

    def shutdown(self) -> None:
        """Stop background work; call before the manager is closed."""
        self._queries.clear_queued()
        self.loader.shutdown()
        self.model.shutdown()
        self._queries.wait(5000)
        self.gc.idle()

    # Internals -----------------------------------------------------------------------------

    def _apply_tile_size(self) -> None:
        """Grid cells of the tile's size, widened to share the viewport's spare width evenly
        among the columns, so the grid has no empty strip on its right."""
        cell: QSize = self.delegate.cell_size(self.view.fontMetrics())
        # The scroll bar's width is always set aside, so its coming and going cannot reflow.
        bar = self.view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = self.view.width() - 2 * self.view.frameWidth() - bar - 1
        columns = max(1, width // max(1, cell.width()))
        cell.setWidth(max(cell.width(), width // columns))
        if cell != self.view.gridSize():
            self.view.setGridSize(cell)
        self.view.setIconSize(QSize(self.delegate.tile_size, self.delegate.tile_size))

    def _run_query(self) -> None:
        query = self._query
        assert query is not None
        self._generation += 1
        self._loading = True
        self._idle = self._painted = False
        self._queries.clear_queued()
        self.view.empty_text = "Loading…"
        self.view.viewport().update()
        generation = self._generation
        failed = partial(self._on_query_failed, generation)
        if self._shown != query:  # a new result: its count and first page, then its keys
            self._queries.submit(
                partial(read_first_page, self._manager, query),
                partial(self._on_first_page, generation),
                failed,
            )
        else:  # the same query again: its keys and the rows held, read afresh
            held = self.model.rows.held_pages()
            self._queries.submit(
                partial(read_refresh, self._manager, query, held),
                partial(self._on_refreshed, generation),
                failed,
            )

    def _fetcher(self, query: _Query) -> Fetch:
        return partial(read_page, self._manager, query)

    def _on_first_page(self, generation: int, result: tuple[int, list[StreamImage]]) -> None:
        if generation != self._generation or self._query is None:
            return  # a newer query is on its way
        count, first = result
        query, self._shown = self._query, self._query
        self._loading = False
        self.view.empty_text = self._empty_text
        self.view.set_batched(True)
        self.model.set_first_page(query.viewer, count, first, self._fetcher(query))
        if not self.model.rows.complete:  # the ids of every row, for selection and stepping
            self._queries.submit(
                partial(
                    self._manager.image_keys,
                    query.viewer,
                    query.stream_id,
                    query.search or None,
                    query.sort,
                ),
                partial(self._on_keys, generation),
                partial(self._on_query_failed, generation),
            )
        self._shown_now()

    def _on_keys(self, generation: int, keys: Keys) -> None:
        if generation != self._generation or self._query is None:
            return
        before = self.model.rowCount()
        self.model.adopt_keys(self._query.viewer, *keys, self._fetcher(self._query))
        self.gc.loaded()
        if self.model.rowCount() != before:  # the library changed since the first page
            self._shown_now()

    def _on_refreshed(self, generation: int, result: tuple[Keys, list[StreamImage]]) -> None:
        if generation != self._generation or self._query is None:
            return
        self._loading = False
        self.view.empty_text = self._empty_text
        (ids, visibility), fresh = result
        query = self._query
        # The same query again: keep selection, current image and scroll position.
        self.view.set_batched(False)
        selected = set(self.selected_ids())
        current = self.view.currentIndex()
        current_id = self.model.id_at(current.row()) if current.isValid() else None
        scroll = self.view.verticalScrollBar().value()
        fetch = self._fetcher(query)
        if not self.model.update_keys(query.viewer, ids, visibility, fresh, fetch):
            self._restore(selected, current_id, scroll)
        self._shown_now()

    def _shown_now(self) -> None:
        self._on_viewport_moved()
        self.view.viewport().update()
        self.shown_changed.emit(self.model.rowCount())

    def _on_query_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        self._loading = False
        reason = failures.handle(error)
        self.view.empty_text = f"The images could not be listed: {reason}"
        self.view.viewport().update()
        self.query_failed.emit(reason)

    def _restore(self, selected: set[str], current: str | None, scroll: int) -> None:
        """Keep the selection, current image and scroll position across a refresh."""
        selection = self.view.selectionModel()
        if current is not None and (index := self.model.index_of(current)).isValid():
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        rows = sorted(r for i in selected if (r := self.model.row_of(i)) is not None)
        ranges = QItemSelection()
        start = 0
        for n, row in enumerate(rows):  # one range per run of adjacent rows
            if n + 1 == len(rows) or rows[n + 1] != row + 1:
                ranges.select(self.model.index(rows[start], 0), self.model.index(row, 0))
                start = n + 1
        selection.select(ranges, QItemSelectionModel.SelectionFlag.Select)
        self.view.verticalScrollBar().setValue(scroll)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.model.set_device_pixel_ratio(self.devicePixelRatioF())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self.model.set_device_pixel_ratio(self.devicePixelRatioF())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_tile_size()
        self._on_viewport_moved()

    def _on_viewport_moved(self, *_args: object) -> None:
        """Other rows are on screen: re-arm the idle signal and prune the thumbnail queue."""
        self.gc.busy()
        self.model.new_viewport_epoch()
        self._idle = self._painted = False

    def _on_scrolled(self, *_args: object) -> None:
        """The scroll moved: misses wait for the dwell check instead of loading at once."""
        self._on_viewport_moved()
        self._moved = True
        if not self._dwell.isActive():
            if not self.model.holding:
                self._seen = (self.view.visible_rows(), self.view.visible_rows())
            self.model.hold_requests()
            self._dwell.start()
        if not self._prune.isActive():  # throttled, so a long scroll prunes as it goes
            self._prune.start()

    def _on_dwell(self) -> None:
        """While scrolling: thumbnails of rows on screen now and at the last two checks, and
        pages (titles, one query per 200 rows) of rows on screen now and at the last one.
        A fast scroll's tiles are gone before they would load, and the workers would take
        the GIL from the frames painting the next ones. Once still: every visible row."""
        rows = self.view.visible_rows()
        if self._moved:
            self._moved = False
            older, last = self._seen
            titled = range(max(rows.start, last.start), min(rows.stop, last.stop))
            steady = range(max(titled.start, older.start), min(titled.stop, older.stop))
            self._seen = (last, rows)
            self.model.release_requests(steady, stop=False, pages=titled, keep=rows)
            self._dwell.start()
        else:
            self.model.release_requests(rows, stop=True)
        if not self._idle_check.isActive():
            self._idle_check.start()

    def _on_view_painted(self) -> None:
        self._painted = True
        if not self._idle_check.isActive():
            self._idle_check.start()

    def _on_prune(self) -> None:
        """Drop queued thumbnail requests of rows scrolled out of view."""
        self.loader.retain(set(self.visible_ids()))

    def _on_thumbnail_done(self, *_args: object) -> None:
        if not self._idle_check.isActive():
            self._idle_check.start()

    def _on_idle_check(self) -> None:
        if self._loading or not self._painted or not self.view.isVisible():
            return
        pending = any(self.model.thumbnail_pending(r) for r in self.view.visible_rows())
        if pending:
            self._idle = False
        elif not self._idle:
            self._idle = True
            self.thumbnails_idle.emit()

    def _open(self, index: QModelIndex) -> None:
        image_id = self.model.id_at(index.row()) if index.isValid() else None
        if image_id is not None:
            self.open_requested.emit(image_id)

    def _on_open_pressed(self) -> None:
        self._open(self.view.currentIndex())

    def _on_double_clicked(self, index: QModelIndex) -> None:
        self._open(index)

    def _on_delete_pressed(self) -> None:
        ids = self.selected_ids()
        if not ids and (current := self.current_image()) is not None:
            ids = [current.id]
        if ids:
            self.delete_requested.emit(ids)

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        selection = self.view.selectionModel()
        if index.isValid() and not selection.isSelected(index):
            selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect)
        self.context_menu_requested.emit(self.view.viewport().mapToGlobal(pos), self.selected_ids())
