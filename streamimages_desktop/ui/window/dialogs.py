"""Small window-modal dialogs: confirm, report an error, create a stream, edit an image's text."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.labels import sentence
from streamimages_desktop.core.models import InvalidStreamId, validate_stream_id


def ask(parent: QWidget, title: str, text: str, on_yes: Callable[[], None]) -> QMessageBox:
    """Ask a yes/no question without blocking; call `on_yes` if the answer is Yes (default No)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setAccessibleName(title)

    def on_finished(result: int) -> None:
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
            on_yes()
        box.deleteLater()

    box.finished.connect(on_finished)
    box.open()
    return box


def choose_stream(
    parent: QWidget, title: str, streams: list[str], on_chosen: Callable[[str], None]
) -> QInputDialog:
    """Pick a stream without blocking; `on_chosen(stream_id)` runs on OK."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setAccessibleName(title)
    dialog.setLabelText("Stream:")
    dialog.setComboBoxItems(streams)
    dialog.setComboBoxEditable(False)
    dialog.textValueSelected.connect(lambda text: on_chosen(text) if text else None)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog


def warn(parent: QWidget, title: str, text: str) -> QMessageBox:
    """Tell the user about an error in one line, without blocking."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, sentence(text), parent=parent)
    box.setAccessibleName(title)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def slugify(text: str) -> str:
    """A stream id suggested from a title: lowercase, dashes, at most 64 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:64].strip("-")


class CreateStreamDialog(QDialog):
    """Ask for a new stream's title and id; the id is checked as you type and errors shown inline.

    Attributes:
        title_edit: the stream's title (the id follows it until edited by hand).
        id_edit: the stream id (a lowercase slug).
        error_label: the inline reason the id is not accepted, empty when it is.
    """

    def __init__(self, existing_ids: Collection[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New stream")
        self.setAccessibleName("New stream")
        self._existing = set(existing_ids)
        self._id_touched = False
        self.title_edit = QLineEdit(self)
        self.title_edit.setAccessibleName("Stream title")
        self.title_edit.setPlaceholderText("e.g. Friday Speedruns")
        self.id_edit = QLineEdit(self)
        self.id_edit.setAccessibleName("Stream id")
        self.id_edit.setPlaceholderText("friday-speedruns")
        self.error_label = QLabel(self)
        self.error_label.setAccessibleName("Stream id error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Title", self.title_edit)
        form.addRow("Id", self.id_edit)
        hint = QLabel("Lowercase letters, digits, '-' and '_'; used in paths and the command line.")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error_label)
        layout.addWidget(self._buttons)
        self.title_edit.textEdited.connect(self._on_title_edited)
        self.id_edit.textEdited.connect(self._on_id_edited)
        self.setMinimumWidth(380)
        self._validate()

    def stream_id(self) -> str:
        return self.id_edit.text().strip()

    def title(self) -> str | None:
        return self.title_edit.text().strip() or None

    def error(self) -> str:
        """Why the id is refused, or "" when it is acceptable."""
        stream_id = self.stream_id()
        if not stream_id:
            return "Enter an id for the stream."
        try:
            validate_stream_id(stream_id)
        except InvalidStreamId as exc:
            return sentence(str(exc)) + "."
        if stream_id in self._existing:
            return f"A stream with id {stream_id!r} exists already."
        return ""

    def _validate(self) -> None:
        error = self.error()
        shown = error if self.id_edit.text() else ""
        self.error_label.setText(shown)
        self.error_label.setVisible(bool(shown))
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not error)

    def _on_title_edited(self, text: str) -> None:
        if not self._id_touched:
            self.id_edit.setText(slugify(text))
        self._validate()

    def _on_id_edited(self, text: str) -> None:
        self._id_touched = bool(text)  # emptied by hand: follow the title again
        self._validate()


class EditImageDialog(QDialog):
    """Edit an image's title and description.

    Attributes:
        title_edit: the title.
        description_edit: the description (plain text).
    """

    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit image")
        self.setAccessibleName("Edit image")
        self.title_edit = QLineEdit(title, self)
        self.title_edit.setAccessibleName("Image title")
        self.description_edit = QPlainTextEdit(description, self)
        self.description_edit.setAccessibleName("Image description")
        self.description_edit.setTabChangesFocus(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Title", self.title_edit)
        form.addRow("Description", self.description_edit)
        form.addRow(buttons)
        self.resize(440, 260)

    def values(self) -> tuple[str, str]:
        return self.title_edit.text().strip(), self.description_edit.toPlainText().strip()
