"""File > Export…: the selection, a stream or everything a role sees, to a folder or a zip.

The export runs on a worker (it decodes and encodes every image); progress comes back
through a queued signal, and Cancel sets the event the core checks between images, so a
cancelled export leaves nothing behind.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.labels import role_name, sentence
from streamimages_desktop.core.models import Role, Viewer
from streamimages_desktop.core.units import count_of
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import ExportResult, StreamImageManager


class _Progress(QObject):
    """Carries (done, total) from the worker to the GUI thread (a queued connection)."""

    moved = Signal(int, int)


class ExportDialog(QDialog):
    """Choose what, for whom and where; then export on a worker with progress and cancel.

    Attributes:
        status: the result line shown under the progress bar (for tests too).
        last_result: the ExportResult of the last finished export, or None.
    """

    finished_export = Signal(str)

    def __init__(
        self,
        manager: StreamImageManager,
        role: Role,
        stream_id: str | None,
        selected_ids: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export images")
        self.setMinimumWidth(420)
        self._manager = manager
        self._stream_id = stream_id
        self._selected = list(selected_ids)
        self._runner = TaskRunner(max_threads=1, parent=self)
        self._cancel = threading.Event()
        self._progress = _Progress(self)
        self._progress.moved.connect(self._on_progress)
        self.last_result: ExportResult | None = None

        self.selection_choice = QRadioButton(
            f"The selection ({count_of(len(selected_ids), 'image')})"
        )
        self.stream_choice = QRadioButton(f"Stream {stream_id}" if stream_id else "This stream")
        self.all_choice = QRadioButton("Everything the role may see")
        what = QButtonGroup(self)
        for button in (self.selection_choice, self.stream_choice, self.all_choice):
            what.addButton(button)
        self.selection_choice.setEnabled(bool(selected_ids))
        self.stream_choice.setEnabled(stream_id is not None)
        first = next(
            b for b in (self.selection_choice, self.stream_choice, self.all_choice) if b.isEnabled()
        )
        first.setChecked(True)

        self.role_box = QComboBox()
        for r in (Role.VIEWER, Role.SUBSCRIBER, Role.OWNER):
            self.role_box.addItem(role_name(r), r)
        self.role_box.setCurrentIndex(self.role_box.findData(role))
        self.role_box.setAccessibleName("Export for")

        self.folder_choice = QRadioButton("Folder")
        self.zip_choice = QRadioButton("Zip file")
        self.folder_choice.setChecked(True)
        where = QButtonGroup(self)
        where.addButton(self.folder_choice)
        where.addButton(self.zip_choice)
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName("Export to")
        self.path_edit.setPlaceholderText("Where to write the images")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.manifest_box = QCheckBox("Add a manifest (CSV and JSON)")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("Exported copies are re-encoded: no location, camera or other data.")
        self.status.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._on_cancel)

        form = QFormLayout()
        choices = QVBoxLayout()
        for button in (self.selection_choice, self.stream_choice, self.all_choice):
            choices.addWidget(button)
        form.addRow("Export", choices)
        form.addRow("For", self.role_box)
        kinds = QHBoxLayout()
        kinds.addWidget(self.folder_choice)
        kinds.addWidget(self.zip_choice)
        kinds.addStretch()
        form.addRow("As", kinds)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit)
        path_row.addWidget(browse)
        form.addRow("To", path_row)
        form.addRow("", self.manifest_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        if self.zip_choice.isChecked():
            path, _ = QFileDialog.getSaveFileName(self, "Export to zip", "", "Zip files (*.zip)")
        else:
            path = QFileDialog.getExistingDirectory(self, "Export to folder")
        if path:
            self.path_edit.setText(path)

    @property
    def running(self) -> bool:
        return self._runner.busy

    def start(self) -> None:
        """Export with the current choices on the worker."""
        text = self.path_edit.text().strip()
        if not text:
            self.status.setText("Choose where to export to.")
            return
        viewer = Viewer(Role(self.role_box.currentData()))
        target, as_zip = Path(text), self.zip_choice.isChecked()
        manifest = self.manifest_box.isChecked()
        ids = self._selected if self.selection_choice.isChecked() else None
        stream = self._stream_id if self.stream_choice.isChecked() else None
        self._cancel.clear()
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.export_button.setEnabled(False)
        self.status.setText("Exporting…")
        manager, progress, cancel = self._manager, self._progress, self._cancel

        def work() -> ExportResult:
            images = manager.export_selection(viewer, image_ids=ids, stream_id=stream)
            return manager.export(
                viewer,
                target,
                images,
                as_zip=as_zip,
                manifest=manifest,
                progress=progress.moved.emit,
                cancel=cancel,
            )

        self._runner.submit(work, self._on_done, self._on_failed)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def _on_done(self, result: ExportResult) -> None:
        self.last_result = result
        self.export_button.setEnabled(True)
        self.progress.setVisible(False)
        if result.cancelled:
            line = "Export cancelled: nothing was written."
        else:
            line = f"Exported {count_of(len(result.exported), 'image')}."
        self.status.setText(line)
        self.finished_export.emit(line)

    def _on_failed(self, exc: Exception) -> None:
        self.export_button.setEnabled(True)
        self.progress.setVisible(False)
        line = failures.handle(exc)
        self.status.setText(sentence(line))
        self.finished_export.emit(line)

    def done(self, result: int) -> None:  # closing while running cancels and waits
        self._cancel.set()
        self._runner.wait()
        super().done(result)
