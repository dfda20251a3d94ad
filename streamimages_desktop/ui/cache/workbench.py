"""The cache pane's Workbench tab: miss-ratio curves of many policies on a workload or a trace.

Everything slow runs on the pane's worker thread (which may use processes): building the
trace, the curves, writing CSV and PNG files. The GUI thread only reads widgets and draws.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.atomic import atomic_write
from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.workbench.mrc import ShardsResult, shards
from streamimages_desktop.core.workbench.points import Point
from streamimages_desktop.core.workbench.policies import LABELS, POLICIES
from streamimages_desktop.core.workbench.recorder import TraceRecorder
from streamimages_desktop.core.workbench.runner import Cancelled, CancelToken, run_curves
from streamimages_desktop.core.workbench.trace import Trace, read_csv, write_csv
from streamimages_desktop.core.workbench.workloads import Workload, generate
from streamimages_desktop.ui.cache.curve_chart import MIB, CurveChart
from streamimages_desktop.ui.tasks import TaskRunner

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
POINTS = 12


class _Progress(QObject):
    """Carries progress from the worker to the GUI thread (a queued signal)."""

    changed = Signal(int, int)


class WorkbenchPanel(QWidget):
    """Choose a workload or trace, policies and a size range; run; see and export the curves.

    Attributes:
        source_combo, alpha_spin, objects_spin, requests_spin, object_mb_spin,
        min_mb_spin, max_mb_spin, policy_checks (by name), run_button, cancel_button,
        progress, status, chart, record_button, export_csv_button, export_png_button.
        curves: the last finished result (policy -> points), empty before the first run.
    """

    finished = Signal()

    def __init__(self, memory: MemoryCache[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._memory = memory
        self._runner = TaskRunner(max_threads=1, parent=self)
        self._progress = _Progress(self)
        self._progress.changed.connect(self._on_progress)
        self._cancel: CancelToken | None = None
        self._recorder = TraceRecorder()
        self.recorded: Trace | None = None
        self.trace_path: Path | None = None
        self.curves: dict[str, list[Point]] = {}
        self.sample: ShardsResult | None = None  # the SHARDS result of the last run, if sampled
        self._build()

    def _build(self) -> None:
        setup = QGroupBox("Workload", self)
        form = QFormLayout(setup)
        self.source_combo = QComboBox(setup)
        for source in SOURCES:
            self.source_combo.addItem(SOURCE_LABELS[source], source)
        self.source_combo.setAccessibleName("Workload or trace")
        self.source_combo.view().setAccessibleName("Workloads and traces")
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.alpha_spin = _double(setup, 0, 3, 0.9, "Zipf alpha", decimals=2)
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
        grid.addWidget(QLabel("to:", sizes), 0, 2)
        grid.addWidget(self.max_mb_spin, 0, 3)
        self.policy_checks: dict[str, QCheckBox] = {}
        for i, name in enumerate(POLICIES):
            check = QCheckBox(LABELS[name], sizes)
            check.setChecked(name in ("seed", "lru", "s3fifo"))
            check.setAccessibleName(f"Compare {LABELS[name]}")
            self.policy_checks[name] = check
            grid.addWidget(check, 1 + i // 3, i % 3 + (i % 3 > 0))
        self.shards_check = QCheckBox("Sample the LRU curve (SHARDS) at", sizes)
        self.shards_check.setAccessibleName("Sample the LRU curve with SHARDS")
        self.shards_check.setToolTip("For long traces: a hashed sample of the keys, scaled up")
        self.shards_spin = _double(sizes, 0.1, 100, 1, "SHARDS sampling rate in percent", " %")
        row = 1 + (len(POLICIES) + 2) // 3
        grid.addWidget(self.shards_check, row, 0, 1, 2)
        grid.addWidget(self.shards_spin, row, 2)

        self.run_button = QPushButton("&Run", self)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.record_button = QPushButton("Record trace", self)
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record this window's cache traffic while you browse")
        self.record_button.toggled.connect(self._on_record_toggled)
        self.export_csv_button = QPushButton("Export CSV...", self)
        self.export_png_button = QPushButton("Export PNG...", self)
        for button in (self.export_csv_button, self.export_png_button):
            button.setEnabled(False)
        self.export_csv_button.clicked.connect(self._ask_csv)
        self.export_png_button.clicked.connect(self._ask_png)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Workbench progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("Choose a workload and policies, then Run.", self)
        self.status.setWordWrap(True)
        self.chart = CurveChart(self)

        names = {
            self.run_button: "Run the workbench",
            self.cancel_button: "Cancel the workbench run",
            self.record_button: "Record trace",
            self.export_csv_button: "Export the curves as CSV",
            self.export_png_button: "Export the chart as PNG",
        }
        for button, name in names.items():
            button.setAccessibleName(name)
        buttons = QHBoxLayout()
        for widget in (self.run_button, self.cancel_button, self.record_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.export_csv_button)
        buttons.addWidget(self.export_png_button)
        layout = QVBoxLayout(self)
        layout.addWidget(setup)
        layout.addWidget(sizes)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.chart, 1)

    # -- running ----------------------------------------------------------------------------

    def selected_policies(self) -> list[str]:
        return [name for name, check in self.policy_checks.items() if check.isChecked()]

    def sizes(self) -> list[int]:
        """POINTS log-spaced sizes between the two spin boxes (bytes)."""
        low = round(min(self.min_mb_spin.value(), self.max_mb_spin.value()) * MIB)
        high = round(max(self.min_mb_spin.value(), self.max_mb_spin.value()) * MIB)
        if low == high:
            return [low]
        ratio = (high / low) ** (1 / (POINTS - 1))
        return sorted({round(low * ratio**i) for i in range(POINTS)})

    def start(self) -> None:
        """Run the chosen policies on a worker; the chart updates when it finishes."""
        if self._cancel is not None:
            return
        policies = self.selected_policies()
        if not policies:
            self.status.setText("Choose at least one policy.")
            return
        source = self.source_combo.currentData()
        if source == "recorded" and not self.recorded:
            self.status.setText("Nothing recorded yet: press Record trace and browse first.")
            return
        if source == "file" and self.trace_path is None:
            self.status.setText("Choose a trace file first.")
            return
        workload = None
        if source not in ("recorded", "file"):
            workload = Workload(
                kind=source,
                alpha=self.alpha_spin.value(),
                objects=self.objects_spin.value(),
                requests=self.requests_spin.value(),
                object_size=max(1, round(self.object_mb_spin.value() * MIB)),
            )
        recorded, path = self.recorded, self.trace_path
        sizes, ttl = self.sizes(), self._memory.ttl_seconds
        rate = self.shards_spin.value() / 100 if self.shards_check.isChecked() else None
        cancel = self._cancel = CancelToken()
        progress = self._progress

        def work() -> tuple[dict[str, list[Point]], ShardsResult | None]:
            if workload is not None:
                trace = generate(workload)
            elif source == "recorded":
                assert recorded is not None
                trace = recorded
            else:
                assert path is not None
                trace = read_csv(path)
            timed_ttl = ttl if trace.times is not None else None
            exact = [p for p in policies if rate is None or p != "lru"]
            points = run_curves(
                trace, exact, sizes, timed_ttl, progress=progress.changed.emit, cancel=cancel
            ).points
            if rate is None or "lru" not in policies:
                return points, None
            sample = shards(trace, rate, sizes, timed_ttl)
            ordered = {p: sample.points if p == "lru" else points[p] for p in policies}
            return {**ordered, "belady": points["belady"]}, sample

        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText("Running...")
        self._runner.submit(work, self._on_done, self._on_failed)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.status.setText("Cancelling...")

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def _on_progress(self, done: int, total: int) -> None:
        if self._cancel is not None:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _on_done(self, result: tuple[dict[str, list[Point]], ShardsResult | None]) -> None:
        self._reset()
        curves, self.sample = result
        self.curves = curves
        self.chart.show_curves(curves, self._memory.limit_bytes)
        for button in (self.export_csv_button, self.export_png_button):
            button.setEnabled(True)
        text = self._summary(curves)
        if self.sample is not None:
            text += (
                f"\nLRU sampled with SHARDS at {self.sample.rate:.1%}: "
                f"{self.sample.sampled_requests:,} requests; estimated error "
                f"{100 * self.sample.error:.1f} points from "
                f"{self.sample.reliable_from_bytes / MIB:.3g} MB (below that a sample this "
                "small cannot tell)"
            )
        self.status.setText(text)
        self.finished.emit()

    def _on_failed(self, error: Exception) -> None:
        self._reset()
        if isinstance(error, Cancelled):
            self.status.setText("Cancelled.")
        else:
            self.status.setText(f"Could not run: {error}")
        self.finished.emit()

    def _reset(self) -> None:
        self._cancel = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)

    def _summary(self, curves: dict[str, list[Point]]) -> str:
        limit = self._memory.limit_bytes
        best = {
            name: min(points, key=lambda p: abs(p.size_bytes - limit)).hit_ratio
            for name, points in curves.items()
        }
        parts = [f"{LABELS.get(n, 'Belady')} {r:.1%}" for n, r in best.items()]
        return f"Hit ratio near the live limit ({limit / MIB:g} MB): " + ", ".join(parts)

    # -- sources and recording ----------------------------------------------------------------

    def _on_source_changed(self, _index: int) -> None:
        source = self.source_combo.currentData()
        synthetic = source not in ("recorded", "file", "live-event")
        for widget in (self.objects_spin, self.object_mb_spin):
            widget.setEnabled(synthetic)
        self.alpha_spin.setEnabled(source in ("zipf", "mix"))
        self.requests_spin.setEnabled(source not in ("recorded", "file"))
        if source == "file" and self.isVisible():
            name, _filter = QFileDialog.getOpenFileName(self, "Trace file", "", "CSV (*.csv)")
            if name:
                self.trace_path = Path(name)

    def _on_record_toggled(self, on: bool) -> None:
        if on:
            self._recorder.start(self._memory)
            self.record_button.setText("Stop recording")
            self.status.setText("Recording the cache's traffic; browse, then stop.")
            return
        self.recorded = self._recorder.stop()
        self.record_button.setText("Record trace")
        self.status.setText(f"Recorded {self.recorded.requests} requests; choose Recorded trace.")
        self.source_combo.setCurrentIndex(SOURCES.index("recorded"))

    def save_recorded(self, path: Path) -> None:
        """Write the recorded trace as CSV, on the worker."""
        if self.recorded is not None:
            trace = self.recorded
            self._runner.submit(lambda: write_csv(trace, path), self._on_saved, self._on_failed)

    # -- exports --------------------------------------------------------------------------------

    def export_csv(self, path: Path) -> None:
        """policy,size_bytes,hit_ratio,byte_hit_ratio per point, written on the worker."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["policy", "size_bytes", "hit_ratio", "byte_hit_ratio"])
        for name, points in self.curves.items():
            for p in points:
                writer.writerow(
                    [name, p.size_bytes, f"{p.hit_ratio:.6f}", f"{p.byte_hit_ratio:.6f}"]
                )
        data = out.getvalue().encode()
        self._runner.submit(
            lambda: atomic_write(path, data, 0o644), self._on_saved, self._on_failed
        )

    def export_png(self, path: Path) -> None:
        """The chart as drawn (grabbed here), encoded and written on the worker."""
        image = self.chart.grab().toImage()

        def write() -> None:
            from PySide6.QtCore import QBuffer, QIODevice

            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            image.save(buffer, "PNG")
            atomic_write(path, bytes(buffer.data().data()), 0o644)

        self._runner.submit(write, self._on_saved, self._on_failed)

    def _on_saved(self, _result: object) -> None:
        self.status.setText("Saved.")
        self.finished.emit()

    def _ask_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.csv", "CSV (*.csv)")
        if name:
            self.export_csv(Path(name))

    def _ask_png(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export chart", "curves.png", "PNG (*.png)")
        if name:
            self.export_png(Path(name))


def _int(parent: QWidget, low: int, high: int, value: int, name: str) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setGroupSeparatorShown(True)
    _name_spin(spin, name)
    return spin


def _double(
    parent: QWidget,
    low: float,
    high: float,
    value: float,
    name: str,
    suffix: str = "",
    decimals: int = 2,
) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setDecimals(decimals)
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
