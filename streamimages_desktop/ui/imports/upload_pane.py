"""The upload dock: files, a folder or a pasted image; import off the GUI thread with progress."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.access import can_edit
from streamimages_desktop.core.importer import ImportResult, ImportStatus
from streamimages_desktop.core.models import (
    OWNER,
    InvalidStreamId,
    Viewer,
    validate_stream_id,
)
from streamimages_desktop.core.units import count_of
from streamimages_desktop.ui.imports.form import ImportForm
from streamimages_desktop.ui.imports.results import ImportResultList, summary_text
from streamimages_desktop.ui.imports.worker import ImportJob, ImportWorker

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

DROP_TEXT = (
    "Drop images or folders here,\nor anywhere on the window.\nCtrl+V pastes a copied image."
)
READ_ONLY_LIBRARY = "This library is read-only: it can be browsed, but nothing can be imported."
VIEW_ONLY_MEMBER = (
    "Your membership of this team library is view only: ask the team's owner to let you edit."
)
ARRIVAL_MS = 700
OWNER_ONLY = "Importing is for the owner.\nSwitch to Owner (Ctrl+1) to add images."
# On air the role is locked to the audience, so Ctrl+1 would do nothing: say what will.
ON_AIR = "On air, nothing is imported.\nLeave on-air mode (F9) to add images."


# What image apps put on the clipboard or in a drop, as the file's own encoded bytes.
ENCODED_IMAGE_TYPES = (
    ("image/png", ".png"),
    ("image/jpeg", ".jpg"),
    ("image/gif", ".gif"),
    ("image/webp", ".webp"),
    ("image/bmp", ".bmp"),
)


# Drags that start inside StreamImages (tiles dragged onto a stream) carry a mime type of ours;
# only drags from outside (a file manager, a browser, an image editor) are imports.
INTERNAL_MIME_PREFIX = "application/x-streamimages"


def is_external(mime: QMimeData) -> bool:
    return not any(f.startswith(INTERNAL_MIME_PREFIX) for f in mime.formats())


def holds_import(mime: QMimeData) -> bool:
    """True when `mime` comes from outside and holds local files or an image to import."""
    return is_external(mime) and (
        bool(local_paths(mime)) or mime.hasImage() or encoded_image(mime) is not None
    )


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files and folders among a drop's or paste's URLs."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def encoded_image(mime: QMimeData) -> tuple[bytes, str] | None:
    """The image bytes as the source app encoded them, and their extension; None if absent.

    Importing these keeps the original format and pixels, and nothing is decoded on the GUI
    thread: the worker's import validates and decodes them.
    """
    formats = set(mime.formats())
    for mime_type, extension in ENCODED_IMAGE_TYPES:
        if mime_type in formats and (data := bytes(mime.data(mime_type).data())):
            return data, extension
    return None


class UploadPane(QWidget):
    """Import controls, batch defaults, a progress bar with Cancel, and a per-file result list.

    Signals:
        progressed(int, int, object): files done, total and the ImportResult just added.
        images_arrived(): images were imported while the batch still runs; at most once per
            ARRIVAL_MS, so the grid fills as the batch goes without re-querying per file.
        batch_finished(list): the ImportResults of a finished (or cancelled) batch.
        message(str): a one-line status for the status bar.

    Attributes:
        form: the ImportForm; stream_combo, visibility_combo, title_edit and description_edit
            are its fields, whose values apply to the whole batch.
        files_button, folder_button, paste_button, cancel_button, progress, summary.
        results: the ImportResultList of the last batch.
        activity: progress, summary and results; hidden until the first import.
        notice: what other roles see instead of the form.
    """

    progressed = Signal(int, int, object)
    batch_finished = Signal(list)
    message = Signal(str)
    new_stream_requested = Signal()
    images_arrived = Signal()

    def __init__(
        self,
        manager: StreamImageManager,
        extensions: frozenset[str] = frozenset(),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Upload")
        self._manager = manager
        self._extensions = sorted(extensions)
        self._viewer = OWNER
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # batches run one after the other
        self._queue: list[ImportJob] = []
        self._worker: ImportWorker | None = None
        self._results: list[ImportResult] = []
        self.last_stream: str | None = None  # the stream of the last finished batch
        self._arrivals = QTimer(self)
        self._arrivals.setSingleShot(True)
        self._arrivals.setInterval(ARRIVAL_MS)
        self._arrivals.timeout.connect(self._on_arrivals_due)
        self._arrived = False
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._build_form())
        self.notice = QLabel(OWNER_ONLY, self)
        self.notice.setAccessibleName("Upload unavailable")
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.notice.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._stack.addWidget(self.notice)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self._set_running(False)

    def _build_form(self) -> QWidget:
        page = QWidget(self)
        self.form = ImportForm(page)
        self.stream_combo, self.visibility_combo = (
            self.form.stream_combo,
            self.form.visibility_combo,
        )
        self.title_edit, self.description_edit = self.form.title_edit, self.form.description_edit
        self.form.new_stream_requested.connect(self.new_stream_requested)
        self.files_button = self._button(page, "Add files…", "Add files", self.choose_files)
        self.folder_button = self._button(page, "Add folder…", "Add folder", self.choose_folder)
        self.paste_button = self._button(page, "Paste", "Paste image", self.paste_from_clipboard)
        buttons = QHBoxLayout()
        for button in (self.files_button, self.folder_button, self.paste_button):
            buttons.addWidget(button)
        self.drop_zone = QLabel(DROP_TEXT, page)
        self.drop_zone.setObjectName("drop_zone")
        self.drop_zone.setAccessibleName("Drop zone")
        self.drop_zone.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_zone.setWordWrap(True)
        self.drop_zone.setMinimumHeight(56)
        self.drop_zone.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.drop_zone.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.drop_zone.setStyleSheet(
            "QLabel#drop_zone { border: 2px dashed palette(mid); border-radius: 8px;"
            " padding: 8px; }"
        )
        self.progress = QProgressBar(page)
        self.progress.setAccessibleName("Import progress")
        self.progress.setFormat("No import running")
        self.progress.setRange(0, 1)
        self.cancel_button = self._button(page, "Cancel", "Cancel import", self.cancel)
        self.summary = QLabel(page)
        self.summary.setAccessibleName("Import summary")
        self.summary.setWordWrap(True)
        self.results = ImportResultList(page)
        self.activity = QWidget(page)  # hidden until the first import: no empty boxes
        activity = QVBoxLayout(self.activity)
        activity.setContentsMargins(0, 6, 0, 0)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        activity.addLayout(progress_row)
        activity.addWidget(self.summary)
        activity.addWidget(self.results, 1)
        self.activity.hide()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addWidget(self.drop_zone, 1)  # fills the pane until the first import...
        layout.addWidget(self.activity, 1000)  # ...then the results take the room
        return page

    @staticmethod
    def _button(parent: QWidget, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text, parent)
        button.setAccessibleName(name)
        button.clicked.connect(slot)
        return button

    # --- state ------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def set_viewer(self, viewer: Viewer, *, on_air: bool = False) -> None:
        """Only the owner imports; other roles see a notice instead of the form and its results,
        saying what would let them import (on air: leaving it)."""
        self._viewer = viewer
        unwritable = VIEW_ONLY_MEMBER if self._manager.is_team_library else READ_ONLY_LIBRARY
        if not viewer.may_edit:
            self.notice.setText(unwritable)
        else:
            self.notice.setText(ON_AIR if on_air else OWNER_ONLY)
        self._stack.setCurrentIndex(0 if can_edit(viewer) else 1)

    def set_streams(self, streams: list[tuple[str, str]], current: str | None) -> None:
        """The existing streams as (id, title) pairs; `current` is the one selected, if any."""
        self.form.set_streams(streams, current)

    def target_stream(self) -> str:
        return self.form.target_stream()

    # --- starting imports -------------------------------------------------------------------

    def choose_files(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in self._extensions) or "*"
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add images", "", f"Images ({patterns});;All files (*)"
        )
        if files:
            self.import_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of images")
        if folder:
            self.import_paths([Path(folder)])

    def paste_from_clipboard(self) -> bool:
        """Import local files or an image from the clipboard; False when it holds neither."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self._holds_import(mime):
            self.message.emit("The clipboard holds no image or files to import")
            return False
        return self.import_mime(mime, "pasted-image")

    def accepts(self, mime: QMimeData) -> bool:
        """True when the current role may import and `mime` holds local files or an image."""
        return can_edit(self._viewer) and self._holds_import(mime)

    @staticmethod
    def _holds_import(mime: QMimeData) -> bool:
        return holds_import(mime)

    def import_mime(
        self, mime: QMimeData, stem: str = "dropped-image", *, stream_id: str | None = None
    ) -> bool:
        """Import a drop's or paste's local files and folders, else its image bytes or image,
        into `stream_id` (a stream it was dropped on), else into the pane's target stream."""
        paths = local_paths(mime)
        if paths:
            return self.import_paths(paths, stream_id=stream_id)
        encoded = encoded_image(mime)
        if encoded is not None:
            data, extension = encoded
            return self._enqueue(stream_id, data=data, image_name=stem + extension)
        image = mime.imageData() if mime.hasImage() else None
        if isinstance(image, QPixmap):
            image = image.toImage()
        if isinstance(image, QImage) and not image.isNull():
            return self._enqueue(stream_id, image=image.copy(), image_name=stem + ".png")
        self.message.emit("Nothing to import: no image files or image data")
        return False

    def import_paths(self, paths: list[Path], *, stream_id: str | None = None) -> bool:
        """Import files and folders into `stream_id`, else the target stream; False (with a
        message) if refused."""
        return bool(paths) and self._enqueue(stream_id, paths=list(paths))

    def import_image(self, image: QImage, name: str = "pasted-image.png") -> bool:
        """Import one in-memory image (encoded to PNG on the worker)."""
        if image.isNull():
            self.message.emit("The clipboard image is empty")
            return False
        return self._enqueue(None, image=image.copy(), image_name=name)

    def _enqueue(self, stream_id: str | None, **what: object) -> bool:
        if not can_edit(self._viewer):
            self.message.emit("Only the owner can import images; switch to Owner (Ctrl+1)")
            return False
        stream_id = stream_id or self.target_stream()
        if not stream_id:
            self._refuse(
                "Cannot import: choose a stream first",
                "Cannot import: choose a stream to import into, or New stream… to create one.",
            )
            return False
        try:
            validate_stream_id(stream_id)
        except InvalidStreamId as exc:
            self._refuse(f"Cannot import: {exc}", f"Cannot import: {exc}")
            return False
        job = ImportJob(self._viewer, stream_id, self.form.options(), **what)  # type: ignore[arg-type]
        self._queue.append(job)
        if self._worker is None:
            self._start_next()
        else:
            self.message.emit(f"Queued {count_of(job.total_hint, 'item')} after the running import")
        return True

    def _title(self, stream_id: str) -> str:
        index = self.stream_combo.findData(stream_id)
        return f"“{self.stream_combo.itemText(index)}”" if index >= 0 else stream_id

    def _refuse(self, status: str, text: str) -> None:
        """Say why nothing was imported: `status` short enough for the status bar, `text` in
        the pane (it wraps). The last batch's progress and results go, so they are not read
        as this attempt's."""
        self.message.emit(status)
        if self._worker is None:
            self.results.clear()
            self._results = []
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("No import running")
        self.summary.setText(text)
        self.activity.show()

    def _start_next(self) -> None:
        if not self._queue:
            return
        job = self._queue.pop(0)
        worker = ImportWorker(self._manager, job)
        worker.signals.progress.connect(self._on_worker_progress)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        self._worker = worker
        self._results = []
        self.results.clear()
        self.progress.setRange(0, 0)  # busy until the worker knows the total
        self.progress.setFormat("%v of %m")
        self.summary.setText(f"Importing into {self._title(job.stream_id)}…")
        self.activity.show()
        self._set_running(True)
        self._pool.start(worker)

    def cancel(self) -> None:
        """Stop after the file in progress and drop queued batches."""
        self._queue.clear()
        if self._worker is not None:
            self._worker.job.cancel.set()
            self.cancel_button.setEnabled(False)
            self.summary.setText("Cancelling…")

    def wait(self, msecs: int = -1) -> bool:
        """Block until the running batch has stopped (for shutdown and tests)."""
        return self._pool.waitForDone(msecs)

    # --- worker signals (queued to the GUI thread) ---------------------------------------------

    def _on_worker_progress(self, done: int, total: int, result: ImportResult) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self._results.append(result)
        self.results.add_result(result)
        self.progressed.emit(done, total, result)
        if result.status is ImportStatus.IMPORTED:
            self._arrived = True
            if not self._arrivals.isActive():
                self._arrivals.start()

    def _on_arrivals_due(self) -> None:
        if self._arrived and self._worker is not None:  # batch_finished covers the rest
            self._arrived = False
            self.images_arrived.emit()

    def _on_worker_finished(self, results: list[ImportResult]) -> None:
        worker, self._worker = self._worker, None
        self._arrivals.stop()
        self._arrived = False
        cancelled = worker is not None and worker.job.cancel.is_set()
        self.last_stream = worker.job.stream_id if worker is not None else None
        shown = {id(r) for r in self._results}
        for result in results:  # e.g. folder entries refused without a progress call
            if id(result) not in shown:
                self.results.add_result(result)
        text = summary_text(results, cancelled)
        self.summary.setText(text)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, max(len(results), 1))
            self.progress.setValue(len(results))
        self._set_running(False)
        self.message.emit(text)
        self.batch_finished.emit(results)
        self._start_next()

    def _on_worker_failed(self, error: str) -> None:
        self._worker = None
        self.summary.setText(f"Import stopped: {error}")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._set_running(False)
        self.message.emit(f"Import stopped: {error}")
        self.batch_finished.emit(list(self._results))
        self._start_next()

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
