"""DiskCacheBox: the on-disk rendition cache's use and counters, and clearing it on a worker.

Clearing deletes every cached rendition file, so it asks first and runs off the GUI thread;
while it runs the box is `clearing` and the pane does not ask for disk figures (the GUI
thread could wait on the clear).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from streamimages_desktop.core.units import count_of, format_bytes
from streamimages_desktop.ui.cache.figures import show_use, stat_grid, use_bar
from streamimages_desktop.ui.cache.pages import hit_ratio_text
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window import dialogs

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import DiskCacheStats, StreamImageManager

DISK_FIELDS = ("Items", "Hit ratio", "Hits", "Misses", "Evictions", "Expirations", "Corrupt")


class DiskCacheBox(QGroupBox):
    """The "Disk cache" group of the cache pane; the manager clears the cache (None: never).

    Signals:
        cleared(): the disk cache finished clearing; `status` says what it freed.
        clear_failed(): it could not be cleared; `status` says why.

    Attributes:
        bar: use against limit.
        values: value labels by key (items, hit_ratio, evictions, ...).
        clear_button: asks, then clears the disk cache.
        status: what clearing freed, or why it failed (hidden before).
    """

    cleared = Signal()
    clear_failed = Signal()

    def __init__(self, manager: StreamImageManager | None, parent: QWidget | None = None) -> None:
        super().__init__("Disk cache", parent)
        self._manager = manager
        self._runner = TaskRunner(max_threads=1, parent=self)
        self._clearing = False
        self.bar = use_bar("Disk cache use against limit", self)
        grid, self.values = stat_grid("Disk", DISK_FIELDS, self)
        self.clear_button = QPushButton("Clear disk cache", self)
        self.clear_button.setAccessibleName("Clear disk cache")
        self.clear_button.setToolTip("Delete every cached rendition file (made again later)")
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        layout.addLayout(row)

    @property
    def clearing(self) -> bool:
        """True while a clear runs on the worker."""
        return self._clearing

    def show_stats(self, stats: DiskCacheStats) -> None:
        show_use(self.bar, stats.bytes, stats.limit_bytes)
        values = self.values
        values["hit_ratio"].setText(hit_ratio_text(stats.hits, stats.misses))
        for key in ("items", "hits", "misses", "evictions", "expirations", "corrupt"):
            values[key].setText(f"{getattr(stats, key):,}")

    def _on_clear_clicked(self) -> None:
        """Ask first: every rendition is made again from its original, which takes a while."""
        if self._manager is None:
            return
        self._question = dialogs.ask(
            self,
            "Clear disk cache",
            "Delete every cached rendition file? Thumbnails and previews are made again from "
            "the originals as they are needed.",
            self._clear,
        )

    def _clear(self) -> None:
        if self._manager is None:
            return
        self.clear_button.setEnabled(False)
        self._clearing = True
        self.status.setVisible(False)
        self._runner.submit(self._manager.clear_disk_cache, self._on_done, self._on_failed)

    def _on_done(self, before: DiskCacheStats) -> None:
        self._clearing = False
        self.clear_button.setEnabled(True)
        self.status.setText(
            f"Freed {format_bytes(before.bytes)} ({count_of(before.items, 'rendition')})"
        )
        self.status.setVisible(True)
        self.cleared.emit()

    def _on_failed(self, error: Exception) -> None:
        self._clearing = False
        self.clear_button.setEnabled(True)
        self.status.setText(f"Could not clear the disk cache: {error}")
        self.status.setVisible(True)
        self.clear_failed.emit()
