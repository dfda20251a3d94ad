"""What the library says once when it opens reaches the window's status bar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def manager(settings: Settings, tmp_path: Path) -> Iterator[StreamImageManager]:
    """A library folder others can read (made by hand) and a file where the cache belongs."""
    settings.stream_images_dir.mkdir(mode=0o755)
    settings.stream_images_dir.chmod(0o755)
    (tmp_path / "cache-file").write_text("in the way")
    shared = settings._replace(image_cache_dir=tmp_path / "cache-file")
    with StreamImageManager(shared) as made:
        yield made


def test_the_window_shows_the_librarys_warnings(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window = make_window()
    text = window.status.currentMessage()
    assert text.startswith("Warning: the library folder ")
    assert "can be read by other users" in text
    assert "the rendition cache folder" in text and "cache-file" in text
    assert window.status.toolTip() == text  # still there after the flash has gone
