"""Fixtures for main-window tests: a real MainWindow on a temporary library and QSettings file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.window.main_window import MainWindow

WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    """The window's remembered state in an INI file under tmp_path, never the user's."""
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(
    qtbot: QtBot,
    manager: StreamImageManager,
    pixmap_cache: PixmapCache,
    settings: Settings,
    qsettings: QSettings,
) -> Iterator[WindowFactory]:
    """Build shown MainWindows that have finished their first queries; shut down at the end."""
    made: list[MainWindow] = []

    def make(**kwargs: object) -> MainWindow:
        kwargs.setdefault("qsettings", qsettings)
        window = MainWindow(manager, pixmap_cache, settings, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        made.append(window)
        window.show()
        wait_settled(qtbot, window)
        return window

    yield make
    for window in made:
        window.shutdown()
        window.close()


@pytest.fixture
def window(make_window: WindowFactory) -> MainWindow:
    return make_window()


def settled(window: MainWindow) -> bool:
    """No query of the grid, the stream list or the stats is outstanding."""
    return (
        not window.gallery.loading
        and window.stream_browser.count_text(None) not in ("", "…")
        and window.status.stats_label.text() != "…"
        and not window._runner.busy
    )


def wait_settled(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: settled(window), timeout=10_000)


def grid_ids(window: MainWindow) -> set[str]:
    return {image.id for image in window.gallery.model.images}


def message_box(qtbot: QtBot) -> QMessageBox:
    """The question box that is open now (opened with open(), so the test can answer it)."""
    found: list[QMessageBox] = []

    def check() -> None:
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        boxes = [b for b in boxes if b.isVisible()]
        assert boxes
        found[:] = boxes

    qtbot.waitUntil(check)
    return found[-1]


def answer(qtbot: QtBot, button: QMessageBox.StandardButton) -> str:
    """Click `button` on the open message box; returns the question it asked."""
    box = message_box(qtbot)
    text = box.text()
    box.button(button).click()
    qtbot.waitUntil(lambda: not box.isVisible())
    return text
