"""--screenshot: the window as it is laid out; a path that cannot be written is one line, and
offscreen noise is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QtMsgType
from PySide6.QtGui import QPixmap

from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.app.main import run_gui
from streamimages_desktop.ui.app.screenshot import quiet_offscreen
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui.app.helpers import gui_args

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def test_an_unwritable_screenshot_path_is_one_line_and_exit_1(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "shot.png"
    assert run_gui(settings, gui_args(screenshot=target)) == 1
    err = capsys.readouterr().err
    assert f"cannot write the screenshot {target}" in err
    assert "Traceback" not in err


def test_quiet_offscreen_drops_platform_notes_and_debug_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    quiet_offscreen(QtMsgType.QtWarningMsg, None, "This plugin does not support raise()")  # type: ignore[arg-type]
    quiet_offscreen(QtMsgType.QtDebugMsg, None, "chatter")  # type: ignore[arg-type]
    quiet_offscreen(QtMsgType.QtWarningMsg, None, "a real problem")  # type: ignore[arg-type]
    assert capsys.readouterr().err == "streamimages: a real problem\n"


def test_the_screenshot_waits_for_the_layout_its_last_refresh_asked_for(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The capture's refresh adds the cached pages' rows to the Cache pane; grabbed before the
    scroll area grows for them, every figure above was squeezed to a few pixels high."""
    heights: list[tuple[str, int, int]] = []
    grab = MainWindow.grab

    def measured_grab(window: MainWindow) -> QPixmap:
        for name, label in window.cache_pane.memory_values.items():
            heights.append((name, label.height(), label.sizeHint().height()))
        heights.append(("pages", window.cache_pane.page_table.rowCount(), 0))
        return grab(window)

    monkeypatch.setattr(MainWindow, "grab", measured_grab)
    assert run_gui(settings, gui_args(screenshot=tmp_path / "shot.png")) == 0
    assert ("pages", 0, 0) not in heights  # the refresh did add rows
    assert heights and all(height >= hint for _, height, hint in heights), heights
