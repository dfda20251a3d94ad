"""The batch defaults of an import: target stream, visibility, title and description."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.labels import VISIBILITY_HELP, visibility_choice
from streamimages_desktop.core.models import Visibility

NEW_STREAM = "New stream…"
NO_STREAM = "No stream yet"
_ID = Qt.ItemDataRole.UserRole


class ImportForm(QWidget):
    """Four fields whose values apply to every file of the next batch.

    Signals:
        new_stream_requested(): "New stream…" was chosen; the window asks for the new stream.

    Attributes:
        stream_combo: the target stream, one of the existing streams shown by title (a deleted
            stream leaves it at once, so an import can never re-create it); its last item,
            "New stream…", asks for a new one.
        visibility_combo, title_edit, description_edit: the defaults themselves.
    """

    new_stream_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Import defaults")
        self.stream_combo = QComboBox(self)
        self.stream_combo.setAccessibleName("Import into stream")
        self.stream_combo.setToolTip("Stream to import into")
        self.stream_combo.setPlaceholderText(NO_STREAM)
        self.stream_combo.view().setAccessibleName("Streams to import into")
        self.stream_combo.activated.connect(self._on_stream_activated)
        self._target = ""
        self._fill([])
        self.visibility_combo = QComboBox(self)
        self.visibility_combo.setAccessibleName("Visibility for imported images")
        for vis in Visibility:
            self.visibility_combo.addItem(visibility_choice(vis), vis.value)
            self.visibility_combo.setItemData(
                self.visibility_combo.count() - 1, VISIBILITY_HELP[vis], Qt.ItemDataRole.ToolTipRole
            )
        self.visibility_combo.view().setAccessibleName("Visibilities")
        self.title_edit = self._line_edit("Title for imported images", "file name")
        self.description_edit = self._line_edit("Description for imported images", "optional")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Stream", self.stream_combo)
        form.addRow("Visibility", self.visibility_combo)
        form.addRow("Title", self.title_edit)
        form.addRow("Description", self.description_edit)

    def _line_edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setAccessibleName(name)
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        return edit

    def set_streams(self, streams: Sequence[tuple[str, str]], current: str | None) -> None:
        """Offer the existing streams, (id, title) pairs, as targets.

        The target becomes `current` (the stream selected in the browser) when given, else
        stays what it was if that stream still exists, else the first stream.
        """
        ids = [stream_id for stream_id, _title in streams]
        for wanted in (current, self._target, ids[0] if ids else None):
            if wanted in ids:
                self._target = wanted
                break
        else:
            self._target = ""
        self._fill(streams)

    def _fill(self, streams: Sequence[tuple[str, str]]) -> None:
        combo = self.stream_combo
        combo.blockSignals(True)
        combo.clear()
        for stream_id, title in streams:
            combo.addItem(title or stream_id, stream_id)
            combo.setItemData(
                combo.count() - 1, f"Stream id: {stream_id}", Qt.ItemDataRole.ToolTipRole
            )
        combo.addItem(NEW_STREAM, None)
        combo.setItemData(
            combo.count() - 1,
            "Create a stream (asks for its title and id)",
            Qt.ItemDataRole.ToolTipRole,
        )
        combo.setCurrentIndex(combo.findData(self._target) if self._target else -1)
        combo.blockSignals(False)

    def _on_stream_activated(self, index: int) -> None:
        stream_id = self.stream_combo.itemData(index)
        if stream_id is None:  # "New stream…": ask, and keep the old target meanwhile
            self.stream_combo.setCurrentIndex(
                self.stream_combo.findData(self._target) if self._target else -1
            )
            self.new_stream_requested.emit()
        else:
            self._target = str(stream_id)

    def target_stream(self) -> str:
        """The id of the stream to import into; "" when there is none yet."""
        return self._target

    def target_title(self) -> str:
        index = self.stream_combo.findData(self._target) if self._target else -1
        return self.stream_combo.itemText(index) if index >= 0 else ""

    def options(self) -> ImportOptions:
        """The batch defaults as the form shows them now."""
        return ImportOptions(
            visibility=Visibility(self.visibility_combo.currentData()),
            title=self.title_edit.text().strip() or None,
            description=self.description_edit.text().strip(),
        )
