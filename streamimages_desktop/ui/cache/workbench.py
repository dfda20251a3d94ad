"""The cache pane's Workbench tab: miss-ratio curves of many policies on a workload or a trace.

Everything slow runs on the pane's worker thread (which may use processes): building the
trace, the curves, writing CSV and PNG files. The GUI thread only reads widgets and draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.atomic import atomic_write
from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.workbench.mrc import ShardsResult, shards
from streamimages_desktop.core.workbench.points import Point, points_csv
from streamimages_desktop.core.workbench.policies import LABELS
from streamimages_desktop.core.workbench.recorder import TraceRecorder
from streamimages_desktop.core.workbench.runner import Cancelled, CancelToken, run_curves
from streamimages_desktop.core.workbench.trace import Trace, read_csv, write_csv
from streamimages_desktop.core.workbench.workloads import generate
from streamimages_desktop.ui.cache.curve_chart import MIB, CurveChart
from streamimages_desktop.ui.cache.workbench_form import WorkbenchForm
from streamimages_desktop.ui.tasks import TaskRunner


class _Progress(QObject):
    """Carries progress from the worker to the GUI thread (a queued signal)."""

    changed = Signal(int, int)


class WorkbenchPanel(QWidget):
    """Choose a workload or trace, policies and a size range; run; see and export the curves.

    Attributes:
        source_combo, alpha_spin, objects_spin, requests_spin, object_mb_spin,
        min_mb_spin, max_mb_spin, policy_checks (by name), shards_check, shards_spin,
        run_button, cancel_button, progress, status, chart, record_button,
        save_trace_button, export_csv_button, export_png_button.
        recorded: the trace of the last recording; trace_path: the chosen trace file.
        sample: the SHARDS result of the last run when it sampled the LRU curve.
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
        self.form = WorkbenchForm(self)
        form = self.form
        self.source_combo, self.alpha_spin = form.source_combo, form.alpha_spin
        self.objects_spin, self.requests_spin = form.objects_spin, form.requests_spin
        self.object_mb_spin = form.object_mb_spin
        self.min_mb_spin, self.max_mb_spin = form.min_mb_spin, form.max_mb_spin
        self.policy_checks = form.policy_checks
        self.shards_check, self.shards_spin = form.shards_check, form.shards_spin
        form.file_wanted.connect(self._ask_trace_file)

        self.run_button = QPushButton("&Run", self)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.record_button = QPushButton("Record trace", self)
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record this window's cache traffic while you browse")
        self.record_button.toggled.connect(self._on_record_toggled)
        self.save_trace_button = QPushButton("Save...", self)
        self.save_trace_button.setEnabled(False)
        self.save_trace_button.setToolTip("Write the recorded trace as time,key,size CSV")
        self.save_trace_button.clicked.connect(self._ask_trace)
        self.export_csv_button = QPushButton("CSV...", self)
        self.export_png_button = QPushButton("PNG...", self)
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
            self.save_trace_button: "Save the recorded trace as CSV",
            self.export_csv_button: "Export the curves as CSV",
            self.export_png_button: "Export the chart as PNG",
        }
        for button, name in names.items():
            button.setAccessibleName(name)
        buttons = QHBoxLayout()
        for widget in (self.run_button, self.cancel_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        files = QHBoxLayout()  # a second row: the docked pane is narrow
        for widget in (
            self.record_button,
            self.save_trace_button,
            self.export_csv_button,
            self.export_png_button,
        ):
            files.addWidget(widget)
        files.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(form)
        layout.addLayout(buttons)
        layout.addLayout(files)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.chart, 1)

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Run the chosen policies on a worker; the chart updates when it finishes."""
        if self._cancel is not None:
            return
        policies = self.form.policies()
        if not policies:
            self.status.setText("Choose at least one policy.")
            return
        source = self.form.source()
        if source == "recorded" and not self.recorded:
            self.status.setText("Nothing recorded yet: press Record trace and browse first.")
            return
        if source == "file" and self.trace_path is None:
            self.status.setText("Choose a trace file first.")
            return
        workload = self.form.workload()
        recorded, path = self.recorded, self.trace_path
        sizes, ttl = self.form.sizes(), self._memory.ttl_seconds
        rate = self.form.shards_rate()
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

    def _on_record_toggled(self, on: bool) -> None:
        if on:
            self._recorder.start(self._memory)
            self.record_button.setText("Stop recording")
            self.status.setText("Recording the cache's traffic; browse, then stop.")
            return
        self.recorded = self._recorder.stop()
        self.record_button.setText("Record trace")
        self.save_trace_button.setEnabled(self.recorded.requests > 0)
        self.status.setText(f"Recorded {self.recorded.requests} requests; choose Recorded trace.")
        self.form.select_source("recorded")

    def save_recorded(self, path: Path) -> None:
        """Write the recorded trace as CSV, on the worker."""
        if self.recorded is not None:
            trace = self.recorded
            self._runner.submit(lambda: write_csv(trace, path), self._on_saved, self._on_failed)

    # -- exports --------------------------------------------------------------------------------

    def export_csv(self, path: Path) -> None:
        """policy,size_bytes,hit_ratio,byte_hit_ratio per point, written on the worker."""
        data = points_csv(self.curves).encode("ascii")
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
            image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub says bytes; str works
            atomic_write(path, bytes(buffer.data().data()), 0o644)

        self._runner.submit(write, self._on_saved, self._on_failed)

    def _on_saved(self, _result: object) -> None:
        self.status.setText("Saved.")
        self.finished.emit()

    def _ask_trace_file(self) -> None:
        if not self.isVisible():  # no dialog before the tab is shown (or in tests)
            return
        name, _filter = QFileDialog.getOpenFileName(self, "Trace file", "", "CSV (*.csv)")
        if name:
            self.trace_path = Path(name)

    def _ask_trace(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save trace", "trace.csv", "CSV (*.csv)")
        if name:
            self.save_recorded(Path(name))

    def _ask_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.csv", "CSV (*.csv)")
        if name:
            self.export_csv(Path(name))

    def _ask_png(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export chart", "curves.png", "PNG (*.png)")
        if name:
            self.export_png(Path(name))
