"""AfterPaint: work that is not the picture itself waits until the picture is on screen.

Counting a view, prefetching the neighbours and reading the camera summary all compete with
the decode of the image just asked for; they run after the view's next paint, or after
FALLBACK_MS when no paint comes (a hidden window, a picture that did not change).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, SignalInstance

FALLBACK_MS = 50


class AfterPaint(QObject):
    """A queue of jobs run on the GUI thread after the next `painted` (or the fallback timer)."""

    def __init__(self, painted: SignalInstance, parent: QObject) -> None:
        super().__init__(parent)
        self._jobs: list[Callable[[], object]] = []
        self._timer = QTimer(self, singleShot=True, interval=FALLBACK_MS)
        self._timer.timeout.connect(self.run)
        painted.connect(self.run)

    def later(self, job: Callable[[], object]) -> None:
        self._jobs.append(job)
        if not self._timer.isActive():
            self._timer.start()

    def run(self) -> None:
        self._timer.stop()
        jobs, self._jobs = self._jobs, []
        for job in jobs:
            job()

    def clear(self) -> None:
        """Drop what waits (the viewer shuts down: nothing may reach its runner afterwards)."""
        self._timer.stop()
        self._jobs.clear()
