"""UI fixtures: a real manager on a temporary library, images imported from Pillow-made files."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.core.importer import ImportOptions, ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from tests.images import write_image


def tiny_png(path: Path, seed: int) -> Path:
    """An 8x8 PNG whose pixels spell out `seed`, so every seed gives different bytes."""
    raw = bytearray(8 * 8 * 3)
    for i, byte in enumerate(seed.to_bytes(8, "big") * 24):
        raw[i] = byte
    raw[-3:] = bytes((seed * 53 % 256, 200, 40))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", (8, 8), bytes(raw)).save(path, "PNG")
    return path


def import_images(
    manager: StreamImageManager,
    stream_id: str,
    folder: Path,
    count: int,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    first_seed: int = 0,
    size: tuple[int, int] | None = None,
) -> list[str]:
    """Write `count` distinct images into `folder` and import them; returns the new ids in order.

    With `size` None the images are 8x8 (fast); otherwise tests.images pictures of that size.
    """
    paths: list[Path] = []
    for n in range(first_seed, first_seed + count):
        target = folder / f"{stream_id}-{visibility.value}-{n:05d}.png"
        if size is None:
            paths.append(tiny_png(target, n))
        else:
            paths.append(write_image(target, "PNG", size=size, seed=n))
    results = manager.import_paths(OWNER, stream_id, paths, ImportOptions(visibility=visibility))
    assert [r.status for r in results] == [ImportStatus.IMPORTED] * count, results[:3]
    return [r.image_id for r in results if r.image_id is not None]


def big_settings(settings: Settings, per_stream: int) -> Settings:
    """The same settings with MAX_STREAM_IMAGES_PER_STREAM raised."""
    return settings._replace(max_stream_images_per_stream=per_stream)


@pytest.fixture
def manager(settings: Settings) -> Iterator[StreamImageManager]:
    """A StreamImageManager on the temporary library of the `settings` fixture."""
    with StreamImageManager(settings) as made:
        yield made


@pytest.fixture
def pixmap_cache() -> PixmapCache:
    return PixmapCache(64 * 1024 * 1024, 3600.0)


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    return tmp_path / "source-images"


def mixed_library(
    manager: StreamImageManager, folder: Path, stream_id: str = "mixed", each: int = 3
) -> dict[Visibility, list[str]]:
    """`each` images of every visibility in one stream (64x48 pictures, distinct seeds)."""
    ids: dict[Visibility, list[str]] = {}
    for n, visibility in enumerate(Visibility):
        ids[visibility] = import_images(
            manager,
            stream_id,
            folder,
            each,
            visibility=visibility,
            first_seed=n * each,
            size=(64, 48),
        )
    return ids


def all_ids(groups: dict[Visibility, list[str]], visibilities: Sequence[Visibility]) -> set[str]:
    return {i for v in visibilities for i in groups[v]}


@pytest.fixture(autouse=True)
def _empty_clipboard(qapp: object) -> Iterator[None]:
    """Tests fill the clipboard with QMimeData made in Python; a clipboard still holding one
    when the interpreter exits is freed twice (once by Qt, once by PySide) and segfaults."""
    yield
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().clear()
