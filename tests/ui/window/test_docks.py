"""Upload and Cache are separate docks, both visible on a 1280-wide window (issue 10, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from streamimages_desktop.ui.window import view_state
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def test_upload_and_cache_are_both_visible_side_by_side_with_the_grid(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(remember=False)
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280)
    upload, cache = window.upload_dock, window.cache_dock
    assert window.tabifiedDockWidgets(upload) == []
    for dock in (upload, cache):
        assert dock.isVisible() and not dock.visibleRegion().isEmpty()
        assert dock.height() >= 200 and dock.width() >= 300
    assert upload.geometry().bottom() < cache.geometry().top()  # one above the other
    assert window.gallery.width() >= 500
    window.grab().save(str(tmp_path / "docks.png"))


def test_a_layout_saved_by_the_tabbed_version_is_not_restored(
    make_window: WindowFactory, qsettings: QSettings
) -> None:
    old = QMainWindow()
    old.setObjectName("main_window")
    saved_v1 = old.saveState(1)
    qsettings.setValue(view_state.STATE, saved_v1)
    window = make_window()
    assert view_state.STATE_VERSION > 1
    assert not window.restoreState(saved_v1, view_state.STATE_VERSION)
    assert window.tabifiedDockWidgets(window.upload_dock) == []
