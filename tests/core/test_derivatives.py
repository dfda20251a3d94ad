"""Clean derivatives: canary files lose every hidden marker, keep pixels, frames and timing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageSequence, ImageStat

from streamimages_desktop.core.errors import NotFound
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import Derivative, StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from tests import canaries
from tests.canaries import Canary, assert_clean
from tests.images import EXT

pytestmark = pytest.mark.both_backends

JPEG_TOLERANCE = 12.0  # mean absolute difference per channel (0..255) after two JPEG generations


def assert_same_pixels(data: bytes, canary: Canary) -> None:
    with Image.open(io.BytesIO(data)) as out:
        frames = [
            (f.convert("RGBA"), f.info.get("duration", 0)) for f in ImageSequence.Iterator(out)
        ]
    assert len(frames) == len(canary.frames)
    for (got, _), expected in zip(frames, canary.frames, strict=True):
        assert got.size == expected.size
        diff = ImageChops.difference(got, expected)
        if canary.format == "JPEG":
            assert max(ImageStat.Stat(diff).mean) < JPEG_TOLERANCE
            assert got.getpixel((2, 2))[:3] == pytest.approx((255, 0, 0), abs=12)
        else:
            assert diff.getbbox() is None, "pixels differ"
    if canary.durations:
        assert tuple(d for _, d in frames) == canary.durations


@pytest.mark.parametrize("canary", canaries.all_canaries(), ids=lambda c: c.name)
def test_the_canaries_really_carry_their_markers(canary: Canary) -> None:
    assert canaries.found_markers(canary.data)
    assert canary.data.endswith(canaries.TRAILER)


@pytest.fixture
def manager(settings: Settings) -> StreamImageManager:
    with StreamImageManager(settings) as m:
        yield m  # type: ignore[misc]


def _import(manager: StreamImageManager, canary: Canary, visibility: Visibility) -> str:
    result = manager.import_bytes(
        OWNER,
        "show",
        canary.data,
        f"{canary.name}{EXT[canary.format]}",
        ImportOptions(visibility=visibility),
    )
    assert result.image_id is not None, result
    return result.image_id


@pytest.mark.parametrize("canary", canaries.all_canaries(), ids=lambda c: c.name)
def test_a_derivative_of_a_canary_is_clean_upright_and_the_same_picture(
    manager: StreamImageManager, canary: Canary
) -> None:
    image_id = _import(manager, canary, Visibility.PUBLIC)
    derivative = manager.derivative(Viewer(Role.VIEWER), image_id)
    assert isinstance(derivative, Derivative)
    assert derivative.format == canary.format  # JPEG stays JPEG, and so on
    assert_clean(derivative.data, derivative.format)
    assert_same_pixels(derivative.data, canary)


def test_a_colour_profile_becomes_a_fresh_srgb_one_and_none_is_added(
    manager: StreamImageManager,
) -> None:
    with_profile = manager.derivative(
        OWNER, _import(manager, canaries.jpeg_canary(), Visibility.PUBLIC)
    )
    with Image.open(io.BytesIO(with_profile.data)) as im:
        assert im.info.get("icc_profile")
    plain = io.BytesIO()
    canaries.picture().save(plain, "PNG")
    result = manager.import_bytes(OWNER, "show", plain.getvalue(), "plain.png")
    assert result.image_id is not None
    without = manager.derivative(OWNER, result.image_id)
    with Image.open(io.BytesIO(without.data)) as im:
        assert "icc_profile" not in im.info


def test_the_jpeg_quality_is_the_declared_setting(tmp_path: Path, settings: Settings) -> None:

    sizes = []
    for quality in (20, 95):
        with StreamImageManager(settings._replace(export_jpeg_quality=quality)) as manager:
            image_id = (
                manager.images(OWNER)[0].id
                if manager.count(OWNER)
                else _import(manager, canaries.jpeg_canary(), Visibility.PUBLIC)
            )
            sizes.append(len(manager.derivative(OWNER, image_id).data))
    assert sizes[0] < sizes[1]


@pytest.mark.parametrize(
    ("visibility", "allowed"),
    [
        (Visibility.PUBLIC, {Role.OWNER, Role.SUBSCRIBER, Role.VIEWER}),
        (Visibility.SUBSCRIBERS, {Role.OWNER, Role.SUBSCRIBER}),
        (Visibility.PRIVATE, {Role.OWNER}),
    ],
)
def test_a_role_gets_a_derivative_only_of_what_it_may_see(
    manager: StreamImageManager, visibility: Visibility, allowed: set[Role]
) -> None:
    image_id = _import(manager, canaries.png_canary(), visibility)
    for role in Role:
        if role in allowed:
            assert manager.derivative(Viewer(role), image_id).data
        else:
            with pytest.raises(NotFound) as hidden:
                manager.derivative(Viewer(role), image_id)
            with pytest.raises(NotFound) as missing:
                manager.derivative(Viewer(role), "0" * len(image_id))
            assert str(hidden.value) == str(missing.value).replace("0" * len(image_id), image_id)
