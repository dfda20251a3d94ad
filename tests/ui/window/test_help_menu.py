"""Help: Keyboard Shortcuts (F1) built from the actions themselves, and About."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from streamimages_desktop import __version__
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.window.help_menu import MAIN, VIEWER, ShortcutsWindow, show_about
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings
window = window_fixtures.window

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def open_shortcuts(qtbot: QtBot, window: MainWindow) -> ShortcutsWindow:
    window.activateWindow()
    window.gallery.view.setFocus()
    qtbot.keyClick(window.gallery.view, Qt.Key.Key_F1)
    found: list[ShortcutsWindow] = []

    def opened() -> None:
        found[:] = [d for d in window.findChildren(ShortcutsWindow) if d.isVisible()]
        assert found

    qtbot.waitUntil(opened)
    return found[-1]


def listed(dialog: ShortcutsWindow) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for i in range(dialog.tree.topLevelItemCount()):
        top = dialog.tree.topLevelItem(i)
        assert top is not None
        out[top.text(0)] = {
            top.child(j).text(0): top.child(j).text(1) for j in range(top.childCount())
        }
    return out


def native(key: QKeySequence.StandardKey | str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


def test_f1_lists_every_shortcut_from_the_actions(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    extra = QAction("Brand new thing", window)  # added later: it shows up without any list
    extra.setShortcut(QKeySequence("Ctrl+Shift+J"))
    window.addAction(extra)
    dialog = open_shortcuts(qtbot, window)
    rows = listed(dialog)
    main = rows[MAIN]
    assert main["Add images"] == native(QKeySequence.StandardKey.Open)
    assert main["Owner"] == native("Ctrl+1")
    assert main["Keyboard Shortcuts"] == native(QKeySequence.StandardKey.HelpContents)
    assert main["Brand new thing"] == native("Ctrl+Shift+J")
    assert VIEWER in rows and len(rows[VIEWER]) >= 5  # next, previous, zoom, fullscreen, ...
    every_action = {
        a.text().replace("&", "").rstrip("…").strip()
        for a in window.findChildren(QAction)
        if any(not k.isEmpty() for k in a.shortcuts())
    }
    assert every_action == set(main) | set(rows[VIEWER])
    dialog.grab().save(str(tmp_path / "shortcuts.png"))
    dialog.close()


def test_about_names_the_version_and_both_folders(
    window: MainWindow, settings: Settings, qtbot: QtBot
) -> None:
    help_menu = next(a for a in window.menuBar().actions() if a.text() == "&Help")
    assert [a.text() for a in help_menu.menu().actions() if a.text()] == [
        "Keyboard Shortcuts",
        "About StreamImages",
    ]
    box = show_about(window, settings)
    qtbot.waitUntil(box.isVisible)
    text = box.text()
    assert __version__ in text
    assert str(settings.stream_images_dir) in text and str(settings.image_cache_dir) in text
    box.close()
    assert not [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
