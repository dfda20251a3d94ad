"""Size-keyed renditions ("thumb@400", "display@2048") and the owner-only EXIF summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.core import imaging
from streamimages_desktop.core.disk_cache import RenditionKey
from streamimages_desktop.core.errors import AccessDenied
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import MadeRendition, StreamImageManager, rendition_side
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from tests.images import picture, with_orientation, write_image

pytestmark = pytest.mark.both_backends

ID, SHA = "a" * 32, "b" * 64


def jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        return im.size


@pytest.fixture
def manager(settings: Settings) -> StreamImageManager:
    with StreamImageManager(settings) as made:
        yield made  # type: ignore[misc]


def imported(manager: StreamImageManager, path: Path) -> str:
    [result] = manager.import_paths(OWNER, "s", [path], ImportOptions(visibility=Visibility.PUBLIC))
    assert result.image_id is not None, result
    return result.image_id


@pytest.mark.parametrize("name", ["thumb", "display", "thumb@400", "display@2048"])
def test_rendition_keys_accept_names_and_sizes(name: str) -> None:
    assert RenditionKey(ID, name, SHA).rendition == name


@pytest.mark.parametrize("name", ["poster", "display@", "display@0", "display@01", "x@20", "d@../"])
def test_rendition_keys_refuse_anything_else(name: str) -> None:
    with pytest.raises(ValueError, match="rendition must be"):
        RenditionKey(ID, name, SHA)


def test_rendition_side_is_bounded_by_the_setting() -> None:
    assert rendition_side("thumb", 2560) == 200
    assert rendition_side("thumb@400", 2560) == 400
    assert rendition_side("display@2048", 2560) == 2048
    assert rendition_side("thumb@640", 256) == 640  # thumbnails do not follow the viewer's limit
    for bad in ("display@4096", "display@10", "poster@300", "display@-5"):
        with pytest.raises(ValueError, match="unknown rendition"):
            rendition_side(bad, 2560)


def test_a_size_keyed_display_rendition_fits_its_side_and_is_cached(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    image_id = imported(manager, write_image(tmp_path / "big.png", "PNG", size=(1000, 800)))
    first = manager.rendition(OWNER, image_id, "display@500")
    assert jpeg_size(first) == (500, 400)
    assert jpeg_size(manager.rendition(OWNER, image_id, "thumb@400")) == (400, 320)
    hits = manager.disk_cache_stats().hits
    assert manager.rendition(Viewer(Role.VIEWER), image_id, "display@500") == first
    assert manager.disk_cache_stats().hits == hits + 1


def test_exif_summary_is_for_the_owner_only(manager: StreamImageManager, tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    sub = exif.get_ifd(0x8769)
    sub[0x829A] = 1 / 250
    sub[0x829D] = 2.8
    sub[0x8827] = 400
    path = tmp_path / "camera.jpg"
    picture((64, 48)).save(path, "JPEG", exif=exif)
    image_id = imported(manager, path)
    summary = dict(manager.exif_summary(OWNER, image_id))
    assert summary["Camera"] == "Canon EOS R5"
    assert summary["Exposure"] == "1/250 s"
    assert summary["Aperture"] == "f/2.8"
    assert summary["ISO"] == "400"
    for role in (Role.SUBSCRIBER, Role.VIEWER):
        with pytest.raises(AccessDenied):
            manager.exif_summary(Viewer(role), image_id)


def test_an_image_without_exif_has_an_empty_summary(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    image_id = imported(manager, write_image(tmp_path / "plain.png", "PNG"))
    assert manager.exif_summary(OWNER, image_id) == []


def test_a_cold_rendition_comes_as_pixels_and_is_cached_by_store(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    image_id = imported(manager, write_image(tmp_path / "big.png", "PNG", size=(1000, 800)))
    made = manager.rendition_or_pixels(OWNER, image_id, "display@500")
    assert isinstance(made, MadeRendition)
    assert made.pixels.size == (500, 400) and made.pixels.mode == "RGB"
    assert manager.disk_cache_stats().items == 1  # only the import's thumbnail so far
    stored = made.store()
    assert jpeg_size(stored) == (500, 400)
    assert manager.rendition_or_pixels(Viewer(Role.VIEWER), image_id, "display@500") == stored
    assert manager.rendition(OWNER, image_id, "display@500") == stored


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_preview_pixels_are_upright_cover_the_side_and_finish_to_it(orientation: int) -> None:
    data = with_orientation((1200, 800), orientation)
    pixels = imaging.preview_pixels(data, 300)
    assert pixels.mode == "RGB"
    assert 300 <= max(pixels.size) < 600
    assert pixels.width > pixels.height  # upright: the picture is landscape
    red = pixels.getpixel((2, 2))
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 60  # red marker top-left
    finished = imaging.finish_rendition(pixels, 300)
    assert jpeg_size(finished) == (300, 200)
    assert max(pixels.size) >= 300  # left as it was
