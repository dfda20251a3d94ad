"""The cache-stats pane: memory and disk cache use, per-page stats and clears, a history chart."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.cache import CacheStats
from streamimages_desktop.ui.cache.chart import CacheChart
from streamimages_desktop.ui.cache.disk_box import DiskCacheBox
from streamimages_desktop.ui.cache.memory_box import MemoryCacheBox
from streamimages_desktop.ui.cache.pages import CachePagesBox, page_ratio
from streamimages_desktop.ui.cache.workbench import WorkbenchPanel
from streamimages_desktop.ui.onair.figures import stats_since

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
    from streamimages_desktop.ui.settings_signal import SettingsSignal

POLL_MS = 500
WIDE_PX = 720  # from this width on: memory | disk side by side, every table column shown


class CachePane(QWidget):
    """Live stats of the in-memory pixmap cache and the on-disk rendition cache.

    Polls `MemoryCache.stats()` and the manager's `disk_cache_stats()` every 500 ms while
    visible (both are cheap counter snapshots); each poll is also one point on the history
    chart. The disk cache is reached only through the manager; without one (None) the disk
    box is hidden. The figures are in a MemoryCacheBox, a CachePagesBox and a DiskCacheBox;
    the pane polls, lays them out for its width and keeps them quiet on air.

    Signals:
        cleared(str): a memory page was cleared by the user; "" when all pages were.
        limit_changed(int): the user set a new memory limit in bytes (already applied).
        disk_cleared(): the disk cache finished clearing (it runs on a worker thread).

    Attributes:
        memory_bar, disk_bar: use against limit, text like "123.4 MB of 500 MB".
        memory_values, disk_values: value labels by key (items, hit_ratio, evictions, ...).
        limit_spin: the memory limit in MB; applied on Enter, focus out or an arrow step (and
            written to the config file when the pane was given the window's SettingsSignal).
        memory_status: a one-line message when a new limit could not be saved.
        page_table: one row per page, raw numbers in Qt.UserRole, a Clear button per row.
        disk_status: what clearing the disk cache freed, or why it failed (hidden before).
        clear_all_button, clear_disk_button, chart.
        policy_combo: the live cache's eviction policy (the seed's by default).
        tabs, workbench: the Live and Workbench tabs; workbench is a WorkbenchPanel.
    """

    cleared = Signal(str)
    limit_changed = Signal(int)
    disk_cleared = Signal()

    def __init__(
        self,
        pixmap_cache: PixmapCache,
        manager: StreamImageManager | None,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        settings: SettingsSignal | None = None,
    ) -> None:
        super().__init__(parent)
        self._memory = pixmap_cache.memory
        self._manager = manager
        self._clock = clock
        self._wide: bool | None = None
        self._on_air_base: CacheStats | None = None  # on air: figures count from then
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer)
        self.setAccessibleName("Cache statistics")
        self._build()
        self._apply_width(self.width())
        if settings is not None:
            self._memory_box.follow_settings(settings)
        self.refresh_now()

    # -- construction -----------------------------------------------------------------------

    def _build(self) -> None:
        content = QWidget()
        self._grid = QGridLayout(content)
        self._grid.setContentsMargins(6, 6, 6, 6)
        self._memory_box = MemoryCacheBox(self._memory, content)
        self._memory_box.changed.connect(self.refresh_now)
        self._memory_box.limit_changed.connect(self._on_limit_changed)
        self._memory_box.clear_all_requested.connect(self._on_clear_all)
        self.memory_bar = self._memory_box.bar
        self.limit_spin = self._memory_box.limit_spin
        self.clear_all_button = self._memory_box.clear_all_button
        self.policy_combo = self._memory_box.policy_combo
        self.memory_values = self._memory_box.values
        self.memory_status = self._memory_box.status
        self._pages_box = CachePagesBox(content)
        self._pages_box.clear_requested.connect(self._on_clear_page)
        self.page_table = self._pages_box.table
        self._disk_box = DiskCacheBox(self._manager, content)
        self._disk_box.cleared.connect(self._on_disk_cleared)
        self._disk_box.clear_failed.connect(self.refresh_now)
        self.disk_bar = self._disk_box.bar
        self.disk_values = self._disk_box.values
        self.disk_status = self._disk_box.status
        self.clear_disk_button = self._disk_box.clear_button
        self._chart_box = QGroupBox("History (last minute)", content)
        self.chart = CacheChart(parent=self._chart_box)
        QVBoxLayout(self._chart_box).addWidget(self.chart)
        self._disk_box.setVisible(self._manager is not None)

        scroll = QScrollArea(self)
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setAccessibleName("Cache statistics")
        self.workbench = WorkbenchPanel(self._memory)  # issue 12: the cache workbench
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Cache views")
        self.tabs.addTab(scroll, "Live")
        bench_scroll = QScrollArea(self)  # its controls must not widen the docked pane
        bench_scroll.setWidget(self.workbench)
        bench_scroll.setWidgetResizable(True)
        bench_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Never clip a control: a pane narrower than the form scrolls sideways instead.
        bench_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        bench_scroll.setAccessibleName("Cache workbench")
        self.tabs.addTab(bench_scroll, "Workbench")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)

    # -- refreshing -------------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Read both caches' stats, update every number and add one point to the chart."""
        stats = stats_since(self._memory.stats(), self._on_air_base)
        self._memory_box.show_stats(stats)
        self._pages_box.show_pages(stats.pages)
        self.chart.add_sample(
            self._clock(), stats.total.bytes, stats.limit_bytes, page_ratio(stats.total)
        )
        if self._manager is not None and not self._disk_box.clearing and not self.on_air:
            # The figures are counter copies, but a clear deletes files: while one runs on
            # the worker, the GUI thread does not ask (it could wait on the clear).
            self._disk_box.show_stats(self._manager.disk_cache_stats())

    @property
    def on_air(self) -> bool:
        return self._on_air_base is not None

    def set_on_air(self, on_air: bool) -> None:
        """On air the memory figures count from now and the disk figures (which count every
        image's renditions, private ones too) are hidden. Call after the pages are cleared."""
        self._on_air_base = self._memory.stats() if on_air else None
        self._disk_box.setVisible(self._manager is not None and not on_air)
        self.refresh_now()

    # -- slots ------------------------------------------------------------------------------

    def _on_timer(self) -> None:
        self.refresh_now()

    def _on_limit_changed(self, limit: int) -> None:
        self.refresh_now()
        self.limit_changed.emit(limit)

    def _on_clear_page(self, page: str) -> None:
        self._memory.clear(page)
        self.refresh_now()
        self.cleared.emit(page)

    def _on_clear_all(self) -> None:
        self._memory.clear()
        self.refresh_now()
        self.cleared.emit("")

    def _on_disk_cleared(self) -> None:
        self.refresh_now()
        self.disk_cleared.emit()

    # -- visibility and width ---------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Resume polling (and catch up at once) when the pane becomes visible."""
        super().showEvent(event)
        self.refresh_now()
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """Stop polling while nobody can see the numbers."""
        self._timer.stop()
        super().hideEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Switch between the one-column dock layout and the two-column floated layout."""
        super().resizeEvent(event)
        self._apply_width(event.size().width())

    def _apply_width(self, width: int) -> None:
        wide = width >= WIDE_PX
        if wide == self._wide:
            return
        self._wide = wide
        for box in (self._memory_box, self._pages_box, self._disk_box, self._chart_box):
            self._grid.removeWidget(box)
        if wide:  # memory | disk on top, then the table and the chart across the full width
            self._grid.addWidget(self._memory_box, 0, 0)
            self._grid.addWidget(self._disk_box, 0, 1)
            self._grid.addWidget(self._pages_box, 1, 0, 1, 2)
            self._grid.addWidget(self._chart_box, 2, 0, 1, 2)
        else:
            for row, box in enumerate(
                (self._memory_box, self._pages_box, self._disk_box, self._chart_box)
            ):
                self._grid.addWidget(box, row, 0)
        self._grid.setColumnStretch(0, 1)
        self._grid.setColumnStretch(1, 1 if wide else 0)
        chart_row = 2 if wide else 3
        for row in range(4):
            self._grid.setRowStretch(row, 1 if row == chart_row else 0)
        self._pages_box.set_wide(wide)

    @property
    def polling(self) -> bool:
        """True while the stats timer runs (the pane is shown)."""
        return self._timer.isActive()
