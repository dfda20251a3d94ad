"""Saved window and viewer geometry come back fitted to the screen they reopen on."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.ui.window import view_state
from tests.ui import window_fixtures
from tests.ui.conftest import import_images
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

SCREEN = QRect(0, 0, 1920, 1080)


@pytest.mark.parametrize(
    ("saved", "fitted"),
    [
        (QRect(100, 100, 800, 600), QRect(100, 100, 800, 600)),  # already inside
        (QRect(2500, 300, 800, 600), QRect(1120, 300, 800, 600)),  # on a monitor now gone
        (QRect(-900, -50, 800, 600), QRect(0, 0, 800, 600)),
        (QRect(50, 50, 3840, 2160), QRect(0, 0, 1920, 1080)),  # saved on a larger screen
        (QRect(1800, 900, 400, 400), QRect(1520, 680, 400, 400)),
    ],
)
def test_a_rectangle_is_fitted_inside_the_screen(saved: QRect, fitted: QRect) -> None:
    assert view_state.fit_rect(saved, SCREEN) == fitted


def inside(rect: QRect, screen: QRect) -> bool:
    return screen.contains(rect.topLeft()) and screen.contains(rect.bottomRight())


def geometry_of(qtbot: QtBot, rect: QRect) -> object:
    """What saveGeometry() writes for a top-level window at `rect` (a larger monitor's)."""
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.setGeometry(rect)
    return widget.saveGeometry()


def test_the_main_window_reopens_inside_a_smaller_screen(
    qtbot: QtBot, qsettings: QSettings, make_window: WindowFactory
) -> None:
    screen = QGuiApplication.primaryScreen().availableGeometry()
    big = QRect(screen.right() + 400, 80, screen.width() * 2, screen.height() * 2)
    qsettings.setValue(view_state.GEOMETRY, geometry_of(qtbot, big))
    window = make_window()
    assert inside(window.frameGeometry(), screen)
    assert window.width() <= screen.width()


def test_the_viewer_remembers_its_geometry_and_reopens_fitted(
    qtbot: QtBot,
    manager: StreamImageManager,
    image_dir: Path,
    qsettings: QSettings,
    make_window: WindowFactory,
) -> None:
    [image_id] = import_images(manager, "one", image_dir, 1)
    screen = QGuiApplication.primaryScreen().availableGeometry()
    window = make_window(stream="one")
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=10_000):
        window.gallery.open_requested.emit(image_id)
    window.preview.resize(700, 450)
    window.preview.close()
    saved = view_state.load_viewer_geometry(qsettings)
    assert saved is not None
    again = make_window(stream="one")
    with qtbot.waitSignal(again.preview.pixmap_shown, timeout=10_000):
        again.gallery.open_requested.emit(image_id)
    assert again.preview.size().toTuple() == (700, 450)
    # A viewer saved on a monitor that is no longer there comes back on this screen.
    off = QRect(screen.right() + 600, screen.bottom() + 600, screen.width() * 2, 700)
    qsettings.setValue(view_state.VIEWER_GEOMETRY, geometry_of(qtbot, off))
    third = make_window(stream="one")
    with qtbot.waitSignal(third.preview.pixmap_shown, timeout=10_000):
        third.gallery.open_requested.emit(image_id)
    assert inside(third.preview.frameGeometry(), screen)
