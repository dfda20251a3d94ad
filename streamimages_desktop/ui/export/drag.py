"""Drag tiles out and Ctrl+C: clean derivatives for the current role, never the originals.

A drag must hand over its file URLs at once, but making derivatives means decoding and
encoding. So whenever the selection or the role changes, a worker writes the selected
images' derivatives (for that role) into a private temp folder and makes the first one's
QImage for the clipboard; a drag or copy uses what is ready for exactly that selection and
role, and nothing otherwise. An image the role may not see is never made, so as Viewer a
private image cannot leave the window at all.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence

from streamimages_desktop.core.atomic import atomic_write
from streamimages_desktop.core.errors import StreamImagesError
from streamimages_desktop.core.models import Viewer
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

MAX_DRAGGED = 50  # a drag of more is refused rather than stalling on hundreds of encodes


@dataclass(frozen=True)
class Prepared:
    """Derivative files (and the first one's pixels) for one selection and role."""

    key: tuple[Viewer, tuple[str, ...]]
    files: list[Path]
    image: QImage | None


def make_files(
    manager: StreamImageManager, viewer: Viewer, ids: tuple[str, ...], folder: Path
) -> Prepared:
    """On a worker: each visible image's derivative written to `folder` (hidden ones are
    skipped: a NotFound is the same for both), plus a QImage of the first."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    image: QImage | None = None
    for image_id in ids[:MAX_DRAGGED]:
        try:
            title = manager.image(viewer, image_id).title
            derivative = manager.derivative(viewer, image_id)
        except StreamImagesError:
            continue
        stem = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip() or image_id
        path = folder / f"{stem[:60]}-{image_id}{derivative.extension}"
        atomic_write(path, derivative.data, mode=0o600)
        files.append(path)
        if image is None:
            image = QImage.fromData(derivative.data)
    return Prepared((viewer, ids), files, image)


class DragSource(QObject):
    """Prepares derivatives for the gallery's selection; builds drag and clipboard data.

    Signals:
        prepared(): new files are ready for the current selection and role.
    """

    prepared = Signal()

    def __init__(
        self,
        manager: StreamImageManager,
        viewer: Callable[[], Viewer],
        selection: Callable[[], list[str]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._manager, self._viewer, self._selection = manager, viewer, selection
        self._runner = TaskRunner(max_threads=1, parent=self)
        self._root = Path(tempfile.mkdtemp(prefix="streamimages-drag-"))
        self._ready: Prepared | None = None
        self._round = 0
        self.copy_action = QAction("Copy image", self)
        self.copy_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy)

    def _key(self) -> tuple[Viewer, tuple[str, ...]]:
        return self._viewer(), tuple(self._selection())

    def refresh(self) -> None:
        """The selection or the role changed: prepare its derivatives on the worker."""
        key = self._key()
        self._ready = None
        if not key[1]:
            return
        self._round += 1
        folder = self._root / f"{self._round}-{key[0].role.value}"
        manager = self._manager
        self._runner.submit(
            lambda: make_files(manager, key[0], key[1], folder), self._on_prepared, self._failed
        )

    def _on_prepared(self, prepared: Prepared) -> None:
        if prepared.key == self._key():
            self._ready = prepared
            self.prepared.emit()

    def _failed(self, exc: Exception) -> None:
        failures.handle(exc)

    def ready(self) -> Prepared | None:
        """What is prepared for exactly the current selection and role, or None."""
        ready = self._ready
        return ready if ready is not None and ready.key == self._key() else None

    def mime_data(self) -> QMimeData | None:
        """File URLs of the prepared derivatives (and the first one's image), or None."""
        ready = self.ready()
        if ready is None or not ready.files:
            return None
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path)) for path in ready.files])
        if ready.image is not None:
            mime.setImageData(ready.image)
        return mime

    def copy(self) -> bool:
        """Ctrl+C: the first selected image's derivative to the clipboard; False if none."""
        ready = self.ready()
        if ready is None or ready.image is None:
            return False
        mime = QMimeData()
        mime.setImageData(ready.image)
        QGuiApplication.clipboard().setMimeData(mime)
        return True

    @property
    def folder(self) -> Path:
        """The private temp folder the derivatives are written to (removed with this)."""
        return self._root

    def wait(self) -> None:
        self._runner.wait()

    def close(self) -> None:
        self._runner.wait()
        shutil.rmtree(self._root, ignore_errors=True)
