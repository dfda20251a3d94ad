"""One image's size reads the same in the gallery tooltip, the preview and `streamimages show`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, StreamImage, Visibility
from streamimages_desktop.core.units import format_bytes
from streamimages_desktop.ui.gallery.model import GalleryModel
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader
from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow
from tests.images import write_image

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

# A 24-bit BMP holds 54 header bytes and 3 bytes a pixel (rows padded to 4): sizes known ahead.
CASES = [
    ((100, 100), 30_054, "29.3 KB"),  # the old preview said "29 KB", the tooltip "29.3 KB"
    ((8, 8), 246, "246 B"),  # the old tooltip said "246 bytes"
    ((600, 600), 1_080_054, "1 MB"),  # the old command line said "1.0 MB"
]


def import_bmp(manager: StreamImageManager, folder: Path, size: tuple[int, int]) -> StreamImage:
    path = write_image(folder / "picture.bmp", "BMP", size=size)
    options = ImportOptions(visibility=Visibility.SUBSCRIBERS)
    [result] = manager.import_paths(OWNER, "sizes", [path], options)
    assert result.image_id is not None, result
    return manager.open_image(OWNER, result.image_id)


def tooltip_size(model: GalleryModel, image_id: str) -> str:
    tip = model.data(model.index_of(image_id), Qt.ItemDataRole.ToolTipRole)
    return tip.split("<br>")[-1].split(" · ")[2]  # Visibility · W x H px · SIZE · views


def preview_size(qtbot: QtBot, dialog: ViewerWindow, image_id: str) -> str:
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show_image(OWNER, image_id)
    return dialog.info.value("File size")


def show_size(tmp_path: Path, image_id: str) -> str:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "streamimages_desktop"),
            *("--library", str(tmp_path / "library"), "--cache-dir", str(tmp_path / "cache")),
            *("show", image_id),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=dict(os.environ),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("bytes:")]
    return line.split("(", 1)[1].removesuffix(")")  # "bytes:  30054 (29.3 KB)"


@pytest.mark.parametrize(("pixels", "stored", "text"), CASES)
def test_one_size_reads_the_same_in_tooltip_preview_and_command_line(
    qtbot: QtBot,
    tmp_path: Path,
    manager: StreamImageManager,
    pixmap_cache: PixmapCache,
    pixels: tuple[int, int],
    stored: int,
    text: str,
) -> None:
    image = import_bmp(manager, tmp_path / "source", pixels)
    assert image.bytes == stored
    assert format_bytes(image.bytes) == text

    loader = ThumbnailLoader(manager)
    model = GalleryModel(pixmap_cache, loader)
    model.set_images(OWNER, manager.images(OWNER, "sizes"))
    dialog = ViewerWindow(manager, pixmap_cache)
    qtbot.addWidget(dialog)
    try:
        assert tooltip_size(model, image.id) == text
        assert preview_size(qtbot, dialog, image.id) == text
    finally:
        dialog.close()
        dialog.shutdown()
        assert loader.shutdown()
    assert show_size(tmp_path, image.id) == text
