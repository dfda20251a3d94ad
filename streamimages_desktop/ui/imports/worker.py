"""Run one import batch (files, folders or a pasted image) on a pool thread; progress, cancel."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRunnable, Signal
from PySide6.QtGui import QImage

from streamimages_desktop.core.errors import StreamImagesError
from streamimages_desktop.core.importer import ImportOptions, ImportResult, ImportStatus
from streamimages_desktop.core.models import Viewer
from streamimages_desktop.ui import failures

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager


@dataclass
class ImportJob:
    """What to import and where: `paths`, or one pasted or dropped image as encoded `data`
    (kept as the source app encoded it) or as a decoded `image` (encoded to PNG on the worker).

    Attributes:
        cancel: set it to stop between files; the files already imported stay imported.
    """

    viewer: Viewer
    stream_id: str
    options: ImportOptions
    paths: list[Path] = field(default_factory=list)
    image: QImage | None = None
    data: bytes | None = None
    image_name: str = "pasted-image.png"
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def total_hint(self) -> int:
        """Files named by the job (folders count once; the worker learns the real total)."""
        return 1 if self.image is not None or self.data is not None else len(self.paths)


def encode_png(image: QImage) -> bytes:
    """PNG bytes of a QImage; runs on the worker so the GUI thread never encodes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub wants bytes
    buffer.close()
    if not ok:
        raise ValueError("the pasted image could not be encoded as PNG")
    return bytes(data.data())


class ImportSignals(QObject):
    """Lives on the GUI thread, so each emit from the worker is queued to it.

    Signals:
        progress(int, int, object): files done, total, the ImportResult of the file just done.
        finished(list): every ImportResult of the batch (fewer than the files if cancelled).
        failed(str): the batch stopped on an error of the environment (disk full, ...).
    """

    progress = Signal(int, int, object)
    finished = Signal(list)
    failed = Signal(str)


class ImportWorker(QRunnable):
    """Calls manager.import_paths / import_bytes for one ImportJob and reports through signals.

    Attributes:
        signals: the ImportSignals to connect to before the worker starts.
        job: the ImportJob, whose `cancel` event the Cancel button sets.
    """

    def __init__(self, manager: StreamImageManager, job: ImportJob) -> None:
        super().__init__()
        self._manager = manager
        self.job = job
        self.signals = ImportSignals()
        self._told: dict[int, ImportResult] = {}  # id(core result) -> the result shown

    def run(self) -> None:
        job = self.job
        try:
            if job.image is not None or job.data is not None:
                results = [self._import_image(job)]
            else:
                results = self._manager.import_paths(
                    job.viewer,
                    job.stream_id,
                    job.paths,
                    job.options,
                    progress=self._on_progress,
                    cancel=job.cancel,
                )
        except Exception as exc:  # one line for the user; a bug also goes to the log and dialog
            self.signals.failed.emit(failures.handle(exc))
            return
        self.signals.finished.emit([self._told.get(id(r), r) for r in results])

    def _import_image(self, job: ImportJob) -> ImportResult:
        data = job.data
        try:
            if data is None:
                assert job.image is not None
                data = encode_png(job.image)
        except ValueError as exc:
            result = ImportResult(ImportStatus.REJECTED, job.image_name, reason=str(exc))
        else:
            result = self._manager.import_bytes(
                job.viewer, job.stream_id, data, job.image_name, job.options
            )
        self._on_progress(1, 1, result)
        return result

    def _on_progress(self, done: int, total: int, result: ImportResult) -> None:
        shown = self._explained(result)
        self._told[id(result)] = shown
        self.signals.progress.emit(done, total, shown)

    def _explained(self, result: ImportResult) -> ImportResult:
        """A duplicate names the image it duplicates and its stream (read here, on the worker)."""
        if result.status is not ImportStatus.DUPLICATE or result.image_id is None:
            return result
        try:
            image = self._manager.image(self.job.viewer, result.image_id)
            titles = {s.stream.id: s.stream.title for s in self._manager.streams(self.job.viewer)}
        except StreamImagesError:  # only a nicer wording is lost; the import itself went fine
            return result
        stream = titles.get(image.stream_id) or image.stream_id
        return replace(result, reason=f"the same picture as “{image.title}” in “{stream}”")
