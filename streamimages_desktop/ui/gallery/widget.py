"""GalleryWidget: the thumbnail grid of a stream as one role sees it, filled off the GUI thread."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QPoint, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QListView, QVBoxLayout, QWidget

from streamimages_desktop.core.models import Sort, StreamImage, Viewer
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.gallery.delegate import DEFAULT_TILE, GalleryDelegate
from streamimages_desktop.ui.gallery.dwell import ScrollDwell
from streamimages_desktop.ui.gallery.model import GalleryModel
from streamimages_desktop.ui.gallery.pacing import GcPacer
from streamimages_desktop.ui.gallery.paged_rows import Fetch
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.gallery.queries import (
    GalleryManager,
    GalleryQuery,
    Keys,
    read_first_page,
    read_keys,
    read_page,
    read_refresh,
)
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader
from streamimages_desktop.ui.gallery.view import DEFAULT_EMPTY_TEXT, GalleryView
from streamimages_desktop.ui.tasks import TaskRunner


class GalleryWidget(QWidget):
    """The gallery: a GalleryView over a GalleryModel painted by a GalleryDelegate.

    The query runs on a worker and a generation counter drops stale results; thumbnails load
    on the ThumbnailLoader's workers, visible rows first, paced by a ScrollDwell while the
    grid scrolls. Changing the role removes the rows it may not see at once, before the new
    query even starts.

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
        self._query: GalleryQuery | None = None
        self._shown: GalleryQuery | None = None  # the query whose result the model holds
        self._loading = False
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

        self._dwell = ScrollDwell(
            self.view, self.model, self.loader, self.gc, self._is_loading, self
        )
        self._dwell.idle.connect(self.thumbnails_idle)
        self.view.open_pressed.connect(self._on_open_pressed)
        self.view.delete_pressed.connect(self._on_delete_pressed)
        self.view.doubleClicked.connect(self._on_double_clicked)
        self.view.customContextMenuRequested.connect(self._on_context_menu)

    # Public API ----------------------------------------------------------------------------

    @property
    def query(self) -> GalleryQuery | None:
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
        new = GalleryQuery(viewer, stream_id, search.strip(), Sort(sort))
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
        self._dwell.viewport_moved()

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
        self.view.fit_cells(
            self.delegate.cell_size(self.view.fontMetrics()), self.delegate.tile_size
        )

    def _is_loading(self) -> bool:
        return self._loading

    def _run_query(self) -> None:
        query = self._query
        assert query is not None
        self._generation += 1
        self._loading = True
        self._dwell.rearm()
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

    def _fetcher(self, query: GalleryQuery) -> Fetch:
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
                partial(read_keys, self._manager, query),
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
        self._dwell.viewport_moved()
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
        self._dwell.viewport_moved()

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
