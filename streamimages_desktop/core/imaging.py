"""Pillow, safely: sniff format by content, refuse bombs and corrupt data, make JPEG renditions."""

from __future__ import annotations

import io
import math
import re
import struct
from dataclasses import dataclass
from typing import Final

from PIL import Image

from streamimages_desktop.core import jpeg_markers, png_metadata
from streamimages_desktop.core.errors import ImageRejected

SUPPORTED_FORMATS: Final = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP"})
THUMB_SIZE: Final = 200
JPEG_QUALITY: Final = 85
DISPLAY_SIZE: Final = 1600
EXTENSION_FOR_FORMAT: Final = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
}

# Mid-light grey: transparent areas read as "no content" on both light and dark themes.
BACKGROUND: Final = (200, 200, 200)
ORIENTATION_TAG: Final = 0x0112

CORRUPT: Final = "truncated or corrupt image data"
UNRECOGNISED: Final = "not an image file we can read"

# What a hostile or broken file can make Pillow raise while identifying or decoding it.
# Warnings are listed because under `-W error` (the test suite) Pillow's warnings are raised.
_DECODE_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
    MemoryError,
    Warning,
)

# Magic numbers of formats we accept; checked before Pillow is asked, so the format is decided
# by content and Pillow only ever tries the one plugin that matches.
_SUPPORTED_MAGIC: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)

# Formats we recognise but refuse, so the user is told what the file is rather than "unknown".
_REFUSED_MAGIC: Final = (
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
    (b"%!PS", "EPS"),
    (b"\xc5\xd0\xd3\xc6", "EPS"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"),
    (b"8BPS", "PSD"),
    (b"icns", "ICNS"),
    (b"qoif", "QOI"),
    (b"DDS ", "DDS"),
    (b"gimp xcf", "XCF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"\xff\x0a", "JPEG XL"),
)
_HEIF_BRANDS: Final = {
    b"avif": "AVIF",
    b"avis": "AVIF",
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"hevc": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
}
_SVG_RE: Final = re.compile(rb"<svg[\s>]", re.IGNORECASE)
_PNM_RE: Final = re.compile(rb"P[1-7]\s")

# EXIF orientation -> the transpose that makes the stored pixels upright.
_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIXTEEN_BIT: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_WITH_ALPHA: Final = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


@dataclass(frozen=True)
class Analysis:
    """What an import needs to know about an image: format, displayed size and a thumbnail."""

    format: str
    width: int
    height: int
    thumbnail: bytes


def sniff(data: bytes) -> str:
    """The supported format `data` is, by content; ImageRejected naming anything else."""
    if not data:
        raise ImageRejected("empty file")
    head = data[:64]
    for magic, fmt in _SUPPORTED_MAGIC:
        if head.startswith(magic):
            return fmt
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    refused = _refused_format(data)
    if refused is not None:
        raise ImageRejected(f"{refused} images are not supported")
    raise ImageRejected(UNRECOGNISED)


def _refused_format(data: bytes) -> str | None:
    """Name a recognised but unsupported format, or None."""
    head = data[:64]
    for magic, fmt in _REFUSED_MAGIC:
        if head.startswith(magic):
            return fmt
    if head[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(head[8:12])
    if _PNM_RE.match(head):
        return "PNM"
    text = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<?xml", b"<svg", b"<!DOCTYPE", b"<!--")) and _SVG_RE.search(text):
        return "SVG"
    return None


def analyze(data: bytes, max_pixels: int, thumb_size: int = THUMB_SIZE) -> Analysis:
    """Validate `data` and make its thumbnail from one reduced-scale decode of the first frame.

    Raises ImageRejected with a short reason for anything we will not store.
    """
    fmt = sniff(data)
    im, size = _decode(data, fmt, max_pixels, thumb_size)
    orientation = _orientation(im)
    width, height = (size[1], size[0]) if orientation in (5, 6, 7, 8) else size
    return Analysis(fmt, width, height, _render_loaded(im, orientation, thumb_size, JPEG_QUALITY))


def render(
    data: bytes, max_side: int, quality: int = JPEG_QUALITY, *, max_pixels: int | None = None
) -> bytes:
    """A JPEG fitting max_side x max_side (never upscaled), upright, alpha flattened, frame one.

    `max_pixels` None: only Pillow's own bomb limit applies (the original was checked on import).
    """
    fmt = sniff(data)
    limit = max_pixels if max_pixels is not None else _pillow_limit()
    im, _ = _decode(data, fmt, limit, max_side)
    return _render_loaded(im, _orientation(im), max_side, quality)


def preview_pixels(data: bytes, max_side: int, *, max_pixels: int | None = None) -> Image.Image:
    """Pixels to show at once (L or RGB, upright, flattened): decoded at the JPEG scale that
    covers max_side and box-reduced below twice it, with no resampling filter.

    A viewer paints these scaled while `finish_rendition` makes the exact rendition from them
    for the cache: a cold image costs little more than its reduced-scale decode.
    """
    fmt = sniff(data)
    limit = max_pixels if max_pixels is not None else _pillow_limit()
    im, _ = _decode(data, fmt, limit, max_side)
    orientation = _orientation(im)
    try:
        flat = _normalise(im)
        factor = max(flat.size) // max_side
        if factor >= 2:
            flat = flat.reduce(factor)
        flat = _flatten(flat)
        transpose = _TRANSPOSE.get(orientation)
        return flat.transpose(transpose) if transpose is not None else flat
    except _DECODE_ERRORS:
        raise ImageRejected(CORRUPT) from None


def finish_rendition(pixels: Image.Image, max_side: int, quality: int = JPEG_QUALITY) -> bytes:
    """The JPEG rendition fitting max_side made from `preview_pixels` (left unchanged)."""
    try:
        fitted = _shrink(pixels.copy(), max_side)
    except _DECODE_ERRORS:
        raise ImageRejected(CORRUPT) from None
    return encode_rendition(fitted, quality)


def encode_rendition(im: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of prepared rendition pixels.

    Huffman tables are optimised only above thumbnail size: for a 200 px thumbnail that
    second pass is ~0.4 ms of a small file's ~3 ms import for ~7 % fewer bytes (issue 14).
    One rule for every path, so a regenerated thumbnail equals the imported one.
    """
    try:
        out = io.BytesIO()
        im.save(out, "JPEG", quality=quality, optimize=max(im.size) > THUMB_SIZE)
    except _DECODE_ERRORS:
        raise ImageRejected(CORRUPT) from None
    return out.getvalue()


def _pillow_limit() -> int:
    """Pillow's warning threshold, read (never changed) so its warning is an error here too."""
    limit = Image.MAX_IMAGE_PIXELS
    return limit if limit is not None else 2**62


def _decode(
    data: bytes, fmt: str, max_pixels: int, side: int
) -> tuple[Image.Image, tuple[int, int]]:
    """Open with the sniffed plugin only, check pixels from the header, decode once, reduced.

    Returns the loaded first frame and the original (stored, pre-orientation) size.
    """
    limit = min(max_pixels, _pillow_limit())
    # Pillow's JPEG header parse is quadratic in EXIF segments: excess is refused unparsed.
    jpeg = jpeg_markers.check(data) if fmt == "JPEG" else None
    declared = jpeg.frame_size if jpeg is not None else _header_size(data, fmt)
    if declared is not None and declared[0] * declared[1] > limit:
        # Refused before Pillow sees it: no allocation, and no DecompressionBombWarning printed.
        raise ImageRejected(f"too many pixels ({declared[0]}x{declared[1]} > {limit})")
    try:
        im = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_too_many_from_pillow(exc, limit)) from None
    except _DECODE_ERRORS as exc:
        raise ImageRejected(_refusal(exc, data, fmt)) from None
    size = im.size
    if size[0] * size[1] > limit:
        raise ImageRejected(f"too many pixels ({size[0]}x{size[1]} > {limit})")
    try:
        if fmt == "JPEG":
            # DCT scaling: a 24-megapixel photo decodes at 1/8 for a thumbnail.
            im.draft("RGB", (side, side))
        im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_too_many_from_pillow(exc, limit)) from None
    except _DECODE_ERRORS as exc:  # text chunks after the pixels are read by load()
        raise ImageRejected(_refusal(exc, data, fmt)) from None
    return im, size


def _header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Width and height as the header declares them, or None if unsure (Pillow then checks)."""
    try:
        if fmt == "PNG" and data[12:16] == b"IHDR":
            width, height = struct.unpack_from(">II", data, 16)
        elif fmt == "GIF":
            width, height = struct.unpack_from("<HH", data, 6)
        elif fmt == "BMP" and struct.unpack_from("<I", data, 14)[0] == 12:  # OS/2 core header
            width, height = struct.unpack_from("<HH", data, 18)
        elif fmt == "BMP":
            width, height = struct.unpack_from("<ii", data, 18)
        elif fmt == "WEBP":
            return _webp_size(data)
        elif fmt == "JPEG":
            return jpeg_markers.walk(data).frame_size
        else:
            return None
    except struct.error:
        return None
    return abs(width), abs(height)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """Canvas size from the first chunk of a WebP (VP8X, lossless VP8L or lossy VP8)."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    return None


def _refusal(exc: BaseException, data: bytes, fmt: str) -> str:
    """CORRUPT, unless Pillow stopped at compressed PNG metadata expanding past its limits."""
    bomb = png_metadata.bomb_reason(exc, data) if fmt == "PNG" else None
    return bomb if bomb is not None else CORRUPT


def _too_many_from_pillow(exc: Exception, limit: int) -> str:
    """Phrase Pillow's bomb refusal like ours (Pillow only tells the pixel count)."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    return f"too many pixels ({found.group(1)} > {limit})" if found else "too many pixels"


def _orientation(im: Image.Image) -> int:
    """EXIF orientation 1-8 (1 when absent or unreadable: metadata never rejects an image)."""
    try:
        value = im.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # broken EXIF is common; upright is the safe reading
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _render_loaded(im: Image.Image, orientation: int, side: int, quality: int) -> bytes:
    """Normalise mode, shrink to fit side x side, flatten alpha, turn upright, encode as JPEG."""
    try:
        flat = _flatten(_shrink(_normalise(im), side))
        transpose = _TRANSPOSE.get(orientation)
        if transpose is not None:
            flat = flat.transpose(transpose)
    except _DECODE_ERRORS:
        raise ImageRejected(CORRUPT) from None
    return encode_rendition(flat, quality)


def _normalise(im: Image.Image) -> Image.Image:
    """Bring any decoded mode to L, RGB or RGBA (the modes a JPEG rendition can come from)."""
    mode = im.mode
    if mode in _SIXTEEN_BIT:
        # Scale 16-bit samples to 8 bits; a plain convert would clip everything bright to white.
        return im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if mode in _WITH_ALPHA or "transparency" in im.info:
        return im.convert("RGBA")
    if mode in ("L", "RGB"):
        return im
    if mode == "1":
        return im.convert("L")
    return im.convert("RGB")


def _shrink(im: Image.Image, side: int) -> Image.Image:
    """Fit side x side in place, keeping the aspect ratio (>= 1 px each way), never enlarging."""
    im.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return im


def _flatten(im: Image.Image) -> Image.Image:
    """Composite transparency onto the neutral background (JPEG has no alpha)."""
    if im.mode != "RGBA":
        return im
    background = Image.new("RGB", im.size, BACKGROUND)
    background.paste(im, (0, 0), im)
    return background


_EXIF_IFD: Final = 0x8769
# (label, tag, in the Exif sub-IFD) in the order the viewer lists them.
_EXIF_FIELDS: Final = (
    ("Camera", 0x0110, False),
    ("Lens", 0xA434, True),
    ("Taken", 0x9003, True),
    ("Exposure", 0x829A, True),
    ("Aperture", 0x829D, True),
    ("ISO", 0x8827, True),
    ("Focal length", 0x920A, True),
)
_MAKE_TAG: Final = 0x010F


def exif_summary(data: bytes) -> list[tuple[str, str]]:
    """A few EXIF facts as (label, text) pairs: camera, lens, date, exposure; [] when none.

    Only the header is read (no pixels are decoded); unreadable metadata gives [].
    """
    try:
        im = Image.open(io.BytesIO(data), formats=[sniff(data)])
        exif = im.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
    except (ImageRejected, *_DECODE_ERRORS):
        return []
    found: list[tuple[str, str]] = []
    for label, tag, in_sub in _EXIF_FIELDS:
        value = (sub if in_sub else exif).get(tag)
        text = _exif_text(label, value)
        if label == "Camera":
            make = _exif_text("Make", exif.get(_MAKE_TAG))
            text = text if not make or text.startswith(make) else f"{make} {text}".strip()
        if text:
            found.append((label, text))
    return found


def _exif_text(label: str, value: object) -> str:
    """One EXIF value as a person reads it: 1/250 s, f/2.8, 35 mm; '' for nothing usable."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value.strip("\x00 ").strip()[:80]
    try:
        number = float(value)  # type: ignore[arg-type]  # IFDRational, int or float
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)[:80]
    if not math.isfinite(number) or number <= 0:
        return ""
    if label == "Exposure":
        return f"1/{round(1 / number)} s" if number < 1 else f"{number:g} s"
    if label == "Aperture":
        return f"f/{number:.1f}".replace(".0", "")
    if label == "Focal length":
        return f"{number:g} mm"
    return f"{number:g}"
