"""imaging: format by content; bombs and corrupt data refused; thumbnails upright, flat, small."""

from __future__ import annotations

import io
import random
import struct
import tracemalloc
import warnings
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import EpsImagePlugin, GifImagePlugin, Image, ImageFile, JpegImagePlugin, PngImagePlugin

from streamimages_desktop.core import imaging
from streamimages_desktop.core.errors import ImageRejected
from streamimages_desktop.core.imaging import (
    BACKGROUND,
    CORRUPT,
    JPEG_QUALITY,
    SUPPORTED_FORMATS,
    THUMB_SIZE,
    UNRECOGNISED,
    analyze,
    render,
)
from tests.images import (
    animated,
    encode,
    image_bytes,
    many_frame_gif,
    picture,
    png_header,
    solid_frames,
    truncated,
    with_declared_size,
    with_orientation,
)

LIMIT = 89_478_485
FORMATS = sorted(SUPPORTED_FORMATS)
RGB = tuple[int, int, int]


def decoded(jpeg: bytes) -> Image.Image:
    """Open a rendition and check it really is a complete JPEG."""
    im = Image.open(io.BytesIO(jpeg))
    assert im.format == "JPEG"
    im.load()
    return im


def rgb_at(im: Image.Image, xy: tuple[int, int]) -> RGB:
    r, g, b = im.convert("RGB").getpixel(xy)  # type: ignore[misc]
    return int(r), int(g), int(b)


def close(actual: RGB, expected: RGB, tolerance: int = 24) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def is_red(rgb: RGB) -> bool:
    return rgb[0] > 200 and rgb[1] < 70 and rgb[2] < 70


def rejected(data: bytes, max_pixels: int = LIMIT) -> str:
    with pytest.raises(ImageRejected) as info:
        analyze(data, max_pixels)
    return info.value.reason


def spy(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[Any]:
    """Record the `self` of each call to owner.name (the real method still runs)."""
    calls: list[Any] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((self, args))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


# --- what is accepted -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_supported_format_gives_size_and_a_jpeg_thumbnail(fmt: str) -> None:
    result = analyze(image_bytes(fmt, size=(640, 480)), LIMIT)

    assert (result.format, result.width, result.height) == (fmt, 640, 480)
    thumb = decoded(result.thumbnail)
    assert thumb.size == (200, 150)
    assert is_red(rgb_at(thumb, (5, 5)))
    assert not is_red(rgb_at(thumb, (150, 30)))


def test_mpo_from_a_phone_is_reported_as_jpeg() -> None:
    first, second = picture((300, 200)), picture((300, 200), seed=5)
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    result = analyze(data, LIMIT)

    assert (result.format, result.width, result.height) == ("JPEG", 300, 200)
    assert decoded(result.thumbnail).size == (200, 133)


def test_format_is_decided_by_content_and_metadata_is_stripped() -> None:
    data = with_orientation((300, 200), 6)
    assert b"Exif" in data

    result = analyze(data, LIMIT)

    assert result.format == "JPEG"
    assert b"Exif" not in result.thumbnail
    assert "exif" not in decoded(result.thumbnail).info


def test_thumbnail_is_encoded_at_quality_85() -> None:
    reference = Image.open(io.BytesIO(encode(picture((200, 150)), "JPEG", quality=JPEG_QUALITY)))
    other = Image.open(io.BytesIO(encode(picture((200, 150)), "JPEG", quality=60)))
    thumb = decoded(analyze(image_bytes("PNG", size=(800, 600)), LIMIT).thumbnail)

    assert isinstance(thumb, JpegImagePlugin.JpegImageFile)
    assert isinstance(reference, JpegImagePlugin.JpegImageFile)
    assert isinstance(other, JpegImagePlugin.JpegImageFile)
    assert thumb.quantization == reference.quantization
    assert thumb.quantization != other.quantization


@pytest.mark.parametrize(
    ("size", "thumb_size"),
    [
        ((640, 480), (200, 150)),
        ((480, 640), (150, 200)),
        ((200, 200), (200, 200)),
        ((10, 7), (10, 7)),  # never enlarged
        ((1, 100_000), (1, 200)),
        ((100_000, 1), (200, 1)),
    ],
)
def test_thumbnail_fits_the_box_and_keeps_the_aspect_ratio(
    size: tuple[int, int], thumb_size: tuple[int, int]
) -> None:
    result = analyze(image_bytes("PNG", size=size), LIMIT)

    assert (result.width, result.height) == size
    assert decoded(result.thumbnail).size == thumb_size


def test_thumb_size_is_a_parameter() -> None:
    result = analyze(image_bytes("PNG", size=(640, 480)), LIMIT, thumb_size=64)
    assert decoded(result.thumbnail).size == (64, 48)


# --- EXIF orientation -------------------------------------------------------------------------


def oriented(orientation: int, size: tuple[int, int]) -> bytes:
    if orientation == 1:
        return encode(picture(size), "JPEG", quality=95)
    return with_orientation(size, orientation)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation: int) -> None:
    data = oriented(orientation, (400, 200))
    stored = Image.open(io.BytesIO(data)).size
    assert stored == ((200, 400) if orientation >= 5 else (400, 200))

    result = analyze(data, LIMIT)

    assert (result.width, result.height) == (400, 200)
    thumb = decoded(result.thumbnail)
    assert thumb.size == (200, 100)
    assert is_red(rgb_at(thumb, (3, 3)))
    assert not is_red(rgb_at(thumb, (196, 3)))
    assert not is_red(rgb_at(thumb, (3, 96)))


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_displayed_size_is_the_original_not_the_reduced_decode(orientation: int) -> None:
    result = analyze(oriented(orientation, (3200, 1600)), LIMIT)

    assert (result.width, result.height) == (3200, 1600)
    thumb = decoded(result.thumbnail)
    assert thumb.size == (200, 100)
    assert is_red(rgb_at(thumb, (3, 3)))


@pytest.mark.parametrize("orientation", [3, 6, 7])
def test_render_applies_orientation_too(orientation: int) -> None:
    out = decoded(render(with_orientation((400, 200), orientation), 100))
    assert out.size == (100, 50)
    assert is_red(rgb_at(out, (2, 2)))


# Pillow warns (UserWarning) about broken EXIF while opening; the app runs with default warning
# filters, where that is a printed line, not an error. Reproduce that here.
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_broken_exif_does_not_reject_the_image() -> None:
    data = encode(picture((120, 80)), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    result = analyze(data, LIMIT)
    assert (result.width, result.height) == (120, 80)


# --- reduced-scale, single decode -------------------------------------------------------------


def sizes_at_jpeg_load(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size each JPEG has at the moment it is decoded (after draft, before any resize)."""
    sizes: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        if self.tile:  # a decode is about to happen
            sizes.append(self.size)
        return real(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", load)
    return sizes


def test_a_large_jpeg_is_decoded_once_at_one_eighth_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(picture((4000, 3000)), "JPEG", quality=90)
    opens: list[object] = []
    real_open = Image.open

    def counting_open(*args: Any, **kwargs: Any) -> ImageFile.ImageFile:
        opens.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    decodes = sizes_at_jpeg_load(monkeypatch)

    result = analyze(data, LIMIT)

    assert len(opens) == 1
    assert decodes == [(500, 375)]
    assert (result.width, result.height) == (4000, 3000)
    assert decoded(result.thumbnail).size == (200, 150)


def test_render_decodes_reduced_and_never_upscales(monkeypatch: pytest.MonkeyPatch) -> None:
    big = encode(picture((3200, 2400)), "JPEG")
    decodes = sizes_at_jpeg_load(monkeypatch)

    display = render(big, 600)

    assert decodes == [(800, 600)]  # DCT-scaled to 1/4 while decoding, then resampled
    assert decoded(display).size == (600, 450)
    assert decoded(render(image_bytes("PNG", size=(64, 48)), 1600)).size == (64, 48)


def test_render_quality_changes_the_encoding() -> None:
    data = image_bytes("PNG", size=(800, 600))
    assert len(render(data, 400, quality=30)) < len(render(data, 400, quality=95))


# --- modes and transparency -------------------------------------------------------------------


def transparent_with_red_corner(mode: str = "RGBA") -> Image.Image:
    im = Image.new("RGBA", (100, 80), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (0, 0, 30, 30))
    return im if mode == "RGBA" else im.convert(mode)


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("PNG", {}), ("WEBP", {"lossless": True}), ("WEBP", {"quality": 90}), ("GIF", {})],
)
def test_transparency_is_composited_onto_the_neutral_background(
    fmt: str, params: dict[str, object]
) -> None:
    source = transparent_with_red_corner()
    if fmt == "GIF":
        source = Image.new("P", source.size, 0)
        source.putpalette([0, 0, 0, 255, 0, 0])
        source.paste(1, (0, 0, 30, 30))
        params = {"transparency": 0}
    data = encode(source, fmt, **params)
    reopened = Image.open(io.BytesIO(data))
    assert reopened.mode in ("RGBA", "P")
    assert reopened.mode == "RGBA" or "transparency" in reopened.info

    thumb = decoded(analyze(data, LIMIT).thumbnail)

    assert close(rgb_at(thumb, (80, 60)), BACKGROUND), "transparent black must not show as black"
    assert is_red(rgb_at(thumb, (5, 5)))


def test_png_palette_with_trns_and_la_are_flattened() -> None:
    palette = transparent_with_red_corner().convert("P")
    la = Image.new("LA", (60, 40), (0, 0))
    la.paste((255, 255), (0, 0, 20, 20))

    for data in (encode(palette, "PNG"), encode(la, "PNG")):
        thumb = decoded(analyze(data, LIMIT).thumbnail)
        assert close(rgb_at(thumb, (50, 35)), BACKGROUND)
        assert not close(rgb_at(thumb, (3, 3)), BACKGROUND)


def test_cmyk_jpeg_keeps_its_colours() -> None:
    data = encode(picture((320, 240)).convert("CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"

    result = analyze(data, LIMIT)

    thumb = decoded(result.thumbnail)
    assert thumb.mode == "RGB"
    assert is_red(rgb_at(thumb, (5, 5)))


def test_16_bit_greyscale_is_scaled_not_clipped() -> None:
    im = Image.new("I;16", (300, 100), 40_000)
    im.paste(Image.new("I;16", (150, 100), 10_000), (0, 0))
    data = encode(im, "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"

    thumb = decoded(analyze(data, LIMIT).thumbnail)

    dark, light = thumb.getpixel((10, 25)), thumb.getpixel((190, 25))
    assert isinstance(dark, int) and isinstance(light, int)
    assert abs(dark - 10_000 // 256) <= 4
    assert abs(light - 40_000 // 256) <= 4


@pytest.mark.parametrize(("mode", "fmt"), [("1", "PNG"), ("1", "BMP"), ("L", "JPEG"), ("P", "GIF")])
def test_other_modes_render(mode: str, fmt: str) -> None:
    data = image_bytes(fmt, size=(400, 300), mode=mode)
    result = analyze(data, LIMIT)
    assert (result.width, result.height) == (400, 300)
    assert decoded(result.thumbnail).size == (200, 150)


# --- animations -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animation_uses_the_first_frame(fmt: str) -> None:
    data = solid_frames(fmt, [(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3

    result = analyze(data, LIMIT)

    assert (result.format, result.width, result.height) == (fmt, 40, 30)
    assert is_red(rgb_at(decoded(result.thumbnail), (20, 15)))


def test_animated_helper_images_are_accepted() -> None:
    for fmt in ("GIF", "WEBP"):
        assert analyze(animated(fmt, frames=4), LIMIT).format == fmt


def test_a_gif_with_100000_frames_is_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    data = many_frame_gif(100_000)
    assert Image.open(io.BytesIO(many_frame_gif(4))).n_frames == 4  # the helper makes frames
    seeks = spy(monkeypatch, GifImagePlugin.GifImageFile, "_seek")
    public_seeks = spy(monkeypatch, Image.Image, "seek")

    result = analyze(data, LIMIT)

    assert (result.format, result.width, result.height) == ("GIF", 1, 1)
    assert decoded(result.thumbnail).size == (1, 1)
    assert len(seeks) <= 2
    assert all(args[0] == 0 for _, args in seeks)
    assert len(public_seeks) <= 2


# --- refused: not ours, bombs, broken ---------------------------------------------------------


def tiff() -> bytes:
    return image_bytes("TIFF")


def ico() -> bytes:
    return image_bytes("ICO", size=(32, 32))


def eps() -> bytes:
    return image_bytes("EPS")


def pdf() -> bytes:
    return image_bytes("PDF")


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (tiff, "TIFF"),
        (ico, "ICO"),
        (eps, "EPS"),
        (pdf, "PDF"),
        (lambda: SVG, "SVG"),
        (lambda: b"  <svg viewBox='0 0 1 1'></svg>", "SVG"),
        (lambda: b"8BPS\x00\x01" + bytes(40), "PSD"),
        (lambda: b"\x00\x00\x00\x18ftypheic" + bytes(40), "HEIC"),
        (lambda: b"\x00\x00\x00\x1cftypavif" + bytes(40), "AVIF"),
        (lambda: image_bytes("PPM"), "PNM"),
    ],
)
def test_recognised_but_unsupported_formats_are_named(
    make: Callable[[], bytes], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make()
    opens = spy(monkeypatch, EpsImagePlugin.EpsImageFile, "_open")

    def no_ghostscript(*args: object, **kwargs: object) -> None:
        raise AssertionError("Ghostscript must never run")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_ghostscript)

    assert rejected(data) == f"{name} images are not supported"
    assert opens == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (random.Random(7).randbytes(4096), UNRECOGNISED),
        (b"hello, this is text and not a picture\n" * 20, UNRECOGNISED),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", UNRECOGNISED),
        (png_header((64, 48)), CORRUPT),
        (b"\x89PNG\r\n\x1a\n", CORRUPT),
        (b"\xff\xd8\xff", CORRUPT),
        (b"GIF89a", CORRUPT),
        (b"BM" + bytes(100), CORRUPT),
        (
            b"BM" + random.Random(3).randbytes(100),
            "too many pixels (1588945316x361014283 > 89478485)",
        ),
        (b"RIFF\x00\x01\x00\x00WEBPVP8 " + bytes(30), CORRUPT),
    ],
)
def test_garbage_empty_and_header_only_are_refused(data: bytes, reason: str) -> None:
    assert rejected(data) == reason


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9])
def test_truncated_files_of_every_format_are_refused(fmt: str, keep: float) -> None:
    whole = image_bytes(fmt, size=(320, 240), seed=3)
    assert analyze(whole, LIMIT).format == fmt

    assert rejected(truncated(whole, keep)) == CORRUPT


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_truncated_animations_are_refused(fmt: str) -> None:
    whole = animated(fmt, frames=2, size=(200, 150))
    assert rejected(truncated(whole, 0.3)) == CORRUPT


def test_render_refuses_bad_data_with_a_reason() -> None:
    with pytest.raises(ImageRejected, match=CORRUPT):
        render(truncated(image_bytes("JPEG", size=(300, 200))), 200)
    with pytest.raises(ImageRejected, match="TIFF"):
        render(image_bytes("TIFF"), 200)


def test_pixel_limit_is_read_from_the_header_before_any_decode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_decode(self: ImageFile.ImageFile) -> None:
        raise AssertionError("decoded a refused image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)

    assert rejected(png_header((30_000, 30_000))) == "too many pixels (30000x30000 > 89478485)"
    assert rejected(image_bytes("PNG", size=(64, 48)), 3071) == "too many pixels (64x48 > 3071)"


def test_the_limit_is_inclusive() -> None:
    assert analyze(image_bytes("PNG", size=(64, 48)), 3072).width == 64


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "BMP"])
def test_declared_bombs_are_refused_in_every_format(fmt: str) -> None:
    data = with_declared_size(image_bytes(fmt), fmt, (30_000, 20_000))
    assert rejected(data) == f"too many pixels (30000x20000 > {LIMIT})"


@pytest.mark.parametrize("lossless", [False, True])
def test_webp_bombs_are_refused(lossless: bool) -> None:
    data = image_bytes("WEBP", size=(400, 300), lossless=lossless)
    assert rejected(data, 400 * 300 - 1) == f"too many pixels (400x300 > {400 * 300 - 1})"


def test_a_limit_above_pillows_is_capped_and_nothing_is_printed() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reason = rejected(png_header((12_000, 12_000)), max_pixels=10**12)
    assert reason == f"too many pixels (12000x12000 > {Image.MAX_IMAGE_PIXELS})"
    assert caught == []


@pytest.mark.parametrize(
    "size",
    [(12_000, 12_000), (30_000, 30_000)],  # Pillow's warning, then Pillow's error
)
def test_pillows_own_bomb_check_is_an_error_when_the_header_is_not_read(
    size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imaging, "_header_size", lambda data, fmt: None)
    pixels = size[0] * size[1]

    assert rejected(png_header(size)) == f"too many pixels ({pixels} > {LIMIT})"


def test_the_opened_size_is_checked_when_the_header_is_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imaging, "_header_size", lambda data, fmt: None)
    assert rejected(image_bytes("PNG"), 100) == "too many pixels (64x48 > 100)"


def gif_with_frame_larger_than_screen(frame: tuple[int, int]) -> bytes:
    data = bytearray(many_frame_gif(1))
    at = data.index(b",")
    struct.pack_into("<HH", data, at + 5, *frame)
    return bytes(data)


@pytest.mark.parametrize("frame", [(10_000, 10_000), (40_000, 40_000)])
def test_a_gif_frame_that_grows_the_canvas_is_a_bomb(frame: tuple[int, int]) -> None:
    assert imaging._header_size(gif_with_frame_larger_than_screen(frame), "GIF") == (1, 1)
    assert rejected(gif_with_frame_larger_than_screen(frame)).startswith("too many pixels")


# --- metadata bombs ---------------------------------------------------------------------------

TEXT_BOMB = "a metadata bomb: a compressed PNG text chunk expands beyond the safe limit"
PROFILE_BOMB = "a metadata bomb: the PNG's compressed colour profile expands beyond the safe limit"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def with_chunks(before_pixels: bytes = b"", after_pixels: bytes = b"") -> bytes:
    """A real 64x48 PNG with extra chunks spliced after IHDR and before IEND."""
    png = image_bytes("PNG")
    ihdr_end, iend = 8 + 25, png.rindex(b"IEND") - 4
    return png[:ihdr_end] + before_pixels + png[ihdr_end:iend] + after_pixels + png[iend:]


def inflating(size: int) -> bytes:
    """zlib data that inflates to `size` zero bytes (1000:1 and better)."""
    return zlib.compress(b"\0" * size, 9)


BOMB_SIZE = 64 * 1024 * 1024
BOMBS = {
    "zTXt": (png_chunk(b"zTXt", b"Comment\0\0" + inflating(BOMB_SIZE)), TEXT_BOMB),
    "iTXt": (png_chunk(b"iTXt", b"Comment\0\1\0en\0Comment\0" + inflating(BOMB_SIZE)), TEXT_BOMB),
    "iCCP": (png_chunk(b"iCCP", b"sRGB\0\0" + inflating(BOMB_SIZE)), PROFILE_BOMB),
}


@pytest.mark.parametrize("kind", BOMBS)
@pytest.mark.parametrize("where", ["before the pixels", "after the pixels"])  # after: by load()
def test_compressed_metadata_bombs_are_named_as_such(kind: str, where: str) -> None:
    chunk, reason = BOMBS[kind]
    data = with_chunks(chunk) if where == "before the pixels" else with_chunks(after_pixels=chunk)
    assert len(data) < 100_000
    assert rejected(data) == reason
    with pytest.raises(ImageRejected, match=reason):
        render(data, THUMB_SIZE)


def test_many_small_text_bombs_are_named_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chunk under Pillow's per-chunk limit, together over its text memory limit."""
    monkeypatch.setattr(PngImagePlugin, "MAX_TEXT_MEMORY", 4 * PngImagePlugin.MAX_TEXT_CHUNK)
    one = png_chunk(b"zTXt", b"Comment\0\0" + inflating(PngImagePlugin.MAX_TEXT_CHUNK))
    assert rejected(with_chunks(one * 5)) == (
        "a metadata bomb: the PNG's text chunks together expand beyond the safe limit"
    )
    assert analyze(with_chunks(one * 3), LIMIT).width == 64  # under the limit: fine


def test_a_metadata_bomb_never_inflates_in_memory() -> None:
    data = with_chunks(BOMBS["zTXt"][0] + BOMBS["iCCP"][0])
    tracemalloc.start()
    try:
        assert rejected(data).startswith("a metadata bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # the bombs inflate to 128 MB


def test_legal_compressed_text_and_profile_are_accepted() -> None:
    ok = png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a fine comment " * 1000))
    ok += png_chunk(b"iCCP", b"sRGB\0\0" + zlib.compress(b"\0" * 100_000))
    assert analyze(with_chunks(ok), LIMIT).width == 64


def test_a_damaged_compressed_chunk_is_not_called_a_bomb() -> None:
    broken = png_chunk(b"zTXt", b"Comment\0\0" + b"not zlib at all")
    assert analyze(with_chunks(broken), LIMIT).width == 64  # Pillow drops unreadable text
    assert rejected(truncated(with_chunks(BOMBS["zTXt"][0]), 0.2)) == CORRUPT


# --- no Pillow exception ever escapes ---------------------------------------------------------

SAMPLES = [image_bytes(fmt, size=(48, 32)) for fmt in FORMATS] + [
    with_orientation((48, 32), 6),
    animated("GIF"),
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    sample=st.sampled_from(SAMPLES),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 10_000),
)
def test_mangled_files_are_analysed_or_refused_never_crash(
    sample: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(sample)
    for position, value in edits:
        data[position % len(data)] = value
    data = data[: max(1, len(data) - cut % 64)]
    try:
        result = analyze(bytes(data), 10_000)
    except ImageRejected as exc:
        assert exc.reason
    else:
        assert result.format in SUPPORTED_FORMATS
        assert max(decoded(result.thumbnail).size) <= THUMB_SIZE


# --- threads and global state -----------------------------------------------------------------


def test_two_threads_at_once_give_the_same_results_and_change_no_globals() -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    inputs = [image_bytes(fmt, size=(500, 400), seed=i) for i, fmt in enumerate(FORMATS)]
    inputs += [with_orientation((600, 300), 6), png_header((30_000, 30_000))]

    def outcome(data: bytes) -> object:
        try:
            return analyze(data, LIMIT)
        except ImageRejected as exc:
            return exc.reason

    expected = [outcome(d) for d in inputs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(outcome, inputs * 6))

    assert results == expected * 6
    assert before == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    assert before[1] is False
