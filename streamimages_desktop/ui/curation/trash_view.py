"""The owner's Trash: what was deleted, each with its thumbnail, with Restore (undoable) and
Empty Trash (asks first)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.errors import StreamImagesError
from streamimages_desktop.core.labels import sentence
from streamimages_desktop.core.models import OWNER, TrashedImage
from streamimages_desktop.core.units import count_of
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.curation.commands import CurationStack
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window import dialogs

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

_ID_ROLE = Qt.ItemDataRole.UserRole
THUMB_PX = 48  # a row's thumbnail: enough to tell the pictures apart, titles still lead


def _fetch_thumbnail(manager: StreamImageManager, image_id: str, side: int) -> QImage:
    return thumbnail_image(manager.trashed_thumbnail(OWNER, image_id), side)


def thumbnail_image(data: bytes, side: int) -> QImage:
    """The JPEG thumbnail fitted and centred in a clear `side` square, so every row is as tall
    as the next (decoded and painted on a worker); null if unreadable."""
    image = QImage.fromData(data)
    if image.isNull():
        return image
    fitted = image.scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    square = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    square.fill(Qt.GlobalColor.transparent)
    painter = QPainter(square)
    painter.drawImage((side - fitted.width()) // 2, (side - fitted.height()) // 2, fitted)
    painter.end()
    return square


class TrashDialog(QDialog):
    """Lists the trash (newest first); every read and write runs on the runner.

    Signals:
        loaded(int): the list was (re)filled with this many images.
        thumbnails_shown(): every thumbnail of the latest fill has arrived (or failed).
    """

    loaded = Signal(int)
    thumbnails_shown = Signal()

    def __init__(
        self,
        manager: StreamImageManager,
        runner: TaskRunner,
        curation: CurationStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._manager, self._runner, self._curation = manager, runner, curation
        self.setWindowTitle("Trash")
        self.setAccessibleName("Trash")
        self.resize(620, 360)
        self.note = QLabel("Deleted images wait here until the trash is emptied.", self)
        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("Trashed images")
        self.tree.setHeaderLabels(["Title", "Stream", "Trashed", "ID"])
        self.tree.setRootIsDecorated(False)
        self.tree.setIconSize(QSize(THUMB_PX, THUMB_PX))
        # Their own pool, so a long trash never queues ahead of the window's other work and a
        # new fill can drop the thumbnails the last one still waits for.
        self._thumbnails = TaskRunner(parent=self)
        self._generation = 0
        self._waiting: dict[str, QTreeWidgetItem] = {}
        self._placeholder = QPixmap(THUMB_PX, THUMB_PX)
        self._placeholder.fill(self.palette().mid().color())
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.restore_button = QPushButton("Restore", self)
        self.restore_button.setAccessibleName("Restore selected images")
        self.empty_button = QPushButton("Empty Trash…", self)
        self.empty_button.setAccessibleName("Empty Trash")
        for button in (self.restore_button, self.empty_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button.clicked.connect(self._on_empty_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        curation.changed.connect(self.reload)
        self._update_buttons()

    def reload(self) -> None:
        self._runner.submit(lambda: self._manager.trash(OWNER), self._fill, self._on_failed)

    def _fill(self, items: list[TrashedImage]) -> None:
        self.tree.clear()
        self._thumbnails.clear_queued()
        self._generation += 1
        self._waiting = {}
        placeholder = QIcon(self._placeholder)
        for item in items:
            when = item.trashed.astimezone().strftime("%Y-%m-%d %H:%M")
            row = QTreeWidgetItem([item.image.title, item.image.stream_id, when, item.image.id])
            row.setData(0, _ID_ROLE, item.image.id)
            row.setIcon(0, placeholder)
            self.tree.addTopLevelItem(row)
            self._waiting[item.image.id] = row
        self._load_thumbnails()
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        self.note.setText(
            f"{count_of(len(items), 'image')} in the trash; they are purged after"
            f" {self._manager.settings.image_trash_days:g} days."
            if items
            else "The trash is empty."
        )
        self._update_buttons()
        self.loaded.emit(len(items))

    def _load_thumbnails(self) -> None:
        manager, generation = self._manager, self._generation
        side = round(THUMB_PX * self.devicePixelRatioF())
        for image_id in list(self._waiting):
            self._thumbnails.submit(
                partial(_fetch_thumbnail, manager, image_id, side),
                partial(self._show_thumbnail, generation, image_id),
                partial(self._no_thumbnail, generation, image_id),
            )
        if not self._waiting:
            self.thumbnails_shown.emit()

    def _show_thumbnail(self, generation: int, image_id: str, image: QImage) -> None:
        if generation != self._generation:  # a later fill replaced this row
            return
        row = self._waiting.pop(image_id, None)
        if row is not None and not image.isNull():
            pixmap = QPixmap.fromImage(image)  # on the GUI thread, as every pixmap
            pixmap.setDevicePixelRatio(self.devicePixelRatioF())
            row.setIcon(0, QIcon(pixmap))
        if not self._waiting:
            self.thumbnails_shown.emit()

    def _no_thumbnail(self, generation: int, image_id: str, exc: Exception) -> None:
        """A missing or unreadable original keeps the placeholder: only the picture is lost."""
        if not isinstance(exc, StreamImagesError):
            failures.handle(exc)  # a bug is still reported
        self._show_thumbnail(generation, image_id, QImage())

    def shutdown(self) -> None:
        """Drop the thumbnails not yet started and wait for those running (the window quits)."""
        self._thumbnails.clear_queued()
        self._thumbnails.wait(10_000)

    def ids(self) -> list[str]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [str(item.data(0, _ID_ROLE)) for item in items if item is not None]

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(bool(self.tree.selectedItems()))
        self.empty_button.setEnabled(self.tree.topLevelItemCount() > 0)

    def restore_selected(self) -> None:
        """Restore the selected images as one undoable step (Undo trashes them again)."""
        ids = [str(item.data(0, _ID_ROLE)) for item in self.tree.selectedItems()]
        if not ids:
            return
        manager = self._manager
        self._curation.run(
            f"Restore {count_of(len(ids), 'image')}",
            lambda: manager.restore_images(OWNER, ids),
            lambda _none: (
                lambda: manager.delete_images(OWNER, ids),
                lambda: manager.restore_images(OWNER, ids),
            ),
            lambda _none: f"Restored {count_of(len(ids), 'image')}",
        )

    def _on_empty_clicked(self) -> None:
        count = self.tree.topLevelItemCount()
        dialogs.ask(
            self,
            "Empty Trash",
            f"Remove the {count_of(count, 'image')} in the trash for good? This cannot be undone.",
            self.empty,
        )

    def empty(self) -> None:
        """Purge the whole trash (not undoable: the files go)."""
        self._runner.submit(
            lambda: self._manager.empty_trash(OWNER),
            lambda purged: self._curation.changed.emit(f"Purged {count_of(len(purged), 'image')}"),
            self._on_failed,
        )

    def _on_failed(self, exc: Exception) -> None:
        self.note.setText(sentence(failures.handle(exc)))
