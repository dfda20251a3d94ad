"""Clean derivatives: what leaves the library is re-encoded pixels, never the original file.

An original can hide a lot: EXIF (GPS, camera serials, an embedded thumbnail of the uncropped
picture), XMP, IPTC, comments, PNG text chunks, bytes after the end marker. A derivative is
built from decoded pixels only, into fresh images whose `info` is empty, so the encoder has
nothing to copy: only pixels, animation timing, and an sRGB profile where the source had a
profile (its colours converted to sRGB first).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageCms, ImageSequence

from streamimages_desktop.core.errors import ImageRejected
from streamimages_desktop.core.imaging import sniff

DEFAULT_JPEG_QUALITY: Final = 92
# The stored format and the one its derivative is written in (BMP has no animation or
# metadata worth keeping, and PNG is what a browser or OBS reads everywhere).
OUTPUT_FORMAT: Final = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WEBP", "BMP": "PNG"}
EXTENSION: Final = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
_ORIENT: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ALPHA_MODES: Final = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class Derivative:
    """Encoded bytes ready to leave the library, in `format`, to be named `*extension`."""

    data: bytes
    format: str

    @property
    def extension(self) -> str:
        return EXTENSION[self.format]


def srgb_profile() -> bytes:
    """A freshly made sRGB profile (lcms's own), with nothing of the source's in it."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make(data: bytes, jpeg_quality: int = DEFAULT_JPEG_QUALITY) -> Derivative:
    """The clean derivative of an original's bytes (upright, sRGB, no metadata)."""
    fmt = sniff(data)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            return _encode(im, OUTPUT_FORMAT[fmt], jpeg_quality)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRejected(f"cannot re-encode the image: {exc}") from None


def _encode(im: Image.Image, out: str, quality: int) -> Derivative:
    orientation = _orientation(im)
    icc = im.info.get("icc_profile") or None
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(im):
        frames.append(_clean_frame(frame, out, orientation, icc))
        durations.append(int(frame.info.get("duration", 0) or 0))
    loop = int(im.info.get("loop", 0) or 0)
    params: dict[str, object] = {}
    if icc is not None:
        params["icc_profile"] = srgb_profile()
    if out == "JPEG":
        params.update(quality=quality, optimize=True)
    elif out == "WEBP":
        params.update(lossless=True, exact=True)
    if len(frames) > 1:
        params.update(save_all=True, append_images=frames[1:], duration=durations, loop=loop)
        if out == "GIF":
            params["disposal"] = 2 if frames[0].mode == "RGBA" else 1
    buf = io.BytesIO()
    frames[0].save(buf, out, **params)
    return Derivative(buf.getvalue(), out)


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except (OSError, ValueError, SyntaxError):
        return 1
    return value if isinstance(value, int) else 1


def _clean_frame(frame: Image.Image, out: str, orientation: int, icc: bytes | None) -> Image.Image:
    """A new image holding only the frame's pixels: upright, sRGB, in a mode `out` can write."""
    has_alpha = frame.mode in _ALPHA_MODES or "transparency" in frame.info
    if out == "JPEG":
        mode = "L" if frame.mode == "L" and icc is None else "RGB"
    else:
        mode = "RGBA" if has_alpha else ("L" if frame.mode == "L" and icc is None else "RGB")
    pixels = _to_srgb(frame, mode, icc) if icc is not None else frame.convert(mode)
    transpose = _ORIENT.get(orientation)
    if transpose is not None:
        pixels = pixels.transpose(transpose)
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())  # no info, no palette
    return clean


def _to_srgb(frame: Image.Image, mode: str, icc: bytes) -> Image.Image:
    """The frame's colours converted from its profile to sRGB; a broken profile is ignored."""
    source_mode = frame.mode
    if source_mode not in ("RGB", "RGBA", "L", "CMYK"):
        source_mode = "RGBA" if mode == "RGBA" else "RGB"
    out_mode = "RGBA" if source_mode == "RGBA" else "RGB"
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            frame.convert(source_mode),
            profile,
            ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")),
            outputMode=out_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return frame.convert(mode)
    assert converted is not None  # inPlace=False always returns the new image
    return converted.convert(mode)
