"""Files dropped from outside onto a stream in the stream browser import into that stream."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role
from streamimages_desktop.ui.imports.upload_pane import INTERNAL_MIME_PREFIX
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.images import write_image
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def file_mime(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def row_point(window: MainWindow, stream_id: str) -> QPoint:
    browser = window.stream_browser
    item = browser._item_for(stream_id)
    assert item is not None
    return browser.tree.visualItemRect(item).center()


def drag_and_drop(window: MainWindow, mime: QMimeData, at: QPoint) -> bool:
    """Enter, move and drop on the stream tree as a real drag does; True if the drop was taken."""
    viewport = window.stream_browser.tree.viewport()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0))
    QApplication.sendEvent(viewport, QDragEnterEvent(at, *args))
    QApplication.sendEvent(viewport, QDragMoveEvent(at, *args))
    drop = QDropEvent(QPointF(at), *args)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


@pytest.fixture
def two_streams(manager: StreamImageManager) -> None:
    manager.create_stream(OWNER, "alpha", "Alpha")
    manager.create_stream(OWNER, "beta", "Beta")


def test_a_drop_on_a_stream_imports_into_that_stream(
    two_streams: None,
    make_window: WindowFactory,
    manager: StreamImageManager,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    window = make_window()
    assert window.upload_pane.target_stream() == "alpha"  # the pane targets another stream
    files = [write_image(tmp_path / f"d{n}.png", "PNG", size=(30, 20), seed=n) for n in range(2)]
    with qtbot.waitSignal(window.upload_pane.batch_finished, timeout=10_000):
        assert drag_and_drop(window, file_mime(files), row_point(window, "beta"))
    assert len(manager.images(OWNER, "beta")) == 2
    assert manager.images(OWNER, "alpha") == []
    qtbot.waitUntil(lambda: window.stream_browser.count_text("beta") == "2")


def test_an_internal_drag_or_a_viewer_drop_imports_nothing(
    two_streams: None,
    make_window: WindowFactory,
    manager: StreamImageManager,
    tmp_path: Path,
) -> None:
    window = make_window()
    files = [write_image(tmp_path / "t.png", "PNG", size=(30, 20), seed=1)]
    tiles = file_mime(files)
    tiles.setData(f"{INTERNAL_MIME_PREFIX}-image-ids", b"abc")  # a tile dragged from the grid
    drag_and_drop(window, tiles, row_point(window, "beta"))  # a move (issue 9), never an import
    window.set_role(Role.VIEWER)
    assert not drag_and_drop(window, file_mime(files), row_point(window, "beta"))
    assert not window.upload_pane.busy
    assert manager.images(OWNER) == []
