"""The Workbench tab: runs on a worker, draws the curves with the live limit, exports, records."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from PySide6.QtCharts import QLogValueAxis
from PySide6.QtGui import QImage, QPixmap
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.workbench.runner import INLINE_WORK
from streamimages_desktop.core.workbench.trace import read_csv
from streamimages_desktop.ui.cache.pane import CachePane
from streamimages_desktop.ui.cache.workbench import WorkbenchPanel
from streamimages_desktop.ui.cache.workbench_form import SOURCES
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache

MIB = 1024 * 1024
SHOTS = Path(os.environ.get("STREAMIMAGES_SHOTS", "/tmp"))


@pytest.fixture
def memory() -> MemoryCache[QPixmap]:
    return PixmapCache(40 * MIB, 3600.0).memory


@pytest.fixture
def panel(qtbot: QtBot, memory: MemoryCache[QPixmap]) -> WorkbenchPanel:
    widget = WorkbenchPanel(memory)
    qtbot.addWidget(widget)
    widget.resize(700, 900)
    widget.objects_spin.setValue(300)
    widget.requests_spin.setValue(3000)
    widget.object_mb_spin.setValue(1.0)
    widget.min_mb_spin.setValue(5)
    widget.max_mb_spin.setValue(300)
    return widget


def _run(qtbot: QtBot, panel: WorkbenchPanel) -> None:
    with qtbot.waitSignal(panel.finished, timeout=30_000):
        panel.start()
        assert panel.running and not panel.run_button.isEnabled()


def test_a_run_draws_every_policy_belady_and_the_live_limit_on_a_log_axis(
    qtbot: QtBot, panel: WorkbenchPanel
) -> None:
    panel.show()
    _run(qtbot, panel)
    assert not panel.running and panel.run_button.isEnabled()
    assert set(panel.curves) == {"seed", "lru", "s3fifo", "belady"}
    assert set(panel.chart.series) == {"seed", "lru", "s3fifo", "belady"}
    assert isinstance(panel.chart.size_axis, QLogValueAxis)
    limit = [p.x() for p in panel.chart.limit_series.points()]
    assert limit == [40.0, 40.0]
    for name, points in panel.curves.items():
        assert len(points) == len(panel.form.sizes())
        bound = panel.curves["belady"]
        assert all(b.hit_ratio >= p.hit_ratio for b, p in zip(bound, points, strict=True)), name
    assert "near the live limit (40 MB)" in panel.status.text()
    qtbot.wait(50)  # the chart lays its legend out on the next pass of the event loop
    panel.chart.grab().save(str(SHOTS / "workbench-chart.png"))
    panel.grab().save(str(SHOTS / "workbench-tab.png"))


def test_exports_write_the_figures_as_csv_and_the_chart_as_png(
    qtbot: QtBot, panel: WorkbenchPanel, tmp_path: Path
) -> None:
    _run(qtbot, panel)
    with qtbot.waitSignal(panel.finished, timeout=10_000):
        panel.export_csv(tmp_path / "curves.csv")
    rows = list(csv.DictReader((tmp_path / "curves.csv").read_text().splitlines()))
    assert len(rows) == 4 * len(panel.form.sizes())
    assert {r["policy"] for r in rows} == {"seed", "lru", "s3fifo", "belady"}
    with qtbot.waitSignal(panel.finished, timeout=10_000):
        panel.export_png(tmp_path / "chart.png")
    assert panel.status.text() == "Saved."
    assert not QImage(str(tmp_path / "chart.png")).isNull()


def test_cancel_stops_a_run_and_says_so(qtbot: QtBot, panel: WorkbenchPanel) -> None:
    panel.requests_spin.setValue(INLINE_WORK)  # long enough to be cancelled in flight
    for check in panel.policy_checks.values():
        check.setChecked(True)
    with qtbot.waitSignal(panel.finished, timeout=60_000):
        panel.start()
        panel.cancel()
    assert panel.status.text() == "Cancelled."
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_record_trace_captures_the_live_cache_and_runs_on_it(
    qtbot: QtBot, panel: WorkbenchPanel, memory: MemoryCache[QPixmap], tmp_path: Path
) -> None:
    panel.record_button.setChecked(True)
    tile = QPixmap(64, 64)
    for i in range(30):
        if memory.get("gallery", (f"img{i % 7}", "tile", 1.0)) is None:
            memory.put("gallery", (f"img{i % 7}", "tile", 1.0), tile)
    panel.record_button.setChecked(False)
    assert panel.recorded is not None and panel.recorded.requests == 30
    assert panel.source_combo.currentData() == "recorded"
    assert panel.save_trace_button.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=10_000):
        panel.save_recorded(tmp_path / "trace.csv")
    trace = read_csv(tmp_path / "trace.csv")
    assert trace.requests == 30 and trace.objects == 7
    assert trace.names[0] == "gallery:img0:tile:1.0"
    assert set(trace.sizes) == {64 * 64 * 4}
    panel.min_mb_spin.setValue(0.01)
    panel.max_mb_spin.setValue(1)
    _run(qtbot, panel)
    assert panel.curves["lru"][-1].hit_ratio == pytest.approx(23 / 30)


def test_the_cache_pane_has_a_workbench_tab_and_a_policy_chooser(qtbot: QtBot) -> None:
    pixmaps = PixmapCache(40 * MIB, 3600.0)
    pane = CachePane(pixmaps, None)
    qtbot.addWidget(pane)
    assert [pane.tabs.tabText(i) for i in range(pane.tabs.count())] == ["Live", "Workbench"]
    assert pane.policy_combo.currentData() == "seed" == pixmaps.memory.policy
    pane.policy_combo.setCurrentIndex(pane.policy_combo.findData("sieve"))
    assert pixmaps.memory.policy == "sieve"
    assert "recorded" in SOURCES
    pane.resize(1000, 760)
    pane.tabs.setCurrentIndex(1)
    pane.show()
    qtbot.waitExposed(pane)
    qtbot.wait(50)
    pane.grab().save(str(SHOTS / "workbench-pane.png"))


def test_shards_sampling_replaces_the_lru_curve_and_reports_its_error(
    qtbot: QtBot, panel: WorkbenchPanel
) -> None:
    panel.shards_check.setChecked(True)
    panel.shards_spin.setValue(20)
    _run(qtbot, panel)
    assert panel.sample is not None and panel.sample.rate == pytest.approx(0.2)
    assert panel.curves["lru"] == panel.sample.points
    assert "LRU sampled with SHARDS at 20.0%: " in panel.status.text()
    assert "estimated error" in panel.status.text()
