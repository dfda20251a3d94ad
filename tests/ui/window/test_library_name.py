"""The window's title and status bar say which library is open."""

from __future__ import annotations

import pytest

from streamimages_desktop.core.manager import StreamImageManager
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_a_local_library_is_named_by_its_folder(
    make_window: WindowFactory, manager: StreamImageManager
) -> None:
    window = make_window()
    folder = manager.settings.stream_images_dir
    assert window.windowTitle() == f"Viewing as Owner — {folder}"
    assert window.status.path_label.text() == str(folder)
    assert manager.library_name == f"local library {folder}"
    assert not manager.is_team_library
