"""The batch defaults of an import: target stream, visibility, title and description."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.labels import VISIBILITY_HELP, visibility_choice
from streamimages_desktop.core.models import Visibility

DEFAULT_STREAM = "my-stream"


class ImportForm(QWidget):
    """Four fields whose values apply to every file of the next batch.

    Attributes:
        stream_combo: the target stream (editable: a new id creates the stream).
        visibility_combo, title_edit, description_edit: the defaults themselves.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Import defaults")
        self.stream_combo = QComboBox(self)
        self.stream_combo.setEditable(True)
        self.stream_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.stream_combo.setAccessibleName("Import into stream")
        self.stream_combo.setToolTip("Stream to import into; type a new id to create it")
        self.stream_combo.setEditText(DEFAULT_STREAM)
        self.stream_combo.lineEdit().setAccessibleName("Import into stream")
        self.stream_combo.view().setAccessibleName("Streams to import into")
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

    def set_streams(self, stream_ids: list[str], current: str | None) -> None:
        """Offer the existing streams as targets; pick `current` when a stream is selected."""
        text = self.stream_combo.currentText().strip()
        self.stream_combo.blockSignals(True)
        self.stream_combo.clear()
        self.stream_combo.addItems(stream_ids)
        target = current or (text if text and text != DEFAULT_STREAM else None)
        target = target or (stream_ids[0] if stream_ids else DEFAULT_STREAM)
        self.stream_combo.setEditText(target)
        self.stream_combo.blockSignals(False)

    def target_stream(self) -> str:
        return self.stream_combo.currentText().strip()

    def options(self) -> ImportOptions:
        """The batch defaults as the form shows them now."""
        return ImportOptions(
            visibility=Visibility(self.visibility_combo.currentData()),
            title=self.title_edit.text().strip() or None,
            description=self.description_edit.text().strip(),
        )
