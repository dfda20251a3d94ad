"""The window's view of LiveSettings: a Qt signal on the GUI thread, writes on a worker."""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QObject, Qt, Signal, Slot

from streamimages_desktop.core.live_settings import LiveSettings
from streamimages_desktop.core.settings import Settings, SettingsError
from streamimages_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class SettingsSignal(QObject):
    """Panes connect to `changed` instead of polling; `change` validates at once and leaves the
    config file write (an fsync) to a worker, so the GUI thread never waits on the disk.

    Signals:
        changed(Settings): the new settings, after the config file was written.
        failed(str): one line when a change could not be written (nothing changed).
    """

    changed = Signal(object)
    failed = Signal(str)
    _arrived = Signal(object)  # from whichever thread LiveSettings notified on

    def __init__(self, live: LiveSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live = live
        self._runner = TaskRunner(max_threads=1, parent=self)  # one writer: changes stay in order
        self._arrived.connect(self._on_arrived, Qt.ConnectionType.QueuedConnection)
        unsubscribe = live.subscribe(self._relay)
        self.destroyed.connect(lambda *_: unsubscribe())

    @property
    def current(self) -> Settings:
        return self._live.current

    def change(self, **values: object) -> None:
        """Raise SettingsError (one line) for a bad value; otherwise write and then notify."""
        self._live.validate(**values)
        self._runner.submit(lambda: self._live.change(**values), self._done, self._failed)

    def wait(self, msecs: int = -1) -> bool:
        """Block until pending writes finished (shutdown, tests)."""
        return self._runner.wait(msecs)

    @Slot(object)
    def _on_arrived(self, settings: Settings) -> None:
        self.changed.emit(settings)

    def _done(self, _settings: Settings) -> None:
        """`changed` follows from the subscription (also for changes made elsewhere)."""

    def _failed(self, error: Exception) -> None:
        if isinstance(error, SettingsError):  # the disk or the file said no: one line
            self.failed.emit(str(error))
            return
        log.error("saving a setting failed", exc_info=error)
        self.failed.emit("Could not save the setting (an internal error; it is in the log)")

    def _relay(self, settings: Settings) -> None:
        with contextlib.suppress(RuntimeError):  # deleted with the window as a write finished
            self._arrived.emit(settings)
