"""Notice changes other processes make to the library (CLI imports, edits, views counted).

A timer asks the manager's data_version() on a worker every POLL_MS; SQLite changes that
number whenever any connection commits, so a poll costs one PRAGMA and never touches the
GUI thread. A change emits `changed` once; the window re-queries in place.

A team library is told of other machines' changes by the server (LISTEN/NOTIFY), so there
the watcher keeps one wait_for_change() outstanding on a thread of its own instead: a change
arrives within a round trip, and the gallery's workers are never held up by the waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from streamimages_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

POLL_MS = 500
TEAM_WAIT_SECONDS = 1.0  # how long one wait on the server lasts before it is asked again


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
        self._listening = False
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        # Waits on the server hold a thread for up to a second: they get their own.
        self._listener = TaskRunner(max_threads=1, parent=self) if manager.is_team_library else None

    def start(self) -> None:
        if self._listener is not None:
            self._listening = True
            self._listen()
            return
        self.timer.start()
        self.poll()

    def stop(self) -> None:
        """Stop asking; an outstanding wait on the server ends within TEAM_WAIT_SECONDS and
        is waited for, so it never runs on a closed library."""
        self.timer.stop()
        self._listening = False
        if self._listener is not None:
            self._listener.clear_queued()
            self._listener.wait(int(TEAM_WAIT_SECONDS * 1000) + 5000)

    def poll(self) -> None:
        if self._asking:  # the last question is still out (a busy disk): do not pile up
            return
        self._asking = True
        self._runner.submit(self._manager.data_version, self._on_version, self._on_failed)

    def _listen(self) -> None:
        """One wait on the team library's server; its answer (or failure) starts the next."""
        if not self._listening or self._listener is None or self._asking:
            return
        self._asking = True
        self._listener.submit(
            lambda: self._manager.wait_for_change(TEAM_WAIT_SECONDS),
            self._on_heard,
            self._on_lost,
        )

    def _on_heard(self, version: int) -> None:
        """A wait ended. The first answer refreshes too: the window's first queries raced
        the wait, and a change another member made in between must not go unseen."""
        first = self._version is None
        self._on_version(version)
        if first:
            self.changed.emit()
        self._listen()

    def _on_lost(self, _exc: Exception) -> None:
        """The server went away: ask again a poll later (the feed reconnects and re-syncs)."""
        self._asking = False
        QTimer.singleShot(POLL_MS, self._listen)

    def _on_version(self, version: int) -> None:
        self._asking = False
        before, self._version = self._version, version
        if before is not None and version != before:
            self.changed.emit()

    def _on_failed(self, _exc: Exception) -> None:
        self._asking = False  # a closed or busy library: ask again at the next tick
