"""Wording and display: the role badge keeps its width, sizes never wrap inside a tooltip."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role
from streamimages_desktop.ui.gallery.roles import tooltip_for
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures
from tests.ui.conftest import import_images

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings
window = window_fixtures.window

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def test_the_toolbar_does_not_shift_when_the_role_changes(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    badge, search = window.toolbar.role_switcher.badge, window.toolbar
    places = {}
    for role in (Role.SUBSCRIBER, Role.VIEWER, Role.OWNER):
        window.set_role(role)
        qtbot.wait(20)
        places[role] = (badge.width(), badge.mapTo(window, badge.rect().topRight()).x())
        assert badge.sizeHint().width() <= badge.width()  # the text fits
        window.toolbar.grab().save(str(tmp_path / f"toolbar-{role.value}.png"))
    assert len(set(places.values())) == 1, places
    assert search.isVisible()


def test_a_tooltip_keeps_the_dimensions_on_one_line(
    manager: StreamImageManager, image_dir: Path
) -> None:
    import_images(manager, "s1", image_dir, 1, size=(64, 48))
    [image] = manager.images(OWNER)
    tip = tooltip_for(image)
    assert "64\u00a0\u00d7\u00a048\u00a0px" in tip and "64 x 48" not in tip


def test_the_status_bar_writes_the_home_folder_as_a_tilde(tmp_path: Path) -> None:
    from streamimages_desktop.ui.window.status_line import home_relative

    library = Path.home() / ".local" / "share" / "StreamImages" / "stream_images"
    assert home_relative(library) == "~/.local/share/StreamImages/stream_images"
    outside = Path("/srv/streamimages-library")
    assert home_relative(outside) == str(outside)
