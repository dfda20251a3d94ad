"""A read-only library in the window: it browses, and the status line says it is read-only.

Made read-only with `chattr +i` (root ignores file modes); where that cannot be done the
test says so and is skipped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings
from tests.ui import window_fixtures
from tests.ui.conftest import import_images
from tests.ui.window_fixtures import WindowFactory, grid_ids

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


@pytest.fixture
def manager(settings: Settings, image_dir: Path) -> Iterator[StreamImageManager]:
    """A manager on a library imported into, then made immutable."""
    with StreamImageManager(settings) as writable:
        import_images(writable, "s1", image_dir, 3)
    lib = settings.stream_images_dir
    locked = subprocess.run(["chattr", "-R", "+i", lib], capture_output=True, text=True)
    if locked.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {locked.stderr.strip()}")
    try:
        with StreamImageManager(settings) as made:
            yield made
    finally:
        subprocess.run(["chattr", "-R", "-i", lib], check=True)


def test_the_window_browses_a_read_only_library_and_says_so(
    make_window: WindowFactory, manager: StreamImageManager, settings: Settings, qtbot: QtBot,
    tmp_path: Path,
) -> None:  # fmt: skip
    assert manager.read_only
    window = make_window()
    assert len(grid_ids(window)) == 3
    assert window.status.path_label.text() == f"Read-only: {settings.stream_images_dir}"
    assert "read-only" in window.status.path_label.toolTip()
    window.resize(1100, 700)
    qtbot.wait(50)
    window.grab().save(str(tmp_path / "read-only-window.png"))


def test_a_read_only_library_offers_no_change(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    """The owner still sees everything, but nothing in the window offers a change."""
    window = make_window()
    assert len(grid_ids(window)) == 3  # all of them: the owner's view
    assert not window.viewer.may_edit
    for action in (window.open_action, window.folder_action, window.paste_action):
        assert not action.isEnabled()
    browser = window.stream_browser
    assert not browser.new_button.isEnabled()
    assert not browser.rename_button.isEnabled()
    assert not browser.delete_button.isEnabled()
    assert window.upload_pane.notice.isVisibleTo(window.upload_pane)
    assert "read-only" in window.upload_pane.notice.text()
    menu = window.image_actions.show_menu(
        window.mapToGlobal(window.rect().center()), grid_ids(window)
    )
    assert not window.image_actions.delete_action.isEnabled()
    assert not window.image_actions.edit_action.isEnabled()
    assert "read-only" in window.image_actions.delete_action.toolTip()
    menu.close()
