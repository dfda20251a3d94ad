"""The cache pane shows the core caches' real numbers and its buttons act on the real caches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QMessageBox,
    QProgressBar,
    QTableWidget,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.units import count_of, format_bytes
from streamimages_desktop.ui.cache.pages import CLEAR_COLUMN, COLUMNS, hit_ratio_text
from streamimages_desktop.ui.cache.pane import CachePane
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from tests.ui.conftest import import_images
from tests.ui.window_fixtures import answer

# Showing a top-level window on the offscreen platform warns about size hints; nothing to fix.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

MIB = 1024 * 1024
TILE = 256  # a 256x256 pixmap costs 256 KB


class FakeClock:
    """Seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tile(side: int = TILE) -> QPixmap:
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.darkCyan)
    return pixmap


def image_id(n: int) -> str:
    return f"{n:032x}"


@pytest.fixture
def pixmaps(qtbot: QtBot) -> PixmapCache:
    """8 MB cache: gallery 4 tiles (1 MB), preview 2 tiles (512 KB), browser 1 small one."""
    cache = PixmapCache(8 * MIB, 3600.0)
    for n in range(4):
        assert cache.put("gallery", image_id(n), "thumb", 1.0, tile())
    for n in range(2):
        assert cache.put("preview", image_id(n), "display", 1.0, tile())
    assert cache.put("browser", image_id(9), "thumb", 1.0, tile(10))
    return cache


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[StreamImageManager]:
    """A real library whose disk cache is bounded at 4 MB; the pane reaches it only here."""
    settings = Settings.load(
        {"IMAGE_CACHE_MAX_DISK_MB": "4"},
        library=tmp_path / "library",
        cache_dir=tmp_path / "cache",
        config_file=tmp_path / "none",
    )
    with StreamImageManager(settings) as made:
        yield made


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pane(
    qtbot: QtBot, pixmaps: PixmapCache, manager: StreamImageManager, clock: FakeClock
) -> CachePane:
    widget = CachePane(pixmaps, manager, clock=clock)
    qtbot.addWidget(widget)
    widget.resize(380, 900)
    return widget


def rows(pane: CachePane) -> dict[str, dict[str, object]]:
    """The table as {page: {column header: raw value}}."""
    table = pane.page_table
    result: dict[str, dict[str, object]] = {}
    for row in range(table.rowCount()):
        cells = {
            COLUMNS[col]: table.item(row, col).data(Qt.ItemDataRole.UserRole)
            for col in range(CLEAR_COLUMN)
        }
        result[str(cells["Page"])] = cells
    return result


def cell_text(pane: CachePane, page: str, column: str) -> str:
    table = pane.page_table
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == page:
            return table.item(row, COLUMNS.index(column)).text()
    raise AssertionError(f"no row for page {page!r}")


def clear_button(pane: CachePane, page: str) -> QToolButton:
    table = pane.page_table
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == page:
            button = table.cellWidget(row, CLEAR_COLUMN)
            assert isinstance(button, QToolButton)
            return button
    raise AssertionError(f"no Clear button for page {page!r}")


def test_hit_ratio_text() -> None:
    assert hit_ratio_text(0, 0) == "—"
    assert hit_ratio_text(2, 1) == "66.7%"


@pytest.mark.parametrize(("megabytes", "text"), [(500, "500 MB"), (2.5, "2.5 MB"), (1, "1 MB")])
def test_the_limit_reads_the_same_in_the_box_and_on_the_bar(
    qtbot: QtBot, pane: CachePane, pixmaps: PixmapCache, megabytes: float, text: str
) -> None:
    pixmaps.memory.set_limit(round(megabytes * MIB))
    pane.refresh_now()
    assert pane.limit_spin.text() == text  # not "500.0 MB"
    assert pane.memory_bar.format().endswith(f"of {text}")


def test_memory_numbers_and_table_equal_the_core_stats(
    pane: CachePane, pixmaps: PixmapCache
) -> None:
    assert pixmaps.get("gallery", image_id(0), "thumb", 1.0) is not None
    assert pixmaps.get("gallery", image_id(1), "thumb", 1.0) is not None
    assert pixmaps.get("gallery", image_id(7), "thumb", 1.0) is None
    assert pixmaps.get("browser", image_id(8), "thumb", 1.0) is None
    pane.refresh_now()

    stats = pixmaps.memory.stats()
    usage = 6 * TILE * TILE * 4 + 10 * 10 * 4
    assert stats.total.bytes == usage
    assert pane.memory_bar.format() == f"{format_bytes(usage)} of 8 MB" == "1.5 MB of 8 MB"
    assert pane.memory_bar.value() == round(1000 * usage / (8 * MIB))
    values = pane.memory_values
    assert values["items"].text() == str(stats.total.items) == "7"
    assert values["hits"].text() == str(stats.total.hits) == "2"
    assert values["misses"].text() == str(stats.total.misses) == "2"
    assert values["hit_ratio"].text() == "50.0%"
    assert values["evictions"].text() == "0"

    table = rows(pane)
    assert set(table) == set(stats.pages) == {"gallery", "preview", "browser"}
    for name, page in stats.pages.items():
        assert table[name]["Items"] == page.items
        assert table[name]["Size"] == page.bytes
        assert table[name]["Hits"] == page.hits
        assert table[name]["Misses"] == page.misses
        assert table[name]["Evictions"] == page.evictions
        assert table[name]["Expired"] == page.expirations
        assert table[name]["Oversize"] == page.oversize
    assert cell_text(pane, "gallery", "Size") == "1 MB"
    assert cell_text(pane, "gallery", "Hit ratio") == "66.7%"
    assert cell_text(pane, "browser", "Hit ratio") == "0.0%"
    assert cell_text(pane, "preview", "Hit ratio") == "—"  # no gets yet


def test_a_pages_clear_button_clears_exactly_that_page(
    qtbot: QtBot, pane: CachePane, pixmaps: PixmapCache
) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    before = pixmaps.memory.stats().pages
    with qtbot.waitSignal(pane.cleared, check_params_cb=lambda page: page == "preview"):
        qtbot.mouseClick(clear_button(pane, "preview"), Qt.MouseButton.LeftButton)

    after = pixmaps.memory.stats().pages
    assert after["preview"].items == 0 and after["preview"].bytes == 0
    assert after["gallery"] == before["gallery"]
    assert after["browser"] == before["browser"]
    assert pixmaps.get("preview", image_id(0), "display", 1.0) is None
    assert cell_text(pane, "preview", "Items") == "0"  # refreshed at once
    assert cell_text(pane, "gallery", "Items") == "4"
    assert pane.memory_values["items"].text() == "5"


def test_clear_all_empties_every_page(qtbot: QtBot, pane: CachePane, pixmaps: PixmapCache) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    with qtbot.waitSignal(pane.cleared, check_params_cb=lambda page: page == ""):
        qtbot.mouseClick(pane.clear_all_button, Qt.MouseButton.LeftButton)

    stats = pixmaps.memory.stats()
    assert stats.total.items == 0 and pixmaps.memory.usage_bytes == 0
    assert all(page.items == 0 for page in stats.pages.values())
    assert pane.memory_values["items"].text() == "0"
    assert pane.memory_bar.format() == "0 B of 8 MB"
    assert all(value["Items"] == 0 for value in rows(pane).values())


def test_typing_a_lower_limit_evicts_at_once_and_the_bar_shows_it(
    qtbot: QtBot, pane: CachePane, pixmaps: PixmapCache
) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    spin = pane.limit_spin
    assert spin.value() == 8.0
    spin.setFocus()
    spin.selectAll()
    with qtbot.assertNotEmitted(pane.limit_changed):
        qtbot.keyClicks(spin, "1")  # not applied while typing: "1" might become "12"
    assert pixmaps.memory.limit_bytes == 8 * MIB

    with qtbot.waitSignal(pane.limit_changed, check_params_cb=lambda b: b == MIB):
        qtbot.keyClick(spin, Qt.Key.Key_Return)

    memory = pixmaps.memory
    assert memory.limit_bytes == MIB
    assert memory.usage_bytes <= MIB
    assert memory.stats().total.evictions > 0
    assert pane.memory_bar.format() == f"{format_bytes(memory.usage_bytes)} of 1 MB"
    assert pane.memory_values["evictions"].text() == str(memory.stats().total.evictions)
    assert pane.chart.samples[-1].limit_bytes == MIB


def test_a_lower_limit_rescales_the_chart_at_once_and_resets_the_peak(
    qtbot: QtBot, pane: CachePane, pixmaps: PixmapCache
) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    pane.refresh_now()
    assert pane.chart.memory_axis.max() == pytest.approx(8.0)
    assert pane.memory_values["peak"].text() == format_bytes(pixmaps.memory.peak_bytes)
    peak_before = pixmaps.memory.peak_bytes
    pane.limit_spin.setValue(1.0)  # an arrow step or Enter applies it
    assert pixmaps.memory.limit_bytes == MIB
    assert pane.chart.memory_axis.max() == pytest.approx(1.0)  # not 8 MB for another minute
    assert pixmaps.memory.peak_bytes <= MIB < peak_before
    assert pane.memory_values["peak"].text() == format_bytes(pixmaps.memory.peak_bytes)


def test_the_less_obvious_figures_explain_themselves(pane: CachePane) -> None:
    for key in ("oversize", "expirations", "peak", "evictions"):
        assert pane.memory_values[key].toolTip()
    assert "larger than the limit" in pane.memory_values["oversize"].toolTip()
    assert "time to live" in pane.memory_values["expirations"].toolTip()
    header = pane.page_table.horizontalHeaderItem(COLUMNS.index("Oversize"))
    assert header is not None and "larger than the limit" in header.toolTip()


def test_a_limit_set_elsewhere_updates_the_spin_box_without_echo(
    qtbot: QtBot, pane: CachePane, pixmaps: PixmapCache
) -> None:
    pixmaps.memory.set_limit(3 * MIB)
    with qtbot.assertNotEmitted(pane.limit_changed):
        pane.refresh_now()
    assert pane.limit_spin.value() == 3.0
    assert pane.memory_bar.format().endswith("of 3 MB")


def test_the_chart_gets_one_point_per_refresh_in_a_rolling_window(
    pane: CachePane, pixmaps: PixmapCache, clock: FakeClock
) -> None:
    chart = pane.chart
    start = chart.memory_series.count()
    assert chart.ratio_series.count() == 0  # no gets yet: no hit ratio to draw
    for _ in range(3):
        clock.now += 0.5
        pane.refresh_now()
    assert chart.memory_series.count() == start + 3
    assert chart.ratio_series.count() == 0

    pixmaps.get("gallery", image_id(0), "thumb", 1.0)
    pixmaps.get("gallery", image_id(99), "thumb", 1.0)
    clock.now += 0.5
    pane.refresh_now()
    assert chart.ratio_series.count() == 1
    newest = chart.ratio_series.at(0)
    assert (newest.x(), newest.y()) == (0.0, 50.0)
    memory_mb = pixmaps.memory.usage_bytes / MIB
    assert chart.memory_series.at(chart.memory_series.count() - 1).y() == pytest.approx(memory_mb)

    for _ in range(300):
        clock.now += 0.5
        pane.refresh_now()
    assert chart.memory_series.count() == 120
    assert chart.ratio_series.count() == 120
    assert chart.memory_series.at(0).x() == pytest.approx(-59.5)


def test_polls_only_while_visible(qtbot: QtBot, pane: CachePane) -> None:
    assert not pane.polling
    pane.show()
    qtbot.waitExposed(pane)
    assert pane.polling
    seen = len(pane.chart.samples)
    qtbot.waitUntil(lambda: len(pane.chart.samples) > seen, timeout=5000)
    pane.hide()
    assert not pane.polling


def test_disk_stats_shown_are_the_managers(
    qtbot: QtBot, pane: CachePane, manager: StreamImageManager, tmp_path: Path
) -> None:
    ids = import_images(manager, "s1", tmp_path / "images", 3, size=(300, 200))  # 3 thumbnails
    for image_id in ids[:2]:
        assert manager.rendition(OWNER, image_id)  # two hits
    assert manager.rendition(OWNER, ids[2], "display")  # a miss, made and stored
    pane.refresh_now()

    stats = manager.disk_cache_stats()
    assert (stats.items, stats.hits, stats.misses) == (4, 2, 1) and stats.bytes > 0
    assert pane.disk_bar.format() == f"{format_bytes(stats.bytes)} of 4 MB"
    values = pane.disk_values
    for name in ("items", "hits", "misses", "evictions", "expirations", "corrupt"):
        assert values[name].text() == f"{getattr(stats, name):,}"
    assert values["hit_ratio"].text() == "66.7%"

    pane.show()
    qtbot.waitExposed(pane)
    before = manager.disk_cache_stats()
    qtbot.mouseClick(pane.clear_disk_button, Qt.MouseButton.LeftButton)
    assert manager.disk_cache_stats().items == before.items > 0  # it asks first
    assert "Delete every cached rendition" in answer(qtbot, QMessageBox.StandardButton.No)
    assert manager.disk_cache_stats().items == before.items
    qtbot.mouseClick(pane.clear_disk_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(pane.disk_cleared):
        answer(qtbot, QMessageBox.StandardButton.Yes)
    assert pane.disk_status.isVisible()
    assert pane.disk_status.text() == (
        f"Freed {format_bytes(before.bytes)} ({count_of(before.items, 'rendition')})"
    )
    assert manager.disk_cache_stats().items == 0
    assert pane.disk_values["items"].text() == "0"
    assert pane.disk_bar.format() == "0 B of 4 MB"
    assert pane.clear_disk_button.isEnabled()
    assert manager.rendition(OWNER, ids[0])  # made again from the original


def test_a_failing_disk_clear_is_reported_in_one_line(
    qtbot: QtBot, pane: CachePane, manager: StreamImageManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(manager, "clear_disk_cache", broken)
    pane.show()
    qtbot.waitExposed(pane)
    qtbot.mouseClick(pane.clear_disk_button, Qt.MouseButton.LeftButton)
    answer(qtbot, QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: pane.clear_disk_button.isEnabled())
    assert pane.disk_status.text() == "Could not clear the disk cache: read-only file system"
    assert pane.disk_status.isVisible()


def test_wide_pane_shows_every_column_narrow_the_essentials(qtbot: QtBot, pane: CachePane) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    hidden = {COLUMNS[c] for c in range(len(COLUMNS)) if pane.page_table.isColumnHidden(c)}
    assert hidden == {"Hits", "Misses", "Evictions", "Expired", "Oversize"}
    pane.resize(1000, 700)
    qtbot.waitUntil(lambda: not any(pane.page_table.isColumnHidden(c) for c in range(len(COLUMNS))))


def test_every_control_has_an_accessible_name(qtbot: QtBot, pane: CachePane) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    kinds = (QAbstractButton, QAbstractSpinBox, QProgressBar, QTableWidget, QChartView)
    controls = [
        w for w in pane.findChildren(QWidget) if isinstance(w, kinds) and w.isVisibleTo(pane)
    ]
    assert len(controls) >= 9  # 2 bars, spin, clear all, clear disk, table, chart, 3 page buttons
    unnamed = [type(w).__name__ for w in controls if not w.accessibleName()]
    assert unnamed == []
