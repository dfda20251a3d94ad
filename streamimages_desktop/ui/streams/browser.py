"""The stream list dock: streams with what the current role may see; create, rename, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.access import can_edit
from streamimages_desktop.core.models import OWNER, StreamSummary, Viewer
from streamimages_desktop.core.units import count_of
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.curation.commands import CurationStack
from streamimages_desktop.ui.curation.trash_view import TrashDialog
from streamimages_desktop.ui.gallery.model import IMAGE_IDS_MIME
from streamimages_desktop.ui.imports.upload_pane import holds_import
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window import dialogs

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

ALL_STREAMS = "All streams"
_ID_ROLE = Qt.ItemDataRole.UserRole


class StreamBrowser(QWidget):
    """Lists the streams (plus "All streams") with the number of images the current role may see.

    Signals:
        stream_selected(object): the chosen stream id, or None for all streams.
        streams_loaded(list): the StreamSummary list just loaded for the current role.
        streams_changed(): a stream was created, renamed or deleted.
        images_dropped(list, str, bool): gallery tiles dropped on a stream (ids, it, copy).
        message(str): a one-line status for the status bar.
        files_dropped(str, QMimeData): files or an image from outside the app were dropped on
            this stream ("": not on a stream row); the window imports them, synchronously.

    Attributes:
        tree: the QTreeWidget with a "Stream" and an "Images" column.
        new_button, rename_button, delete_button: the owner-only actions.
        summaries: the last loaded StreamSummary list.
    """

    stream_selected = Signal(object)
    streams_loaded = Signal(list)
    streams_changed = Signal()
    images_dropped = Signal(list, str, bool)  # ids, target stream, copy
    message = Signal(str)
    files_dropped = Signal(str, QMimeData)

    def __init__(
        self, manager: StreamImageManager, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Stream browser")
        self._manager = manager
        self._runner = runner
        self.curation = CurationStack(runner, self)
        self.curation.refused.connect(self.message)
        self._viewer = OWNER
        self._on_air = False
        self._generation = 0
        self._wanted: str | None = None
        # The stream a role switch left because it is not listed to the new role
        # (access.lists_stream): the next role switch that lists it goes back there. Never
        # on its own, so a stream that appears on air does not change what is shown.
        self._left_behind: str | None = None
        self._switching = False  # the next load answers a role switch
        self.summaries: list[StreamSummary] = []
        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("Streams")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Stream", "Images"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setStyleSheet("QTreeWidget::item { padding: 3px 2px; }")
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.tree.currentItemChanged.connect(self._on_current_item_changed)
        self.tree.setAcceptDrops(True)
        self.tree.viewport().setAcceptDrops(True)
        self.tree.viewport().installEventFilter(self)
        self.new_button = self._button("New…", "New stream", self._on_new_clicked)
        self.rename_button = self._button("Rename…", "Rename stream", self._on_rename_clicked)
        self.delete_button = self._button("Delete…", "Delete stream", self._on_delete_clicked)
        self.trash_button = self._button("Trash", "Open the Trash", self.open_trash)
        self.trash_dialog: TrashDialog | None = None
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for button in (self.new_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        layout.addWidget(self.trash_button)
        self._add_item(None, ALL_STREAMS, None)
        self.tree.setCurrentItem(self._top(0))
        self._update_buttons()

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.clicked.connect(slot)
        return button

    # --- public API -------------------------------------------------------------------------

    def set_viewer(self, viewer: Viewer, *, on_air: bool = False) -> None:
        """Look as `viewer`: clear the counts at once, then reload them off the GUI thread.
        `on_air`: the role is locked, so the hints name F9 rather than Ctrl+1. A stream not listed
        to the new role is left for All streams, and selected again by the role switch that
        lists it once more (the owner's, typically)."""
        self._viewer = viewer
        self._switching = True
        self._on_air = on_air
        for row in range(self.tree.topLevelItemCount()):
            self._top(row).setText(1, "…")
        self._update_buttons()
        self.reload()

    def reload(self) -> None:
        """Query the streams and their visible counts on a worker; stale answers are dropped."""
        self._generation += 1
        generation, viewer = self._generation, self._viewer
        manager, owner = self._manager, can_edit(viewer)
        self._runner.submit(
            lambda: (manager.streams(viewer), manager.trash_count(viewer) if owner else 0),
            lambda result: self._on_streams_loaded(generation, *result),
            self._on_task_failed,
        )

    def current_stream(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, _ID_ROLE)

    def select_stream(self, stream_id: str | None) -> None:
        """Select `stream_id` now if it is listed, otherwise as soon as it appears."""
        self._wanted = stream_id
        item = self._item_for(stream_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def stream_ids(self) -> list[str]:
        return [s.stream.id for s in self.summaries]

    def title_of(self, stream_id: str) -> str:
        """The stream's title as listed (its id when it has none or is not listed)."""
        for summary in self.summaries:
            if summary.stream.id == stream_id:
                return summary.stream.title or stream_id
        return stream_id

    def visible_count(self, stream_id: str | None) -> int | None:
        """Images the current role may see in `stream_id` (None: all streams); None if unknown."""
        if stream_id is None:
            return sum(s.visible_images for s in self.summaries)
        for summary in self.summaries:
            if summary.stream.id == stream_id:
                return summary.visible_images
        return None

    def count_text(self, stream_id: str | None) -> str:
        item = self._item_for(stream_id)
        return "" if item is None else item.text(1)

    # --- list -------------------------------------------------------------------------------

    def _add_item(self, stream_id: str | None, title: str, count: int | None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([title, "…" if count is None else str(count)])
        item.setData(0, _ID_ROLE, stream_id)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(0, "Every stream" if stream_id is None else f"Stream id: {stream_id}")
        if stream_id is None:
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
        self.tree.addTopLevelItem(item)
        return item

    def _top(self, row: int) -> QTreeWidgetItem:
        item = self.tree.topLevelItem(row)
        assert item is not None
        return item

    def _item_for(self, stream_id: str | None) -> QTreeWidgetItem | None:
        for row in range(self.tree.topLevelItemCount()):
            item = self._top(row)
            if item.data(0, _ID_ROLE) == stream_id:
                return item
        return None

    def _on_streams_loaded(
        self, generation: int, summaries: list[StreamSummary], trashed: int = 0
    ) -> None:
        if generation != self._generation:
            return
        self.trash_button.setText(f"Trash ({trashed:,})" if trashed else "Trash")
        self.summaries = list(summaries)
        before = self.current_stream()
        wanted = self._wanted if self._wanted is not None else before
        switching, self._switching = self._switching, False
        back = self._left_behind if switching and self._wanted is None else None
        if back is not None and any(s.stream.id == back for s in summaries):
            wanted, self._left_behind = back, None
        self.tree.blockSignals(True)
        self.tree.clear()
        self._add_item(None, ALL_STREAMS, sum(s.visible_images for s in summaries))
        for summary in summaries:
            title = summary.stream.title or summary.stream.id
            self._add_item(summary.stream.id, title, summary.visible_images)
        item = self._item_for(wanted) or self._top(0)
        if switching and self._wanted is None and item.data(0, _ID_ROLE) != wanted:
            self._left_behind = wanted
        self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        if item.data(0, _ID_ROLE) == self._wanted:
            self._wanted = None
        self._update_buttons()
        self.streams_loaded.emit(self.summaries)
        if item.data(0, _ID_ROLE) != before:
            self.stream_selected.emit(item.data(0, _ID_ROLE))

    def _on_current_item_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        self._update_buttons()
        if current is not None:
            self._wanted = None
            self._left_behind = None  # the user chose: no role switch takes them back
            self.stream_selected.emit(current.data(0, _ID_ROLE))

    def _update_buttons(self) -> None:
        owner = can_edit(self._viewer)
        real = self.current_stream() is not None
        self.new_button.setEnabled(owner)
        self.rename_button.setEnabled(owner and real)
        self.delete_button.setEnabled(owner and real)
        self.trash_button.setVisible(owner)  # only the owner has a Trash
        if owner:
            why = ""
        elif self._on_air:
            why = "On air, streams do not change (leave on-air mode with F9)"
        else:
            why = "Only the owner can change streams (Ctrl+1)"
        for button in (self.new_button, self.rename_button, self.delete_button):
            button.setToolTip(why or button.accessibleName())

    # --- file drops from outside -----------------------------------------------------------

    def _drop_stream(self, event: QDropEvent) -> str:
        """The stream row under the drop; "" for "All streams" or empty space (meaning the
        upload pane's stream)."""
        item = self.tree.itemAt(event.position().toPoint())
        return "" if item is None else item.data(0, _ID_ROLE) or ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Drops on a stream row: outside files import into that stream, tiles dragged from
        the grid move there (Ctrl copies); the owner only."""
        kinds = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)
        if watched is not self.tree.viewport() or event.type() not in kinds:
            return super().eventFilter(watched, event)
        assert isinstance(event, QDropEvent)  # QDragEnterEvent and QDragMoveEvent are ones
        if event.mimeData().hasFormat(IMAGE_IDS_MIME):
            return self._tiles_dragged(event)
        if not holds_import(event.mimeData()):
            return False
        if not can_edit(self._viewer):
            event.ignore()
            return True
        event.acceptProposedAction()
        if event.type() is QEvent.Type.Drop:
            self.files_dropped.emit(self._drop_stream(event), event.mimeData())
        return True

    # --- owner actions ----------------------------------------------------------------------

    def new_stream(self) -> None:
        """Ask for a new stream's title and id (window-modal), create it and select it."""
        self._on_new_clicked()

    def _on_new_clicked(self) -> None:
        dialog = dialogs.CreateStreamDialog(self.stream_ids(), self)
        dialog.accepted.connect(lambda: self._create(dialog.stream_id(), dialog.title()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _tiles_dragged(self, event: QDropEvent) -> bool:
        """Tiles dragged from the gallery onto a stream: move them there (Ctrl: copy)."""
        target = self._drop_target(event)
        if target is None:
            event.ignore()
            return True
        copy = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        event.setDropAction(Qt.DropAction.CopyAction if copy else Qt.DropAction.MoveAction)
        event.accept()
        if event.type() == QEvent.Type.Drop:
            raw = bytes(event.mimeData().data(IMAGE_IDS_MIME).data()).decode("ascii", "replace")
            ids = [i for i in raw.split("\n") if i]
            if ids:
                self.images_dropped.emit(ids, target, copy)
        return True

    def _drop_target(self, event: QDropEvent) -> str | None:
        """The stream under the cursor, for the owner's dragged tiles (not "All streams")."""
        if not can_edit(self._viewer) or not event.mimeData().hasFormat(IMAGE_IDS_MIME):
            return None
        item = self.tree.itemAt(event.position().toPoint())
        stream_id = None if item is None else item.data(0, _ID_ROLE)
        return str(stream_id) if stream_id else None

    def open_trash(self) -> TrashDialog:
        """Show the owner's Trash (one dialog, reloaded each time it opens)."""
        if self.trash_dialog is None:
            self.trash_dialog = TrashDialog(self._manager, self._runner, self.curation, self)
        self.trash_dialog.reload()
        self.trash_dialog.show()
        return self.trash_dialog

    def shutdown(self) -> None:
        """Stop the Trash's thumbnail workers before the manager closes."""
        if self.trash_dialog is not None:
            self.trash_dialog.shutdown()

    def set_curation(self, curation: CurationStack) -> None:
        """The window's undo stack, shared with the image actions (one history)."""
        self.curation.refused.disconnect(self.message)
        self.curation = curation

    def _create(self, stream_id: str, title: str | None) -> None:
        viewer, manager = self._viewer, self._manager
        self.curation.run(
            f"Create stream {stream_id}",
            lambda: manager.create_stream(viewer, stream_id, title),
            lambda stream: (
                lambda: manager.remove_empty_stream(viewer, stream_id),
                lambda: manager.create_stream(viewer, stream_id, title, stream.created),
            ),
            lambda stream: self._on_changed(f"Created stream “{stream.title}”", stream_id),
            self._on_task_failed,
        )

    def _on_rename_clicked(self) -> None:
        stream_id = self.current_stream()
        item = self._item_for(stream_id)
        if stream_id is None or item is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename stream")
        dialog.setAccessibleName("Rename stream")
        dialog.setLabelText(f"New title for “{item.text(0)}” (id {stream_id}):")
        dialog.setTextValue(item.text(0))
        dialog.setMinimumWidth(dialog.fontMetrics().horizontalAdvance("x") * 48)  # title unclipped
        dialog.textValueSelected.connect(lambda text: self._rename(stream_id, text.strip()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _rename(self, stream_id: str, title: str) -> None:
        if not title:
            return
        viewer, manager, old = self._viewer, self._manager, self.title_of(stream_id)
        self.curation.run(
            f"Rename stream {stream_id}",
            lambda: manager.rename_stream(viewer, stream_id, title),
            lambda before: (
                lambda: manager.rename_stream(viewer, stream_id, before),
                lambda: manager.rename_stream(viewer, stream_id, title),
            ),
            lambda _before: self._on_changed(f"Renamed “{old}” to “{title}”", stream_id),
            self._on_task_failed,
        )

    def _on_delete_clicked(self) -> None:
        stream_id = self.current_stream()
        if stream_id is None:
            return
        count = self.visible_count(stream_id) or 0
        contents = f"and its {count_of(count, 'image')}" if count else "(it is empty)"
        dialogs.ask(
            self,
            "Delete stream",
            f"Delete the stream “{self.title_of(stream_id)}” (id {stream_id}) {contents}?"
            " It goes to the Trash (Undo brings it back).",
            lambda: self._delete(stream_id),
        )

    def _delete(self, stream_id: str) -> None:
        viewer, manager, title = self._viewer, self._manager, self.title_of(stream_id)
        self.curation.run(
            f"Delete stream {stream_id}",
            lambda: manager.delete_stream(viewer, stream_id),
            lambda ids: (
                lambda: manager.restore_stream(viewer, stream_id, ids),
                lambda: manager.delete_stream(viewer, stream_id),
            ),
            lambda ids: self._on_changed(
                f"Moved stream “{title}” to the Trash ({count_of(len(ids), 'image')})", None
            ),
            self._on_task_failed,
        )

    def _on_changed(self, text: str, select: str | None) -> str:
        self.message.emit(text)
        self.select_stream(select)
        self.reload()
        self.streams_changed.emit()
        return text

    def _on_task_failed(self, exc: Exception) -> None:
        self.message.emit(failures.handle(exc, lambda line: dialogs.warn(self, "Streams", line)))
