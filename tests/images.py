"""Make test images with Pillow: sizes, modes, EXIF orientation, animation, truncation."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw

EXT = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp"}


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A non-uniform picture (so every seed gives different bytes) with a red top-left marker."""
    img = Image.new("RGB", size, (20 + seed * 37 % 200, 90, 160))
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle([0, 0, max(0, w // 4), max(0, h // 4)], fill=(255, 0, 0))
    draw.line([0, h - 1, w - 1, 0], fill=(seed % 256, 255, 0), width=max(1, min(w, h) // 16))
    return img.convert(mode) if mode != "RGB" else img


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (64, 48),
    mode: str = "RGB",
    seed: int = 0,
    **params: object,
) -> bytes:
    return encode(picture(size, mode, seed), fmt, **params)


def write_image(
    path: Path, fmt: str = "PNG", size: tuple[int, int] = (64, 48), seed: int = 0, **params: object
) -> Path:
    """Write a picture in `fmt` to `path` and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes(fmt, size, seed=seed, **params))
    return path


def with_orientation(size: tuple[int, int], orientation: int) -> bytes:
    """A JPEG whose pixels are stored so that `orientation` makes it upright with red top-left."""
    upright = picture(size)
    inverse = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    stored = upright.transpose(inverse)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, "JPEG", exif=exif.tobytes(), quality=95)


def animated(fmt: str = "GIF", frames: int = 3, size: tuple[int, int] = (32, 32)) -> bytes:
    imgs = [picture(size, seed=i) for i in range(frames)]
    return encode(imgs[0], fmt, save_all=True, append_images=imgs[1:], duration=50, loop=0)


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: max(1, int(len(data) * keep))]
