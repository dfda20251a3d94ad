"""GalleryView: the wrapping icon grid of uniform tiles, with an empty-state overlay."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QDrag, QKeyEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QWidget

DEFAULT_EMPTY_TEXT = "Drop images here or press Ctrl+O"
LAYOUT_BATCH = 500


class GalleryView(QListView):
    """A static, wrapping icon grid of uniform tiles with an empty-state overlay.

    Signals:
        open_pressed(): Enter or Return on the current item.
        delete_pressed(): the Delete key.
        painted(): after each paint of the viewport (thumbnails are requested while painting).

    Attributes:
        empty_text: what the overlay says when there are no rows.
    """

    open_pressed = Signal()
    delete_pressed = Signal()
    painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = DEFAULT_EMPTY_TEXT
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setBatchSize(LAYOUT_BATCH)
        self._layout_watch = QTimer(self, interval=50)
        self._layout_watch.timeout.connect(self._on_layout_watch)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(True)  # tiles onto a stream in the browser (move; Ctrl copies)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setAccessibleName("Image gallery")
        self.setAccessibleDescription(
            "Thumbnails of the stream's images. Enter opens one, Delete removes the selection."
        )

    def set_batched(self, batched: bool) -> None:
        """Lay out a new result in batches; everything else in one pass.

        Batched lays out and paints the first screen before the rest of a long stream
        (10,000 rows: a ~25 ms stall instead of ~75-115 ms), but each later relayout (a
        resize, a tile size, an import or delete) would start from the top again and pull
        the scroll position back. So once the last row is placed the view goes back to one
        pass, and callers changing rows ask for one pass at once.
        """
        mode = QListView.LayoutMode.Batched if batched else QListView.LayoutMode.SinglePass
        if self.layoutMode() != mode:
            self.setLayoutMode(mode)
        if batched:
            self._layout_watch.start()
        else:
            self._layout_watch.stop()

    def fit_cells(self, cell: QSize, tile_size: int) -> None:
        """Grid cells of at least `cell`, widened to share the viewport's spare width evenly
        among the columns, so the grid has no empty strip on its right; icons of `tile_size`."""
        # The scroll bar's width is always set aside, so its coming and going cannot reflow.
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = self.width() - 2 * self.frameWidth() - bar - 1
        columns = max(1, width // max(1, cell.width()))
        cell.setWidth(max(cell.width(), width // columns))
        if cell != self.gridSize():
            self.setGridSize(cell)
        self.setIconSize(QSize(tile_size, tile_size))

    def _on_layout_watch(self) -> None:
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if count == 0 or self.visualRect(model.index(count - 1, 0)).isValid():
            self.set_batched(False)  # the batched layout has placed every row

    def set_drag_provider(self, provider: Callable[[], QMimeData | None]) -> None:
        """Let tiles be dragged out; `provider` gives the data (None: nothing to drag)."""
        self._drag_provider = provider
        self.setDragEnabled(True)

    def startDrag(self, supportedActions: Qt.DropAction) -> None:
        provider = getattr(self, "_drag_provider", None)
        mime = provider() if provider is not None else None
        if mime is not None:
            drag = QDrag(self)
            drag.setMimeData(mime)
            drag.exec(Qt.DropAction.CopyAction)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_pressed.emit()
        elif key == Qt.Key.Key_Delete:
            self.delete_pressed.emit()
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is None or model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.25)
            painter.setFont(font)
            area = self.viewport().rect().adjusted(24, 24, -24, -24)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(area, int(flags), self.empty_text)
            painter.end()
        self.painted.emit()

    def visible_rows(self) -> range:
        """Rows whose tile intersects the viewport (binary search: rows are laid out in order)."""
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if count == 0 or not self.isVisible():
            return range(0)
        height = self.viewport().height()

        def first_row(start: int, beyond: Callable[[QRect], bool]) -> int:
            low, high = start, count
            while low < high:
                mid = (low + high) // 2
                tile = self.visualRect(model.index(mid, 0))
                if tile.isValid() and not beyond(tile):  # not laid out yet: past the end
                    low = mid + 1
                else:
                    high = mid
            return low

        first = first_row(0, lambda tile: tile.bottom() >= 0)
        return range(first, first_row(first, lambda tile: tile.top() >= height))
