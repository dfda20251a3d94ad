"""Make test images with Pillow: sizes, modes, EXIF orientation, animation, truncation."""

from __future__ import annotations

import io
import struct
import zlib
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


def png_header(size: tuple[int, int], bit_depth: int = 8, color_type: int = 2) -> bytes:
    """A PNG that declares `size` but holds no pixel data (signature, IHDR, IEND)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", size[0], size[1], bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def with_declared_size(data: bytes, fmt: str, size: tuple[int, int]) -> bytes:
    """Patch the size a JPEG, GIF or BMP header declares, leaving the (small) pixel data as is."""
    out = bytearray(data)
    w, h = size
    if fmt == "GIF":
        struct.pack_into("<HH", out, 6, w, h)
    elif fmt == "BMP":
        struct.pack_into("<ii", out, 18, w, h)
    elif fmt == "JPEG":
        sof = out.find(b"\xff\xc0")
        assert sof > 0, "baseline JPEG expected"
        struct.pack_into(">HH", out, sof + 5, h, w)
    else:
        raise ValueError(fmt)
    return bytes(out)


def many_frame_gif(frames: int) -> bytes:
    """A 1x1 animated GIF with `frames` frames, assembled byte by byte (fast even for 100,000)."""
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\xff\x00\x00\x00\x00\xff"
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    control = b"!\xf9\x04\x00\x01\x00\x00\x00"  # 10 ms per frame
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return header + loop + (control + frame) * frames + b";"


def solid_frames(
    fmt: str, colors: list[tuple[int, int, int]], size: tuple[int, int] = (40, 30)
) -> bytes:
    """An animation whose frames are solid `colors`, in order (to tell the first frame apart)."""
    imgs = [Image.new("RGB", size, c) for c in colors]
    return encode(imgs[0], fmt, save_all=True, append_images=imgs[1:], duration=50, loop=0)
