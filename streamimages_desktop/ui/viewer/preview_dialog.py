"""The larger preview of one image: display rendition loaded off-thread, its text and counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPaintEvent, QPixmap, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QSizePolicy, QVBoxLayout, QWidget

from streamimages_desktop.core.access import can_see
from streamimages_desktop.core.labels import visibility_name
from streamimages_desktop.core.models import StreamImage, Viewer
from streamimages_desktop.core.units import count_of, format_bytes
from streamimages_desktop.ui.gallery.pixmap_cache import PREVIEW_PAGE
from streamimages_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache

DISPLAY = "display"
BACKDROP = QColor("#202124")
MARGIN = 16


def describe(image: StreamImage) -> str:
    """The facts line under the title: visibility, pixels, bytes, format and views."""
    parts = (
        visibility_name(image.visibility),
        f"{image.width} x {image.height} px",
        format_bytes(image.bytes),
        image.format,
        count_of(image.views, "view"),
    )
    return "  ·  ".join(parts)


def decode_display(manager: StreamImageManager, viewer: Viewer, image_id: str) -> QImage:
    """Worker side: the access-checked display rendition as a QImage."""
    image = QImage.fromData(manager.rendition(viewer, image_id, DISPLAY))
    if image.isNull():
        raise ValueError("the display rendition could not be decoded")
    return image


class _ImageView(QWidget):
    """Paints one pixmap fitted into the widget, centred, aspect ratio kept."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap = QPixmap()
        self.text = ""
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(960, 600)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKDROP)
        if self.pixmap.isNull():
            painter.setPen(QColor("#e8eaed"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        dpr = self.pixmap.devicePixelRatio()
        w, h = self.pixmap.width() / dpr, self.pixmap.height() / dpr
        area = self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        scale = min(area.width() / w, area.height() / h, 1.0)
        tw, th = w * scale, h * scale
        target = QRectF(
            area.x() + (area.width() - tw) / 2, area.y() + (area.height() - th) / 2, tw, th
        )
        painter.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))


class PreviewDialog(QDialog):
    """A non-modal window with one image large, its title, description, visibility, size and views.

    Opening counts a view (manager.open_image) for roles other than the owner. The dialog never
    shows an image the current role may not see: `enforce(viewer)` closes and clears it.

    Signals:
        loaded(object): the StreamImage shown, once its details arrived.
        pixmap_shown(str): the image id whose display rendition is now painted.

    Attributes:
        view: the widget painting the display rendition.
        title_label, description_label, facts_label: the text about the image.
    """

    loaded = Signal(object)
    pixmap_shown = Signal(str)

    def __init__(
        self,
        manager: StreamImageManager,
        pixmap_cache: PixmapCache,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self.setAccessibleName("Image preview")
        self.setModal(False)
        self._manager = manager
        self._cache = pixmap_cache
        self._runner = runner or TaskRunner(max_threads=1, parent=self)
        self._generation = 0
        self._viewer: Viewer | None = None
        self._image_id: str | None = None
        self.image: StreamImage | None = None
        self.view = _ImageView(self)
        self.view.setAccessibleName("Preview image")
        self.title_label = self._label("Image title", "font-size: 15pt; font-weight: 600;")
        self.description_label = self._label("Image description", "")
        self.facts_label = self._label("Image details", "color: #5f6368;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 14)
        layout.setSpacing(4)
        layout.addWidget(self.view, 1)
        layout.addSpacing(6)
        for label in (self.title_label, self.description_label, self.facts_label):
            label.setContentsMargins(16, 0, 16, 0)
            layout.addWidget(label)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        self.resize(960, 700)

    def _label(self, name: str, style: str) -> QLabel:
        label = QLabel(self)
        label.setAccessibleName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if style:
            label.setStyleSheet(style)
        return label

    @property
    def image_id(self) -> str | None:
        return self._image_id

    def show_image(self, viewer: Viewer, image_id: str) -> None:
        """Show `image_id` as `viewer` sees it; details and pixels arrive from workers."""
        self._generation += 1
        generation = self._generation
        self._viewer, self._image_id, self.image = viewer, image_id, None
        self._clear("Loading…")
        self.show()
        self.raise_()
        self._runner.submit(
            lambda: self._manager.open_image(viewer, image_id),
            lambda image: self._on_details_loaded(generation, image),
            lambda exc: self._on_failed(generation, exc),
        )

    def enforce(self, viewer: Viewer) -> None:
        """The role changed: close and forget the image at once unless `viewer` may see it."""
        if self._image_id is None:
            return
        if self.image is None or not can_see(viewer, self.image.visibility):
            self.forget()
            return
        self._viewer = viewer

    def forget(self, image_id: str | None = None) -> None:
        """Clear and close (only if showing `image_id`, when given): it was deleted or hidden."""
        if image_id is not None and image_id != self._image_id:
            return
        self._generation += 1  # answers still in flight are dropped
        self._image_id, self.image = None, None
        self._clear("")
        self.close()

    def _clear(self, text: str) -> None:
        self.view.pixmap = QPixmap()
        self.view.text = text
        self.view.update()
        for label in (self.title_label, self.description_label, self.facts_label):
            label.clear()
        self.setWindowTitle("Preview")

    def _on_details_loaded(self, generation: int, image: StreamImage) -> None:
        if generation != self._generation or self._viewer is None:
            return
        if not can_see(self._viewer, image.visibility):
            self.forget()
            return
        self.image = image
        self.setWindowTitle(f"{image.title} — Preview")
        self.title_label.setText(image.title)
        self.description_label.setText(image.description)
        self.description_label.setVisible(bool(image.description))
        self.facts_label.setText(describe(image))
        self.loaded.emit(image)
        dpr = self.devicePixelRatioF()
        cached = self._cache.get(PREVIEW_PAGE, image.id, DISPLAY, dpr)
        if cached is not None:
            self._show_pixmap(image.id, cached)
            return
        viewer = self._viewer
        self._runner.submit(
            lambda: decode_display(self._manager, viewer, image.id),
            lambda qimage: self._on_pixels_loaded(generation, image.id, qimage),
            lambda exc: self._on_failed(generation, exc),
        )

    def _on_pixels_loaded(self, generation: int, image_id: str, qimage: QImage) -> None:
        if generation != self._generation:
            return
        pixmap = QPixmap.fromImage(qimage)
        self._cache.put(PREVIEW_PAGE, image_id, DISPLAY, self.devicePixelRatioF(), pixmap)
        self._show_pixmap(image_id, pixmap)

    def _show_pixmap(self, image_id: str, pixmap: QPixmap) -> None:
        self.view.pixmap = pixmap
        self.view.update()
        self.pixmap_shown.emit(image_id)

    def _on_failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation:
            return
        self._clear(f"Cannot show this image: {exc}")
