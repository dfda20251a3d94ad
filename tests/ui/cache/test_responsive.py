"""The window stays responsive while a thumbnail worker waits on a rendition index that
another process holds: the cache pane's disk figures never wait on that worker."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.disk_cache import INDEX_NAME, DiskCacheStats
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings
from tests.db_holder import held
from tests.ui import window_fixtures
from tests.ui.conftest import import_images
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

# Showing a top-level window on the offscreen platform warns about size hints; nothing to fix.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

TICK_MS = 10
WATCH_MS = 1500
LONGEST_GAP_S = 0.100


def test_gui_keeps_ticking_while_a_worker_waits_on_the_held_rendition_index(
    qtbot: QtBot,
    make_window: WindowFactory,
    manager: StreamImageManager,
    settings: Settings,
    image_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_images(manager, "s1", image_dir, 12)
    disk = manager._disk_cache  # the real index, to hold and to count its stats() calls
    disk.clear()  # so the window's thumbnail workers render and put each one again
    polls: list[DiskCacheStats] = []
    real_stats = disk.stats

    def counted_stats() -> DiskCacheStats:
        polls.append(real_stats())
        return polls[-1]

    monkeypatch.setattr(disk, "stats", counted_stats)
    with held(settings.image_cache_dir / INDEX_NAME):
        window = make_window()
        window.cache_dock.show()
        window.cache_dock.raise_()
        qtbot.waitUntil(window.cache_pane.isVisible, timeout=5000)
        # A worker is inside put(), holding the cache's lock while SQLite waits for the holder.
        qtbot.waitUntil(disk._lock.locked, timeout=10_000)

        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(TICK_MS)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        polled_before = len(polls)
        timer.start()
        qtbot.wait(WATCH_MS)
        timer.stop()
        still_waiting = disk._lock.locked()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 10 and max(gaps) <= LONGEST_GAP_S, f"longest gap {max(gaps):.3f} s"
    assert still_waiting, "the worker should have waited on the index all along"
    assert len(polls) - polled_before >= 2, "the cache pane should have polled meanwhile"
