"""MemoryCacheBox: the live memory cache's use, limit, eviction policy and counters.

The limit and the policy act on the MemoryCache at once. With the window's SettingsSignal
(follow_settings) a limit typed or a policy chosen here is written to the config file instead
and takes effect when the signal announces it, and the time to live follows the settings too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.cache import CacheStats, MemoryCache
from streamimages_desktop.core.settings import SPECS, Settings, SettingsError, range_text
from streamimages_desktop.core.units import MIB, format_bytes
from streamimages_desktop.core.workbench.policies import LABELS, POLICIES
from streamimages_desktop.ui.cache.figures import MegabytesBox, show_use, stat_grid, use_bar
from streamimages_desktop.ui.cache.pages import hit_ratio_text

if TYPE_CHECKING:
    from streamimages_desktop.ui.settings_signal import SettingsSignal

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
POLICY = "IMAGE_CACHE_POLICY"


class MemoryCacheBox(QGroupBox):
    """The "Memory cache" group of the cache pane.

    Signals:
        changed(): the policy changed or the status line appeared: the figures are due again.
        limit_changed(int): a new limit in bytes is in force (the figures are due again).
        clear_all_requested(): "Clear all" was clicked.

    Attributes:
        bar: use against limit.
        values: value labels by key (items, hit_ratio, evictions, ...).
        limit_spin: the limit in MB; applied on Enter, focus out or an arrow step.
        status: a one-line message when a new limit or policy could not be saved (hidden before).
        clear_all_button, policy_combo.
    """

    changed = Signal()
    limit_changed = Signal(int)
    clear_all_requested = Signal()

    def __init__(self, memory: MemoryCache[QPixmap], parent: QWidget | None = None) -> None:
        super().__init__("Memory cache", parent)
        self._memory = memory
        self._settings: SettingsSignal | None = None  # None: a limit applies to this run only
        self._saving = "limit"  # what the last change written to the settings was
        self.bar = use_bar("Memory use against limit", self)
        self.limit_spin = MegabytesBox(self)
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
        self.limit_spin.setValue(memory.limit_bytes / MIB)
        self.limit_spin.valueChanged.connect(self._on_limit_edited)
        editor = self.limit_spin.findChild(QLineEdit)
        if editor is not None:  # what a screen reader lands on when typing a limit
            editor.setAccessibleName("Memory limit in megabytes")
        limit_label = QLabel("&Limit:", self)
        limit_label.setBuddy(self.limit_spin)
        self.clear_all_button = QPushButton("Clear all", self)
        self.clear_all_button.setAccessibleName("Clear all memory cache pages")
        self.clear_all_button.setToolTip("Drop every cached pixmap; counters are kept")
        self.clear_all_button.clicked.connect(self.clear_all_requested)
        self.policy_combo = self._policy_combo()
        policy_label = QLabel("&Policy:", self)
        policy_label.setBuddy(self.policy_combo)
        policy_row = QHBoxLayout()
        policy_row.addWidget(policy_label)
        policy_row.addWidget(self.policy_combo, 1)
        row = QHBoxLayout()
        row.addWidget(limit_label)
        row.addWidget(self.limit_spin)
        row.addStretch(1)
        row.addWidget(self.clear_all_button)
        grid, self.values = stat_grid("Memory", MEMORY_FIELDS, self)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addLayout(row)
        layout.addLayout(policy_row)
        layout.addWidget(self.status)
        layout.addLayout(grid)

    def _policy_combo(self) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName("Eviction policy")
        combo.view().setAccessibleName("Eviction policies")
        combo.setToolTip("Who is evicted when the limit is reached (Workbench compares)")
        for name in POLICIES:
            combo.addItem(LABELS[name], name)
        combo.setCurrentIndex(list(POLICIES).index(self._memory.policy))
        combo.currentIndexChanged.connect(self._on_policy_chosen)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)  # the docked pane stays narrow
        return combo

    def follow_settings(self, settings: SettingsSignal) -> None:
        """Write limits typed and policies chosen here to the config file; apply the settings
        now and as they change (the limit, the policy and the time to live)."""
        self._settings = settings
        settings.changed.connect(self._on_settings_changed)
        settings.failed.connect(self._on_save_failed)
        self._on_settings_changed(settings.current)

    def show_stats(self, stats: CacheStats) -> None:
        """Every figure from `stats`; the limit box too, unless the user is editing it."""
        total = stats.total
        show_use(self.bar, total.bytes, stats.limit_bytes)
        values = self.values
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

    def _on_limit_edited(self, megabytes: float) -> None:
        limit = round(megabytes * MIB)
        if limit == self._memory.limit_bytes:
            return
        if self._settings is not None:  # written to settings.toml; applied when it is announced
            try:
                self._saving = "limit"
                self._settings.change(**{LIMIT: megabytes})
            except SettingsError as exc:
                self._show_status("limit", str(exc))
            return
        self._apply_limit(limit)

    def _on_policy_chosen(self, _index: int) -> None:
        name = self.policy_combo.currentData()
        if name == self._memory.policy:
            return
        if self._settings is not None:  # kept for the next start; applied when announced
            try:
                self._saving = "policy"
                self._settings.change(**{POLICY: name})
            except SettingsError as exc:
                self._apply_policy(self._memory.policy)  # the one in force, shown again
                self._show_status("policy", str(exc))
            return
        self._apply_policy(name)

    def _apply_policy(self, name: str) -> None:
        self._memory.set_policy(name)
        index = self.policy_combo.findData(name)
        if index != self.policy_combo.currentIndex():
            self.policy_combo.blockSignals(True)  # announced from elsewhere; don't echo it
            self.policy_combo.setCurrentIndex(index)
            self.policy_combo.blockSignals(False)
        self.changed.emit()

    def _on_settings_changed(self, settings: Settings) -> None:
        self.status.setVisible(False)
        self._memory.set_ttl(settings.ttl_seconds)
        if settings.memory_limit_bytes != self._memory.limit_bytes:
            self._apply_limit(settings.memory_limit_bytes)
        if settings.image_cache_policy != self._memory.policy:
            self._apply_policy(settings.image_cache_policy)

    def _on_save_failed(self, line: str) -> None:
        """The last change could not be written: nothing changed; show what is in force."""
        self._apply_policy(self._memory.policy)
        self._show_status(self._saving, line)

    def _show_status(self, what: str, line: str) -> None:
        """A choice that could not be saved: say why; the box shows what is in force again."""
        self.status.setText(f"The {what} was not saved: {line}")
        self.status.setVisible(True)
        self.changed.emit()

    def _apply_limit(self, limit: int) -> None:
        self._memory.set_limit(limit)
        self.limit_changed.emit(limit)
