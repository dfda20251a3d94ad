"""The window's gallery reads a row whose text is not UTF-8: escaped text, no worker failure."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.gallery.roles import tooltip_for
from streamimages_desktop.ui.gallery.widget import GalleryWidget
from tests.ui.conftest import import_images

SHOT = Path("/tmp/shots/gallery-damaged-text.png")


@pytest.fixture
def damaged_id(manager: StreamImageManager, settings: Settings, image_dir: Path) -> str:
    [image_id] = import_images(manager, "s1", image_dir, 1, size=(64, 48))
    with sqlite3.connect(settings.stream_images_dir / LIBRARY_FILE) as db:
        db.execute(
            "UPDATE images SET title = CAST(x'42616420ff1b5b33316d' AS TEXT), "
            "description = CAST(x'c3' AS TEXT)"
        )
    db.close()
    return image_id


@pytest.fixture
def gallery(
    qtbot: QtBot, manager: StreamImageManager, pixmap_cache: PixmapCache
) -> Iterator[GalleryWidget]:
    made = GalleryWidget(manager, pixmap_cache)
    qtbot.addWidget(made)
    made.resize(500, 300)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.shutdown()


def test_the_gallery_shows_damaged_text_escaped(
    qtbot: QtBot, gallery: GalleryWidget, damaged_id: str
) -> None:
    with qtbot.waitSignals([gallery.shown_changed, gallery.thumbnails_idle], timeout=20000):
        gallery.set_query(OWNER, "s1")
    assert gallery.model.rowCount() == 1
    index = gallery.model.index(0, 0)
    assert gallery.model.data(index) == "Bad \\xff\x1b[31m"
    image = gallery.model.image_at(0)
    assert image is not None and image.id == damaged_id
    assert image.description == "\\xc3"
    assert "Bad \\xff" in tooltip_for(image)
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    gallery.grab().save(str(SHOT))
