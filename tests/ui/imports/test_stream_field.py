"""The upload pane's stream field: existing streams by title; a deleted one never comes back."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.ui.imports.form import NEW_STREAM
from streamimages_desktop.ui.window.dialogs import CreateStreamDialog
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory, answer

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def combo_items(window: MainWindow) -> list[tuple[str, object]]:
    combo = window.upload_pane.stream_combo
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


def copy_an_image() -> None:
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(0x336699)
    mime = QMimeData()
    mime.setImageData(image)
    QGuiApplication.clipboard().setMimeData(mime)


def test_a_deleted_stream_leaves_the_field_and_a_paste_does_not_recreate_it(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot, tmp_path: Path
) -> None:
    manager.create_stream(OWNER, "raid", "Raid Night")
    window = make_window()
    qtbot.waitUntil(lambda: window.upload_pane.target_stream() == "raid")
    assert combo_items(window) == [("Raid Night", "raid"), (NEW_STREAM, None)]
    assert window.upload_pane.stream_combo.currentText() == "Raid Night"  # the title, not the id
    window.select_stream("raid")
    qtbot.waitUntil(lambda: window.stream_id == "raid")
    window.stream_browser.delete_button.click()
    box = window_fixtures.message_box(qtbot)
    assert "“Raid Night” (id raid)" in box.text()
    assert "Raid Night" in answer(qtbot, QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: manager.streams(OWNER) == [])
    qtbot.waitUntil(lambda: window.upload_pane.target_stream() == "")
    assert combo_items(window) == [(NEW_STREAM, None)]
    copy_an_image()
    assert window.paste_from_clipboard() is False
    assert manager.streams(OWNER) == []  # not silently re-created
    assert "choose a stream" in window.status.currentMessage()


def test_new_stream_in_the_field_asks_then_targets_the_new_stream(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window = make_window()
    combo = window.upload_pane.stream_combo
    combo.activated.emit(combo.findData(None))  # the user picks "New stream…"
    dialog = None

    def opened() -> None:
        nonlocal dialog
        dialog = next(d for d in window.findChildren(CreateStreamDialog) if d.isVisible())

    qtbot.waitUntil(opened)
    assert manager.streams(OWNER) == []  # nothing is created before the answer
    assert dialog is not None
    qtbot.keyClicks(dialog.title_edit, "Friday Speedruns")
    dialog.accept()
    qtbot.waitUntil(lambda: window.upload_pane.target_stream() == "friday-speedruns")
    assert combo.currentText() == "Friday Speedruns"
    assert [s.stream.id for s in manager.streams(OWNER)] == ["friday-speedruns"]
