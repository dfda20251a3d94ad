"""ImageView: one picture, fitted or zoomed about a point, panned by dragging; paints only."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

BACKDROP = QColor("#202124")
INK = QColor("#e8eaed")
MARGIN = 16
ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 16.0  # in device pixels per original pixel


class ImageView(QWidget):
    """Paints `pixmap` (a rendition of a `source_size` original) fitted, or at a zoom.

    Zoom is in device pixels per original pixel: 1.0 is 1:1 on any screen. "Fit" shows the
    whole picture, never enlarged past 1:1, and follows the window's size; any other zoom keeps
    the original's point `center` in the middle of the widget (dragging moves it).

    Signals:
        zoom_changed(float): the zoom now in effect (device pixels per original pixel).
        painted(): after each paint (the benchmark waits for it).

    Attributes:
        pixmap: what is painted (the display rendition or an animation frame).
        text: shown instead when there is no pixmap ("Loading…", a reason).
    """

    zoom_changed = Signal(float)
    painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap = QPixmap()
        self.text = ""
        self._source = QSizeF()
        self._zoom: float | None = None  # None: fit
        self._center = QPointF()
        self._drag: QPointF | None = None
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the viewer window
        self.setAccessibleName("Viewer image")

    def sizeHint(self) -> QSize:
        return QSize(960, 640)

    # --- what is shown ----------------------------------------------------------------------

    def set_pixmap(self, pixmap: QPixmap, source_size: QSize, *, keep_zoom: bool = False) -> None:
        """Show `pixmap` for an original of `source_size`; a new image starts fitted."""
        new_source = QSizeF(source_size) if source_size.isValid() else QSizeF(pixmap.size())
        if not keep_zoom or new_source != self._source:
            self._zoom = None
            self._center = QPointF(new_source.width() / 2, new_source.height() / 2)
        self._source = new_source
        self.pixmap, self.text = pixmap, ""
        self.update()
        self.zoom_changed.emit(self.zoom)

    def set_frame(self, pixmap: QPixmap) -> None:
        """The next frame of an animation: same image, same zoom and pan."""
        self.pixmap = pixmap
        self.update()

    def clear(self, text: str = "") -> None:
        self.pixmap, self.text, self._zoom, self._drag = QPixmap(), text, None, None
        self.update()

    # --- zoom and pan -----------------------------------------------------------------------

    @property
    def is_fit(self) -> bool:
        return self._zoom is None

    @property
    def zoom(self) -> float:
        """Device pixels per original pixel now (the fitted zoom while fitting)."""
        return self._zoom if self._zoom is not None else self._fit_zoom()

    @property
    def center(self) -> QPointF:
        """The original's point in the middle of the widget."""
        return QPointF(self._center)

    def fit(self) -> None:
        self._zoom = None
        self._center = QPointF(self._source.width() / 2, self._source.height() / 2)
        self.update()
        self.zoom_changed.emit(self.zoom)

    def actual_size(self) -> None:
        """1:1: one original pixel on one device pixel."""
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the original's point under `anchor` (widget coordinates) in place."""
        if self.pixmap.isNull():
            return
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if anchor is not None:
            before = self._to_source(anchor)
            self._zoom = zoom
            scale = self._scale()
            mid = QPointF(self.width() / 2, self.height() / 2)
            self._center = before - (anchor - mid) / scale
        else:
            self._zoom = zoom
        self._clamp()
        self.update()
        self.zoom_changed.emit(self.zoom)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) logical pixels, as a drag does."""
        if self._zoom is None:
            return
        self._center -= QPointF(dx, dy) / self._scale()
        self._clamp()
        self.update()

    # --- geometry ---------------------------------------------------------------------------

    def _dpr(self) -> float:
        return self.devicePixelRatioF() or 1.0

    def _fit_zoom(self) -> float:
        w, h = self._source.width(), self._source.height()
        if w <= 0 or h <= 0:
            return 1.0
        area_w = max(1, self.width() - 2 * MARGIN) * self._dpr()
        area_h = max(1, self.height() - 2 * MARGIN) * self._dpr()
        return min(area_w / w, area_h / h, 1.0)

    def _scale(self) -> float:
        """Logical pixels per original pixel."""
        return self.zoom / self._dpr()

    def _to_source(self, point: QPointF) -> QPointF:
        mid = QPointF(self.width() / 2, self.height() / 2)
        return self._center + (point - mid) / self._scale()

    def _clamp(self) -> None:
        """Keep the picture on screen: centred along a side that fits, edge-bound otherwise."""
        scale = self._scale()

        def bound(value: float, length: float, view: float) -> float:
            if length * scale <= view:
                return length / 2
            half = view / 2 / scale
            return max(half, min(length - half, value))

        self._center = QPointF(
            bound(self._center.x(), self._source.width(), self.width()),
            bound(self._center.y(), self._source.height(), self.height()),
        )

    def target_rect(self) -> QRectF:
        """Where the picture is painted, in widget coordinates."""
        if self._zoom is None:
            self._center = QPointF(self._source.width() / 2, self._source.height() / 2)
        scale = self._scale()
        w, h = self._source.width() * scale, self._source.height() * scale
        left = self.width() / 2 - self._center.x() * scale
        top = self.height() / 2 - self._center.y() * scale
        return QRectF(left, top, w, h)

    # --- events -----------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKDROP)
        if self.pixmap.isNull():
            painter.setPen(INK)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(MARGIN, 0, -MARGIN, 0), int(flags), self.text)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 2.0)
            painter.drawPixmap(self.target_rect(), self.pixmap, QRectF(self.pixmap.rect()))
        painter.end()
        self.painted.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._zoom is not None:
            self._clamp()
        else:
            self.zoom_changed.emit(self.zoom)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps and not self.pixmap.isNull():
            self.set_zoom(self.zoom * ZOOM_STEP**steps, event.position())
            event.accept()
        else:
            event.ignore()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._zoom is not None:
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            delta = event.position() - self._drag
            self._drag = event.position()
            self.pan_by(delta.x(), delta.y())
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag = None
            self.unsetCursor()
        else:
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Double-click toggles between fit and 1:1, as in most viewers."""
        if self.pixmap.isNull():
            return
        if self._zoom is None:
            self.set_zoom(1.0, event.position())
        else:
            self.fit()
