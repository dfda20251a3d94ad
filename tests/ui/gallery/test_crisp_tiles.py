"""Tiles match the screen: a rendition of tile size x pixel ratio, painted at that ratio."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
from streamimages_desktop.ui.gallery.thumbnails import thumb_rendition
from streamimages_desktop.ui.gallery.widget import GalleryWidget
from tests.ui.conftest import import_images

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_the_rendition_covers_the_tile_in_device_pixels() -> None:
    assert thumb_rendition(160, 1.0) == "thumb"
    assert thumb_rendition(200, 1.0) == "thumb"
    assert thumb_rendition(160, 2.0) == "thumb@400"
    assert thumb_rendition(320, 1.0) == "thumb@400"
    assert thumb_rendition(320, 2.0) == "thumb@640"
    assert thumb_rendition(320, 3.0) == "thumb@640"  # the largest there is


def tile_pixmap(qtbot: QtBot, gallery: GalleryWidget, cache: PixmapCache, image_id: str) -> QPixmap:
    """The pixmap the tile of `image_id` paints, once its rendition arrived."""
    model = gallery.model
    index = model.index_of(image_id)
    rendition, ratio = gallery.loader.rendition, model.device_pixel_ratio

    def arrived() -> None:
        model.data(index, 1)  # DecorationRole asks the loader on a miss
        assert cache.get(GALLERY_PAGE, image_id, rendition, ratio) is not None

    qtbot.waitUntil(arrived, timeout=10_000)
    pixmap = model.data(index, 1)
    assert isinstance(pixmap, QPixmap)
    return pixmap


@pytest.mark.parametrize(
    ("ratio", "rendition", "device_px"), [(1.0, "thumb", 200), (2.0, "thumb@400", 400)]
)
def test_a_tile_pixmap_carries_ratio_times_the_logical_pixels(
    qtbot: QtBot,
    manager: StreamImageManager,
    pixmap_cache: PixmapCache,
    image_dir: Path,
    ratio: float,
    rendition: str,
    device_px: int,
) -> None:
    [image_id] = import_images(manager, "big", image_dir, 1, size=(800, 600))
    gallery = GalleryWidget(manager, pixmap_cache)
    qtbot.addWidget(gallery)
    gallery.resize(800, 600)
    gallery.show()
    qtbot.waitExposed(gallery)
    try:
        gallery.model.set_device_pixel_ratio(ratio)  # as a screen of that ratio reports it
        gallery.set_query(OWNER, "big")
        qtbot.waitUntil(lambda: gallery.model.rowCount() == 1)
        assert gallery.loader.rendition == rendition
        pixmap = tile_pixmap(qtbot, gallery, pixmap_cache, image_id)
        assert pixmap.width() == device_px
        assert pixmap.devicePixelRatio() == ratio
        logical = pixmap.deviceIndependentSize()
        assert logical.width() == device_px / ratio >= gallery.tile_size
        # Growing the tiles past the rendition asks for the next one up.
        gallery.set_tile_size(320)
        bigger = tile_pixmap(qtbot, gallery, pixmap_cache, image_id)
        assert bigger.width() == (400 if ratio == 1.0 else 640)
        assert bigger.devicePixelRatio() == ratio
    finally:
        gallery.shutdown()


SCALED = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.core.models import OWNER
    from streamimages_desktop.core.settings import Settings
    from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
    from streamimages_desktop.ui.gallery.widget import GalleryWidget

    app = QApplication([])
    library, cache_dir, config = (Path(a) for a in sys.argv[1:4])
    settings = Settings.load({}, library=library, cache_dir=cache_dir, config_file=config)
    cache = PixmapCache(64 * 1024 * 1024)
    with StreamImageManager(settings) as manager:
        gallery = GalleryWidget(manager, cache)
        gallery.resize(800, 600)
        gallery.show()
        gallery.set_query(OWNER, "big")
        [image] = manager.images(OWNER, "big")
        found = []
        def poll():
            gallery.model.data(gallery.model.index_of(image.id), 1)
            pixmap = cache.get(GALLERY_PAGE, image.id, gallery.loader.rendition,
                               gallery.model.device_pixel_ratio)
            if pixmap is not None:
                found.append(pixmap)
                app.quit()
        from PySide6.QtCore import QTimer
        timer = QTimer(interval=20)
        timer.timeout.connect(poll)
        timer.start()
        QTimer.singleShot(20_000, app.quit)
        app.exec()
        gallery.shutdown()
        pixmap = found[0]
        print(gallery.devicePixelRatioF(), pixmap.width(), pixmap.devicePixelRatio(),
              gallery.tile_size)
    """
)


def test_under_qt_scale_factor_2_tiles_get_the_2x_rendition(
    manager: StreamImageManager, image_dir: Path, tmp_path: Path
) -> None:
    """A real process at QT_SCALE_FACTOR=2: the widget's own ratio picks the rendition."""
    import_images(manager, "big", image_dir, 1, size=(800, 600))
    settings = manager.settings
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCALED,
            str(settings.stream_images_dir),
            str(settings.image_cache_dir),
            str(tmp_path / "none.toml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    ratio, width, pixmap_ratio, tile = done.stdout.split()
    assert float(ratio) == 2.0
    assert float(pixmap_ratio) == 2.0
    assert int(width) == 400 == 2 * (int(width) // 2) and int(width) // 2 >= int(tile)
