"""The owner's Trash: what was deleted, with Restore (undoable) and Empty Trash (asks first)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
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


class TrashDialog(QDialog):
    """Lists the trash (newest first); every read and write runs on the runner.

    Signals:
        loaded(int): the list was (re)filled with this many images.
    """

    loaded = Signal(int)

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
        for item in items:
            when = item.trashed.astimezone().strftime("%Y-%m-%d %H:%M")
            row = QTreeWidgetItem([item.image.title, item.image.stream_id, when, item.image.id])
            row.setData(0, _ID_ROLE, item.image.id)
            self.tree.addTopLevelItem(row)
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
