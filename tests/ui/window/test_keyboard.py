"""The window by keyboard alone: standard shortcuts, grid navigation, search and empty states."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import Role
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures
from tests.ui.conftest import import_images, tiny_png
from tests.ui.window_fixtures import WindowFactory, answer, grid_ids

# Fixtures shared by the window tests.
make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(manager: StreamImageManager, image_dir: Path, make_window: WindowFactory) -> MainWindow:
    """30 images in "s", the window active with the keyboard focus in the grid."""
    import_images(manager, "s", image_dir, 30)
    made = make_window(stream="s")
    made.activateWindow()
    return made


def focus_grid(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(window.isActiveWindow)
    window.gallery.view.setFocus()
    qtbot.waitUntil(window.gallery.view.hasFocus)


def test_standard_shortcuts_are_the_platforms(window: MainWindow) -> None:
    std = QKeySequence.StandardKey
    images = window.image_actions
    for action, key in (
        (window.open_action, std.Open),
        (window.paste_action, std.Paste),
        (window.find_action, std.Find),
        (images.delete_action, std.Delete),
        (images.select_all_action, std.SelectAll),
    ):
        assert action.shortcut() == QKeySequence(key), action.text()


def test_ctrl_o_ctrl_a_ctrl_f_and_delete_from_the_grid(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *_a, **_k: (asked.append("files"), ([], ""))[1]
    )
    focus_grid(qtbot, window)
    view = window.gallery.view
    qtbot.keyClick(view, Qt.Key.Key_O, CTRL)
    assert asked == ["files"]
    qtbot.keyClick(view, Qt.Key.Key_A, CTRL)
    assert len(window.gallery.selected_ids()) == 30
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "Delete these 30 images?" in answer(qtbot, QMessageBox.StandardButton.No)
    qtbot.keyClick(view, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(window.toolbar.search_edit.hasFocus)


def test_arrows_home_end_and_pages_move_in_the_grid(window: MainWindow, qtbot: QtBot) -> None:
    focus_grid(qtbot, window)
    view, model = window.gallery.view, window.gallery.model
    view.setCurrentIndex(model.index(0, 0))
    tops = [view.visualRect(model.index(r, 0)).top() for r in range(30)]
    columns = tops.count(tops[0])
    assert 1 < columns < 30
    moves = (
        (Qt.Key.Key_Right, 1),
        (Qt.Key.Key_Down, 1 + columns),
        (Qt.Key.Key_Left, columns),
        (Qt.Key.Key_Up, 0),
        (Qt.Key.Key_End, 29),
        (Qt.Key.Key_Home, 0),
    )
    for key, row in moves:
        qtbot.keyClick(view, key)
        assert view.currentIndex().row() == row, key
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    down = view.currentIndex().row()
    assert down > columns and down % columns == 0  # a screenful down, same column
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert view.currentIndex().row() == 0


def test_escape_clears_the_search_then_returns_to_the_grid(
    window: MainWindow, qtbot: QtBot
) -> None:
    focus_grid(qtbot, window)
    qtbot.keyClick(window.gallery.view, Qt.Key.Key_F, CTRL)
    search = window.toolbar.search_edit
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "s-public-00003")
    qtbot.waitUntil(lambda: not window.gallery.loading and window.gallery.model.rowCount() == 1)
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert search.text() == ""
    qtbot.waitUntil(lambda: not window.gallery.loading and window.gallery.model.rowCount() == 30)
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    qtbot.waitUntil(window.gallery.view.hasFocus)


def test_an_empty_search_result_says_so_not_drop_images(window: MainWindow, qtbot: QtBot) -> None:
    window.toolbar.search_edit.setText("nothing-is-called-this")
    window.toolbar.flush_search()
    qtbot.waitUntil(lambda: not window.gallery.loading and window.gallery.model.rowCount() == 0)
    text = window.gallery.view.empty_text
    assert "No images match “nothing-is-called-this”" in text
    assert "Esc" in text and "Drop images" not in text
    window.toolbar.search_edit.clear()
    window.toolbar.flush_search()
    qtbot.waitUntil(lambda: window.gallery.model.rowCount() == 30)


def test_empty_stream_says_what_to_do_for_each_role(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    from streamimages_desktop.core.models import OWNER

    manager.create_stream(OWNER, "empty")
    window = make_window(stream="empty")
    assert window.gallery.view.empty_text == "No images yet. Drop images here or press Ctrl+O"
    window.set_role(Role.VIEWER)
    qtbot.waitUntil(lambda: not window.gallery.loading)
    assert window.gallery.view.empty_text.startswith("Nothing here is visible to a viewer.")
    assert "Ctrl+1" in window.gallery.view.empty_text


def test_docks_closed_or_moved_stay_so_after_a_restart(
    make_window: WindowFactory, qsettings: QSettings, qtbot: QtBot
) -> None:
    first = make_window()
    first.cache_dock.raise_()
    first.stream_dock.close()
    first.removeDockWidget(first.upload_dock)
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.upload_dock)
    first.upload_dock.show()
    first.close()
    second = make_window()
    assert second.stream_dock.isHidden()
    assert second.dockWidgetArea(second.upload_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert second.dockWidgetArea(second.cache_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert not second.cache_dock.isHidden()


def test_paste_keeps_a_copied_files_bytes(
    window: MainWindow, manager: StreamImageManager, image_dir: Path, qtbot: QtBot
) -> None:
    """Ctrl+V with copied files (a file manager's copy) imports those files."""
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QGuiApplication

    path = tiny_png(image_dir / "copied.png", 4242)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    QGuiApplication.clipboard().setMimeData(mime)
    focus_grid(qtbot, window)
    with qtbot.waitSignal(window.upload_pane.batch_finished, timeout=10_000) as done:
        qtbot.keyClick(window.gallery.view, Qt.Key.Key_V, CTRL)
    [result] = done.args[0]
    assert result.image_id is not None
    qtbot.waitUntil(lambda: result.image_id in grid_ids(window))
