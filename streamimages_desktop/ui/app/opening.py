"""Open the library on a worker while the GUI thread stays live and, if it takes a while, says so.

A team library connects to its servers when it opens; a slow or unreachable one takes up to the
connect timeout. Doing that on the GUI thread before any window exists leaves the user with
nothing on screen and nothing to click. LibraryOpening runs the manager's construction on a
TaskRunner worker and shows a small "Opening <library>…" window with a Cancel button, only once
opening has taken longer than SHOW_AFTER_MS (a local library opens without a flash).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QProgressDialog

from streamimages_desktop.core.errors import UserError
from streamimages_desktop.core.library_location import LocalLibrary, location_of
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window.status_line import home_relative

SHOW_AFTER_MS = 300


def open_manager(settings: Settings) -> StreamImageManager:
    """What the worker runs: the manager with its rendition cache open, orphan collection left
    for later (app._housekeep)."""
    manager = StreamImageManager(settings, housekeeping_at_start=False)
    try:
        manager.open_rendition_cache()
    except BaseException:
        manager.close()
        raise
    return manager


def library_words(settings: Settings) -> str:
    """ "local library ~/StreamImages", "team library ann@db:5432/streams" (never a password)."""
    try:
        location = location_of(settings)
    except UserError:  # a bad URL: the manager says why, once opening fails
        return "the library"
    if isinstance(location, LocalLibrary):
        return f"local library {home_relative(location.folder)}"
    return location.describe()


class LibraryOpening(QObject):
    """One opening of the library: `run()` returns the manager, None on Cancel, or raises.

    The worker hands its manager over under a lock, so a manager that arrives after Cancel is
    closed (by the worker, or by Cancel if it came first) and never leaks. A worker cannot be
    interrupted inside a connect: after Cancel it ends on its own within the connect timeout,
    and deleting this object waits for it.

    Attributes:
        dialog: the "Opening …" window (hidden until SHOW_AFTER_MS passed).
        shown: whether the dialog was ever shown.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        opener: Callable[[Settings], StreamImageManager] = open_manager,
        show_after_ms: int = SHOW_AFTER_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._opener = opener
        self._lock = threading.Lock()
        self._cancelled = False
        self._manager: StreamImageManager | None = None
        self._error: Exception | None = None
        self._runner = TaskRunner(max_threads=1, parent=self)
        self._loop = QEventLoop(self)
        self.shown = False
        self.dialog = QProgressDialog(f"Opening {library_words(settings)}…", "Cancel", 0, 0)
        self.dialog.setObjectName("opening_dialog")
        self.dialog.setWindowTitle("StreamImages")
        self.dialog.setAccessibleName("Opening the library")
        self.dialog.setAutoClose(False)
        self.dialog.reset()  # hidden, and QProgressDialog's own 4 s show timer stopped
        self.dialog.setMinimumWidth(360)
        self.dialog.canceled.connect(self._on_cancel)  # the button, Esc, closing the window
        self._show_timer = QTimer(self, singleShot=True, interval=show_after_ms)
        self._show_timer.timeout.connect(self._show)

    def run(self) -> StreamImageManager | None:
        """Open on the worker, running the event loop meanwhile; raise what opening raised."""
        self._runner.submit(self._work, self._on_done, self._on_error)
        self._show_timer.start()
        self._loop.exec()
        self._show_timer.stop()
        self.dialog.hide()
        self.dialog.deleteLater()
        if self._error is not None:
            raise self._error
        with self._lock:
            manager, self._manager = self._manager, None
        return manager

    def _work(self) -> None:
        manager = self._opener(self._settings)
        with self._lock:
            if not self._cancelled:
                self._manager = manager
                return
        manager.close()  # cancelled while it opened: nobody will use it

    def _show(self) -> None:
        self.shown = True
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _on_done(self, _result: object) -> None:
        self._loop.exit()

    def _on_error(self, exc: Exception) -> None:
        with self._lock:
            cancelled = self._cancelled
        if not cancelled:
            self._error = exc
        self._loop.exit()

    def _on_cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            late, self._manager = self._manager, None
        if late is not None:  # it arrived between the worker's hand-over and this click
            late.close()
        self._loop.exit()
