"""The cache-stats pane: memory and disk cache use, per-page stats and clears, a history chart."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.cache import CacheStats
from streamimages_desktop.core.settings import SPECS, Settings, SettingsError, range_text
from streamimages_desktop.core.units import MIB, count_of, format_bytes
from streamimages_desktop.core.workbench.policies import LABELS, POLICIES
from streamimages_desktop.ui.cache.chart import CacheChart
from streamimages_desktop.ui.cache.pages import (
    NO_GETS,
    CachePagesBox,
    hit_ratio_text,
    page_ratio,
)
from streamimages_desktop.ui.cache.workbench import WorkbenchPanel
from streamimages_desktop.ui.onair.figures import stats_since
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window import dialogs

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import DiskCacheStats, StreamImageManager
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
    from streamimages_desktop.ui.settings_signal import SettingsSignal

POLL_MS = 500
WIDE_PX = 720  # from this width on: memory | disk side by side, every table column shown
MEMORY_FIELDS = (
    "Items",
    "Hit ratio",
    "Hits",
    "Misses",
    "Evictions",
    "Expirations",
    "Oversize",
    "Peak",
)
LIMIT = "IMAGE_CACHE_MAX_MEMORY_MB"
# What the less obvious figures count (tooltips on the caption and the value).
FIELD_HELP = {
    "Evictions": "Entries removed to make room under the limit",
    "Expirations": "Entries removed because they were older than the time to live "
    "(IMAGE_CACHE_TTL_HOURS)",
    "Oversize": "Entries never stored because each alone is larger than the limit",
    "Peak": "The highest use since the window opened or the limit last changed",
    "Corrupt": "Cached files that could not be read back; each was made again",
}
DISK_FIELDS = ("Items", "Hit ratio", "Hits", "Misses", "Evictions", "Expirations", "Corrupt")


def _stat_grid(
    cache: str, names: tuple[str, ...], parent: QWidget
) -> tuple[QGridLayout, dict[str, QLabel]]:
    """Label/value pairs, two per row; returns the layout and the value labels by key."""
    grid = QGridLayout()
    grid.setHorizontalSpacing(8)
    grid.setVerticalSpacing(2)
    values: dict[str, QLabel] = {}
    for i, name in enumerate(names):
        key = name.lower().replace(" ", "_")
        caption = QLabel(f"{name}:", parent)
        value = QLabel(NO_GETS if key == "hit_ratio" else "0", parent)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setAccessibleName(f"{cache} cache {name.lower()}")
        caption.setBuddy(value)
        if name in FIELD_HELP:
            caption.setToolTip(FIELD_HELP[name])
            value.setToolTip(FIELD_HELP[name])
        row, col = divmod(i, 2)
        grid.addWidget(caption, row, col * 3)
        grid.addWidget(value, row, col * 3 + 1)
        values[key] = value
    grid.setColumnMinimumWidth(2, 12)
    grid.setColumnStretch(1, 1)
    grid.setColumnStretch(4, 1)
    return grid, values


def _bar(name: str, parent: QWidget) -> QProgressBar:
    bar = QProgressBar(parent)
    bar.setRange(0, 1000)  # per mille: byte counts overflow a C int
    bar.setTextVisible(True)
    bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
    bar.setAccessibleName(name)
    return bar


def _set_bar(bar: QProgressBar, used: int, limit: int) -> None:
    bar.setValue(min(1000, round(1000 * used / limit)) if limit > 0 else 0)
    text = f"{format_bytes(used)} of {format_bytes(limit)}"
    bar.setFormat(text.replace("%", "%%"))
    bar.setAccessibleDescription(text)
    bar.setToolTip(f"{used:,} of {limit:,} bytes")


class MegabytesBox(QDoubleSpinBox):
    """A size in MB written as the bars write sizes: "500 MB", "2.5 MB", never "500.0 MB"."""

    def textFromValue(self, value: float) -> str:
        text = super().textFromValue(value)
        return text.removesuffix(self.locale().decimalPoint() + "0" * self.decimals())


class CachePane(QWidget):
    """Live stats of the in-memory pixmap cache and the on-disk rendition cache.

    Polls `MemoryCache.stats()` and the manager's `disk_cache_stats()` every 500 ms while
    visible (both are cheap counter snapshots); each poll is also one point on the history
    chart. The disk cache is reached only through the manager; without one (None) the disk
    box is hidden.

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
        self._settings = settings  # None: a limit typed here applies to this run only
        self._manager = manager
        self._clock = clock
        self._runner = TaskRunner(max_threads=1, parent=self)
        self._wide: bool | None = None
        self._disk_clearing = False
        self._on_air_base: CacheStats | None = None  # on air: figures count from then
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer)
        self.setAccessibleName("Cache statistics")
        self._build()
        self._apply_width(self.width())
        if settings is not None:
            settings.changed.connect(self._on_settings_changed)
            settings.failed.connect(self._show_memory_status)
            self._on_settings_changed(settings.current)
        self.refresh_now()

    # -- construction -----------------------------------------------------------------------

    def _build(self) -> None:
        content = QWidget()
        self._grid = QGridLayout(content)
        self._grid.setContentsMargins(6, 6, 6, 6)
        self._memory_box = self._build_memory(content)
        self._pages_box = CachePagesBox(content)
        self._pages_box.clear_requested.connect(self._on_clear_page)
        self.page_table = self._pages_box.table
        self._disk_box = self._build_disk(content)
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

    def _build_memory(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Memory cache", parent)
        self.memory_bar = _bar("Memory use against limit", box)
        self.limit_spin = MegabytesBox(box)
        self.limit_spin.setAccessibleName("Memory limit in megabytes")
        spec = SPECS[LIMIT]
        self.limit_spin.setToolTip(
            f"{LIMIT}: {spec.help}, {range_text(LIMIT)} {spec.unit}; "
            "lowering it evicts least recently used images at once"
        )
        self.limit_spin.setRange(spec.low, spec.high)
        self.limit_spin.setDecimals(1)
        self.limit_spin.setSuffix(f" {spec.unit}")
        self.limit_spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.limit_spin.setKeyboardTracking(False)  # typing "50" must not apply "5" on the way
        self.limit_spin.setValue(self._memory.limit_bytes / MIB)
        self.limit_spin.valueChanged.connect(self._on_limit_edited)
        editor = self.limit_spin.findChild(QLineEdit)
        if editor is not None:  # what a screen reader lands on when typing a limit
            editor.setAccessibleName("Memory limit in megabytes")
        limit_label = QLabel("&Limit:", box)
        limit_label.setBuddy(self.limit_spin)
        self.clear_all_button = QPushButton("Clear all", box)
        self.clear_all_button.setAccessibleName("Clear all memory cache pages")
        self.clear_all_button.setToolTip("Drop every cached pixmap; counters are kept")
        self.clear_all_button.clicked.connect(self._on_clear_all_clicked)
        self.policy_combo = QComboBox(box)
        self.policy_combo.setAccessibleName("Eviction policy")
        self.policy_combo.view().setAccessibleName("Eviction policies")
        self.policy_combo.setToolTip(
            "Who is evicted when the limit is reached (Workbench compares)"
        )
        for name in POLICIES:
            self.policy_combo.addItem(LABELS[name], name)
        self.policy_combo.setCurrentIndex(list(POLICIES).index(self._memory.policy))
        self.policy_combo.currentIndexChanged.connect(self._on_policy_chosen)
        self.policy_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.policy_combo.setMinimumContentsLength(12)  # the docked pane stays narrow
        policy_label = QLabel("&Policy:", box)
        policy_label.setBuddy(self.policy_combo)
        policy_row = QHBoxLayout()
        policy_row.addWidget(policy_label)
        policy_row.addWidget(self.policy_combo, 1)
        row = QHBoxLayout()
        row.addWidget(limit_label)
        row.addWidget(self.limit_spin)
        row.addStretch(1)
        row.addWidget(self.clear_all_button)
        grid, self.memory_values = _stat_grid("Memory", MEMORY_FIELDS, box)
        self.memory_status = QLabel("", box)
        self.memory_status.setWordWrap(True)
        self.memory_status.setVisible(False)
        layout = QVBoxLayout(box)
        layout.addWidget(self.memory_bar)
        layout.addLayout(row)
        layout.addLayout(policy_row)
        layout.addWidget(self.memory_status)
        layout.addLayout(grid)
        return box

    def _build_disk(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Disk cache", parent)
        self.disk_bar = _bar("Disk cache use against limit", box)
        grid, self.disk_values = _stat_grid("Disk", DISK_FIELDS, box)
        self.clear_disk_button = QPushButton("Clear disk cache", box)
        self.clear_disk_button.setAccessibleName("Clear disk cache")
        self.clear_disk_button.setToolTip("Delete every cached rendition file (made again later)")
        self.clear_disk_button.clicked.connect(self._on_clear_disk_clicked)
        self.disk_status = QLabel("", box)
        self.disk_status.setWordWrap(True)
        self.disk_status.setVisible(False)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.clear_disk_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.disk_bar)
        layout.addLayout(grid)
        layout.addWidget(self.disk_status)
        layout.addLayout(row)
        return box

    # -- refreshing -------------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Read both caches' stats, update every number and add one point to the chart."""
        stats = stats_since(self._memory.stats(), self._on_air_base)
        self._show_memory(stats)
        self._pages_box.show_pages(stats.pages)
        self.chart.add_sample(
            self._clock(), stats.total.bytes, stats.limit_bytes, page_ratio(stats.total)
        )
        if self._manager is not None and not self._disk_clearing and not self.on_air:
            # The figures are counter copies, but a clear deletes files: while one runs on
            # the worker, the GUI thread does not ask (it could wait on the clear).
            self._show_disk(self._manager.disk_cache_stats())

    def _show_memory(self, stats: CacheStats) -> None:
        total = stats.total
        _set_bar(self.memory_bar, total.bytes, stats.limit_bytes)
        values = self.memory_values
        values["items"].setText(f"{total.items:,}")
        values["hit_ratio"].setText(hit_ratio_text(total.hits, total.misses))
        for key in ("hits", "misses", "evictions", "expirations", "oversize"):
            values[key].setText(f"{getattr(total, key):,}")
        values["peak"].setText(format_bytes(self._memory.peak_bytes))
        if (
            not self.limit_spin.hasFocus()
            and round(self.limit_spin.value() * MIB) != stats.limit_bytes
        ):
            self.limit_spin.blockSignals(True)  # someone else changed it; don't echo it back
            self.limit_spin.setValue(stats.limit_bytes / MIB)
            self.limit_spin.blockSignals(False)

    def _show_disk(self, stats: DiskCacheStats) -> None:
        _set_bar(self.disk_bar, stats.bytes, stats.limit_bytes)
        values = self.disk_values
        values["hit_ratio"].setText(hit_ratio_text(stats.hits, stats.misses))
        for key in ("items", "hits", "misses", "evictions", "expirations", "corrupt"):
            values[key].setText(f"{getattr(stats, key):,}")

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

    def _on_limit_edited(self, megabytes: float) -> None:
        limit = round(megabytes * MIB)
        if limit == self._memory.limit_bytes:
            return
        if self._settings is not None:  # written to settings.toml; applied when it is announced
            try:
                self._settings.change(**{LIMIT: megabytes})
            except SettingsError as exc:
                self._show_memory_status(str(exc))
            return
        self._apply_limit(limit)

    def _on_policy_chosen(self, _index: int) -> None:
        self._memory.set_policy(self.policy_combo.currentData())
        self.refresh_now()

    def _on_settings_changed(self, settings: Settings) -> None:
        self.memory_status.setVisible(False)
        self._memory.set_ttl(settings.ttl_seconds)
        if settings.memory_limit_bytes != self._memory.limit_bytes:
            self._apply_limit(settings.memory_limit_bytes)

    def _show_memory_status(self, line: str) -> None:
        """A limit that could not be saved: say why; the box shows the limit in force again."""
        self.memory_status.setText(f"The limit was not saved: {line}")
        self.memory_status.setVisible(True)
        self.refresh_now()

    def _apply_limit(self, limit: int) -> None:
        self._memory.set_limit(limit)
        self.refresh_now()
        self.limit_changed.emit(limit)

    def _on_clear_page(self, page: str) -> None:
        self._memory.clear(page)
        self.refresh_now()
        self.cleared.emit(page)

    def _on_clear_all_clicked(self) -> None:
        self._memory.clear()
        self.refresh_now()
        self.cleared.emit("")

    def _on_clear_disk_clicked(self) -> None:
        """Ask first: every rendition is made again from its original, which takes a while."""
        if self._manager is None:
            return
        self._disk_question = dialogs.ask(
            self,
            "Clear disk cache",
            "Delete every cached rendition file? Thumbnails and previews are made again from "
            "the originals as they are needed.",
            self._clear_disk,
        )

    def _clear_disk(self) -> None:
        if self._manager is None:
            return
        self.clear_disk_button.setEnabled(False)
        self._disk_clearing = True
        self.disk_status.setVisible(False)
        self._runner.submit(
            self._manager.clear_disk_cache, self._on_disk_clear_done, self._on_disk_clear_failed
        )

    def _on_disk_clear_done(self, before: DiskCacheStats) -> None:
        self._disk_clearing = False
        self.clear_disk_button.setEnabled(True)
        self.disk_status.setText(
            f"Freed {format_bytes(before.bytes)} ({count_of(before.items, 'rendition')})"
        )
        self.disk_status.setVisible(True)
        self.refresh_now()
        self.disk_cleared.emit()

    def _on_disk_clear_failed(self, error: Exception) -> None:
        self._disk_clearing = False
        self.clear_disk_button.setEnabled(True)
        self.disk_status.setText(f"Could not clear the disk cache: {error}")
        self.disk_status.setVisible(True)
        self.refresh_now()

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
