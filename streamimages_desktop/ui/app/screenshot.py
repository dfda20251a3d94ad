"""`gui --screenshot FILE`: the real window saved as a PNG once its thumbnails loaded, then quit."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QMessageLogContext,
    QObject,
    QTimer,
    QtMsgType,
)

from streamimages_desktop.ui.window.main_window import MainWindow

SCREENSHOT_SIZE = (1280, 800)
SCREENSHOT_TIMEOUT_MS = 10_000


def quiet_offscreen(mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """A Qt message handler: the offscreen platform has no window system, so its "does not
    support" notes are noise; anything else but debug output is one line on stderr."""
    if message.startswith("This plugin does not support"):
        return
    if mode != QtMsgType.QtDebugMsg:
        print(f"streamimages: {message}", file=sys.stderr, flush=True)


class Screenshot(QObject):
    """Save the real window as a PNG once its visible thumbnails loaded (or after a timeout).

    Attributes:
        path: where the PNG goes.
    """

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self._window = window
        self.path = path
        self._loop = QEventLoop(self)
        self._status = 1
        self._sample_pending = True  # until the first-run check has answered
        self._armed = False
        self._done = False
        self._timeout = QTimer(self, singleShot=True, interval=SCREENSHOT_TIMEOUT_MS)
        self._timeout.timeout.connect(self._capture)
        window.stream_browser.streams_loaded.connect(self._on_streams_loaded)
        window.gallery.thumbnails_idle.connect(self._on_thumbnails_idle)

    def run(self) -> int:
        """Wait for the capture; 0 when the PNG was written, else 1."""
        self._timeout.start()
        self._loop.exec()
        return self._status

    def on_sample_finished(self, _created: bool) -> None:
        self._sample_pending = False
        self._window.refresh_all()  # its streams_loaded arms the capture

    def _on_streams_loaded(self, _summaries: list[object]) -> None:
        if self._sample_pending or self._armed:
            return
        self._armed = True
        # After the stream selection this answer caused: one more query, then wait for idle.
        QTimer.singleShot(0, self._window.gallery.refresh)

    def _on_thumbnails_idle(self) -> None:
        if self._armed and not self._window.gallery.loading:
            QTimer.singleShot(50, self._capture)  # let the last dataChanged repaint land

    def _capture(self) -> None:
        if self._done:
            return
        self._done = True
        self._timeout.stop()
        try:
            self._window.cache_pane.refresh_now()  # its figures, not those of its last poll
            # The refresh may add rows to the pages table; until the posted layout requests
            # run, the scroll area has not grown its content and the other boxes are squeezed.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            image = self._window.grab().toImage()
            saved = bool(image.save(str(self.path), "PNG"))  # type: ignore[call-overload]
        except Exception:  # the loop must end whatever happens; one line, no traceback
            saved = False
        self._status = 0 if saved else 1
        if not saved:
            print(f"streamimages: cannot write the screenshot {self.path}", file=sys.stderr)
        self._loop.exit(self._status)
