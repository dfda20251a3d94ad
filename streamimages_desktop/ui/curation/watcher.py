"""Notice changes other processes make to the library (CLI imports, edits, views counted).

A timer asks the manager's data_version() on a worker every POLL_MS; SQLite changes that
number whenever any connection commits, so a poll costs one PRAGMA and never touches the
GUI thread. A change emits `changed` once; the window re-queries in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from streamimages_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

POLL_MS = 500


class LibraryWatcher(QObject):
    """Polls the library's change counter off the GUI thread.

    Signals:
        changed(): the library was committed to since the last poll.
    """

    changed = Signal()

    def __init__(
        self, manager: StreamImageManager, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._manager, self._runner = manager, runner
        self._version: int | None = None
        self._asking = False
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()
        self.poll()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        if self._asking:  # the last question is still out (a busy disk): do not pile up
            return
        self._asking = True
        self._runner.submit(self._manager.data_version, self._on_version, self._on_failed)

    def _on_version(self, version: int) -> None:
        self._asking = False
        before, self._version = self._version, version
        if before is not None and version != before:
            self.changed.emit()

    def _on_failed(self, _exc: Exception) -> None:
        self._asking = False  # a closed or busy library: ask again at the next tick
