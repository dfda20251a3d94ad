"""Two windows on one team library, each with its own login: a change in one shows in the
other within about a second (LISTEN/NOTIFY), and each says which library it has open."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.backends import member_settings, team_settings
from tests.images import image_bytes
from tests.ui.window_fixtures import grid_ids, wait_settled

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def owner_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return team_settings(settings, request)


@pytest.fixture
def windows(
    qtbot: QtBot, owner_settings: Settings, tmp_path: Path
) -> Iterator[list[tuple[MainWindow, StreamImageManager]]]:
    tag = tmp_path.name[-8:].lower().replace("-", "_")
    others = [
        member_settings(owner_settings, f"mod_{tag}", "all", can_edit=True),
        member_settings(owner_settings, f"sub_{tag}", "subscribers"),
    ]
    made: list[tuple[MainWindow, StreamImageManager]] = []
    try:
        for number, settings in enumerate([owner_settings, *others]):
            manager = StreamImageManager(settings)
            qsettings = QSettings(str(tmp_path / f"w{number}.ini"), QSettings.Format.IniFormat)
            window = MainWindow(
                manager, PixmapCache(16 << 20, 3600.0), settings, qsettings=qsettings
            )
            qtbot.addWidget(window)
            window.show()
            made.append((window, manager))
        yield made
    finally:
        for window, manager in made:
            window.shutdown()
            window.close()
            manager.close()


def select(window: MainWindow, stream_id: str) -> bool:
    window.select_stream(stream_id)
    return window.stream_id == stream_id


def add(manager: StreamImageManager, seed: int, visibility: Visibility) -> str:
    data = image_bytes("PNG", (40, 30), seed=seed)
    result = manager.import_bytes(
        OWNER, "live", data, f"{seed}.png", ImportOptions(visibility, title=f"image {seed}")
    )
    assert result.image_id is not None, result.reason
    return result.image_id


def test_a_change_in_one_window_appears_in_the_others(
    qtbot: QtBot, windows: list[tuple[MainWindow, StreamImageManager]]
) -> None:
    (owner_window, owner), (mod_window, moderator), (sub_window, _sub) = windows
    first = add(owner, 1, Visibility.PUBLIC)
    for window, _manager in windows:  # the new stream reaches every window's list
        wait_settled(qtbot, window)
        qtbot.waitUntil(lambda w=window: select(w, "live"), timeout=10_000)
    for window, _manager in windows:
        qtbot.waitUntil(lambda w=window: grid_ids(w) == {first}, timeout=10_000)

    # the moderator's import reaches the owner's window and the subscriber's
    started = time.monotonic()
    second = add(moderator, 2, Visibility.PUBLIC)
    qtbot.waitUntil(lambda: grid_ids(owner_window) == {first, second}, timeout=5_000)
    qtbot.waitUntil(lambda: grid_ids(sub_window) == {first, second}, timeout=5_000)
    print(f"a change reached the other windows in {time.monotonic() - started:.2f} s")

    # a private image reaches the owner's and moderator's windows, never the subscriber's
    secret = add(owner, 3, Visibility.PRIVATE)
    qtbot.waitUntil(lambda: secret in grid_ids(mod_window), timeout=5_000)
    qtbot.wait(1_500)  # the subscriber's window has heard the change by now, too
    assert grid_ids(sub_window) == {first, second}

    # each says which library and login is open; the subscriber cannot look as the owner
    assert "team" in owner_window.windowTitle() and "@" in owner_window.windowTitle()
    assert owner_window.status.path_label.text().startswith("Team: postgres@")
    assert sub_window.status.path_label.text().startswith("Team (view only): sub_")
    assert sub_window.viewer.role is Role.SUBSCRIBER
    switcher = sub_window.toolbar.role_switcher
    assert not switcher.role_actions[Role.OWNER].isEnabled()
    assert switcher.role_actions[Role.VIEWER].isEnabled()
    assert "view only" in sub_window.upload_pane.notice.text()
    shot = os.environ.get("SI_LOOK_AT_TEAM_WINDOW")
    if shot:  # to look at: SI_LOOK_AT_TEAM_WINDOW=/tmp/team.png pytest this file
        sub_window.grab().save(shot)
