"""The Workbench tab's choices: workload or trace, object count and size, sizes and policies."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.workbench.policies import LABELS, POLICIES
from streamimages_desktop.core.workbench.workloads import Workload

MIB = 1024 * 1024
SOURCES = ("zipf", "uniform", "scan", "live-event", "mix", "recorded", "file")
SOURCE_LABELS = {
    "zipf": "Zipf",
    "uniform": "Uniform",
    "scan": "Sequential scan",
    "live-event": "Live event (seed preset)",
    "mix": "Zipf with periodic scans",
    "recorded": "Recorded trace",
    "file": "Trace file...",
}
POINTS = 12  # sizes per curve, log-spaced between the two size boxes
DEFAULT_POLICIES = ("seed", "lru", "s3fifo")


class WorkbenchForm(QWidget):
    """Two group boxes; reading them gives a Workload, the sizes, policies and SHARDS rate.

    Signals:
        file_wanted(): the user chose "Trace file..." (the panel asks for the file).
    """

    file_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        setup = QGroupBox("Workload", self)
        form = QFormLayout(setup)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow docks: label above
        self.source_combo = QComboBox(setup)
        for source in SOURCES:
            self.source_combo.addItem(SOURCE_LABELS[source], source)
        self.source_combo.setAccessibleName("Workload or trace")
        self.source_combo.view().setAccessibleName("Workloads and traces")
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.alpha_spin = _double(setup, 0, 3, 0.9, "Zipf alpha")
        self.objects_spin = _int(setup, 1, 1_000_000, 1000, "Distinct objects")
        self.requests_spin = _int(setup, 100, 2_000_000, 50_000, "Requests")
        self.object_mb_spin = _double(setup, 0.01, 1024, 5, "Object size in megabytes", " MB")
        form.addRow("&Source:", self.source_combo)
        form.addRow("&Alpha:", self.alpha_spin)
        form.addRow("&Objects:", self.objects_spin)
        form.addRow("Re&quests:", self.requests_spin)
        form.addRow("Object si&ze:", self.object_mb_spin)

        sizes = QGroupBox("Cache sizes and policies", self)
        grid = QGridLayout(sizes)
        self.min_mb_spin = _double(sizes, 0.01, 1 << 20, 25, "Smallest cache size", " MB")
        self.max_mb_spin = _double(sizes, 0.01, 1 << 20, 5000, "Largest cache size", " MB")
        grid.addWidget(QLabel("From:", sizes), 0, 0)
        grid.addWidget(self.min_mb_spin, 0, 1)
        grid.addWidget(QLabel("To:", sizes), 1, 0)
        grid.addWidget(self.max_mb_spin, 1, 1)
        self.policy_checks: dict[str, QCheckBox] = {}
        for i, name in enumerate(POLICIES):
            check = QCheckBox("Seed (live)" if name == "seed" else LABELS[name], sizes)
            check.setToolTip(LABELS[name])
            check.setChecked(name in DEFAULT_POLICIES)
            check.setAccessibleName(f"Compare {LABELS[name]}")
            self.policy_checks[name] = check
            grid.addWidget(check, 2 + i // 2, i % 2)  # two a row: the docked pane is narrow
        self.shards_check = QCheckBox("Sample LRU (SHARDS)", sizes)
        self.shards_check.setAccessibleName("Sample the LRU curve with SHARDS")
        self.shards_check.setToolTip("For long traces: a hashed sample of the keys, scaled up")
        self.shards_spin = _double(sizes, 0.1, 100, 1, "SHARDS sampling rate in percent", " %")
        row = 2 + (len(POLICIES) + 1) // 2
        grid.addWidget(self.shards_check, row, 0)
        grid.addWidget(self.shards_spin, row, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(setup)
        layout.addWidget(sizes)

    def source(self) -> str:
        return str(self.source_combo.currentData())

    def select_source(self, source: str) -> None:
        self.source_combo.setCurrentIndex(SOURCES.index(source))

    def workload(self) -> Workload | None:
        """The synthetic workload chosen, or None for a recorded trace or a file."""
        source = self.source()
        if source in ("recorded", "file"):
            return None
        return Workload(
            kind=source,
            alpha=self.alpha_spin.value(),
            objects=self.objects_spin.value(),
            requests=self.requests_spin.value(),
            object_size=max(1, round(self.object_mb_spin.value() * MIB)),
        )

    def policies(self) -> list[str]:
        return [name for name, check in self.policy_checks.items() if check.isChecked()]

    def sizes(self) -> list[int]:
        """POINTS log-spaced sizes between the two size boxes (bytes)."""
        low = round(min(self.min_mb_spin.value(), self.max_mb_spin.value()) * MIB)
        high = round(max(self.min_mb_spin.value(), self.max_mb_spin.value()) * MIB)
        if low == high:
            return [low]
        ratio = (high / low) ** (1 / (POINTS - 1))
        return sorted({round(low * ratio**i) for i in range(POINTS)})

    def shards_rate(self) -> float | None:
        return self.shards_spin.value() / 100 if self.shards_check.isChecked() else None

    def _on_source_changed(self, _index: int) -> None:
        source = self.source()
        synthetic = source not in ("recorded", "file", "live-event")
        for widget in (self.objects_spin, self.object_mb_spin):
            widget.setEnabled(synthetic)
        self.alpha_spin.setEnabled(source in ("zipf", "mix"))
        self.requests_spin.setEnabled(source not in ("recorded", "file"))
        if source == "file":
            self.file_wanted.emit()


def _int(parent: QWidget, low: int, high: int, value: int, name: str) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setGroupSeparatorShown(True)
    _name_spin(spin, name)
    return spin


def _double(
    parent: QWidget, low: float, high: float, value: float, name: str, suffix: str = ""
) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setDecimals(2)
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    _name_spin(spin, name)
    return spin


def _name_spin(spin: QSpinBox | QDoubleSpinBox, name: str) -> None:
    spin.setAccessibleName(name)
    editor = spin.findChild(QLineEdit)
    if editor is not None:  # what a screen reader lands on when typing
        editor.setAccessibleName(name)
