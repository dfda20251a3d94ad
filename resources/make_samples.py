"""Draw the sample images that a first run imports; run once, commit the files it writes."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent / "samples"
SIZE = (960, 540)
MAX_BYTES = 60 * 1024

Rgb = tuple[int, int, int]


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _vertical_gradient(size: tuple[int, int], stops: list[Rgb]) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        pos = y / max(1, h - 1) * (len(stops) - 1)
        i = min(int(pos), len(stops) - 2)
        draw.line([(0, y), (w, y)], fill=_mix(stops[i], stops[i + 1], pos - i))
    return img


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def sunset() -> Image.Image:
    """A low sun over layered hills."""
    img = _vertical_gradient(SIZE, [(38, 24, 84), (196, 72, 110), (252, 160, 90), (255, 214, 140)])
    draw = ImageDraw.Draw(img)
    w, h = SIZE
    draw.ellipse([w * 0.58, h * 0.38, w * 0.58 + 170, h * 0.38 + 170], fill=(255, 236, 180))
    layers = [((120, 52, 96), 0.62, 40), ((84, 34, 80), 0.72, 55), ((46, 20, 58), 0.84, 35)]
    for colour, base, amp in layers:
        pts = [(0, h)]
        for x in range(0, w + 20, 20):
            y = h * base - amp * math.sin(x / 130 + base * 9) - amp / 2 * math.sin(x / 47)
            pts.append((x, y))
        pts.append((w, h))
        draw.polygon(pts, fill=colour)
    return img


def ocean() -> Image.Image:
    """Calm blue waves under a pale sky."""
    img = _vertical_gradient(SIZE, [(200, 230, 246), (120, 190, 226), (20, 90, 150)])
    draw = ImageDraw.Draw(img)
    w, h = SIZE
    for i in range(7):
        base = h * (0.45 + i * 0.08)
        colour = _mix((70, 160, 210), (8, 48, 96), i / 6)
        pts = [(0, h)]
        for x in range(0, w + 10, 10):
            pts.append((x, base + 14 * math.sin(x / (60 + i * 9) + i * 1.7)))
        pts.append((w, h))
        draw.polygon(pts, fill=colour)
    return img.filter(ImageFilter.SMOOTH)


def night_sky() -> Image.Image:
    """Stars, a crescent moon and a dark skyline."""
    rng = random.Random(7)
    img = _vertical_gradient(SIZE, [(8, 12, 40), (24, 36, 88), (60, 70, 130)])
    draw = ImageDraw.Draw(img)
    w, h = SIZE
    for _ in range(160):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h * 0.7), rng.choice([1, 1, 1, 2])
        shade = rng.randint(170, 255)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(shade, shade, 255))
    moon = Image.new("L", SIZE, 0)
    mdraw = ImageDraw.Draw(moon)
    mdraw.ellipse([w * 0.74, h * 0.12, w * 0.74 + 110, h * 0.12 + 110], fill=255)
    mdraw.ellipse([w * 0.74 + 34, h * 0.12 - 10, w * 0.74 + 144, h * 0.12 + 100], fill=0)
    img.paste((250, 246, 220), mask=moon)
    x = 0
    while x < w:
        bw, bh = rng.randint(40, 90), rng.randint(60, 190)
        draw.rectangle([x, h - bh, x + bw, h], fill=(14, 16, 30))
        for wy in range(h - bh + 12, h - 10, 18):
            for wx in range(x + 8, x + bw - 8, 14):
                if rng.random() < 0.3:
                    draw.rectangle([wx, wy, wx + 5, wy + 7], fill=(255, 210, 120))
        x += bw + rng.randint(2, 8)
    return img


def low_poly() -> Image.Image:
    """A teal-to-violet low-poly mosaic."""
    rng = random.Random(3)
    w, h = SIZE
    img = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(img)
    step = 80
    grid = [
        [
            (x + rng.uniform(-25, 25), y + rng.uniform(-25, 25))
            for x in range(-step, w + 2 * step, step)
        ]
        for y in range(-step, h + 2 * step, step)
    ]
    for r in range(len(grid) - 1):
        for c in range(len(grid[r]) - 1):
            a, b, d, e = grid[r][c], grid[r][c + 1], grid[r + 1][c], grid[r + 1][c + 1]
            for tri in ((a, b, d), (b, e, d)):
                cx = sum(p[0] for p in tri) / 3 / w
                cy = sum(p[1] for p in tri) / 3 / h
                base = _mix((26, 188, 170), (120, 70, 200), max(0.0, min(1.0, (cx + cy) / 2)))
                jitter = rng.randint(-14, 14)
                draw.polygon(tri, fill=tuple(max(0, min(255, v + jitter)) for v in base))
    return img


def stream_overlay() -> Image.Image:
    """The layout of a streaming overlay: webcam frame, LIVE badge, chat and a goal bar."""
    w, h = SIZE
    img = Image.new("RGB", SIZE, (30, 32, 44))
    draw = ImageDraw.Draw(img)
    for i in range(0, w + h, 36):
        draw.line([(i, 0), (i - h, h)], fill=(36, 39, 54), width=14)
    draw.rounded_rectangle(
        [40, 40, 620, 380], radius=18, fill=(52, 56, 78), outline=(145, 92, 255), width=6
    )
    draw.text((330, 210), "GAME", font=_font(72), fill=(88, 94, 124), anchor="mm")
    draw.rounded_rectangle([60, 60, 190, 108], radius=12, fill=(232, 46, 76))
    draw.text((125, 84), "LIVE", font=_font(30), fill=(255, 255, 255), anchor="mm")
    draw.rounded_rectangle(
        [660, 40, 920, 260], radius=16, fill=(20, 22, 32), outline=(145, 92, 255), width=4
    )
    draw.ellipse([750, 90, 830, 170], fill=(145, 92, 255))
    draw.rounded_rectangle([730, 170, 850, 250], radius=40, fill=(145, 92, 255))
    draw.rounded_rectangle([660, 280, 920, 500], radius=16, fill=(44, 47, 66))
    chat = [("mod_ana", "welcome in!"), ("pixelfox", "gg"), ("lurker42", "hype!!")]
    colours = [(80, 220, 160), (255, 180, 70), (120, 170, 255)]
    for i, ((name, text), colour) in enumerate(zip(chat, colours, strict=True)):
        y = 304 + i * 56
        draw.text((680, y), name, font=_font(22), fill=colour)
        draw.text((680, y + 24), text, font=_font(20), fill=(225, 228, 240))
    draw.rounded_rectangle([40, 420, 620, 470], radius=25, fill=(52, 56, 78))
    draw.rounded_rectangle([40, 420, 440, 470], radius=25, fill=(80, 220, 160))
    draw.text((330, 445), "Sub goal 68 / 100", font=_font(24), fill=(20, 22, 32), anchor="mm")
    return img


def confetti() -> Image.Image:
    """Bright confetti and a 'GG' for the end of a good stream."""
    rng = random.Random(11)
    w, h = SIZE
    img = Image.new("RGB", SIZE, (255, 244, 230))
    draw = ImageDraw.Draw(img)
    palette = [(255, 99, 132), (54, 162, 235), (255, 206, 86), (75, 192, 192), (153, 102, 255)]
    for _ in range(140):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        colour = rng.choice(palette)
        if rng.random() < 0.5:
            r = rng.uniform(5, 11)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        else:
            a, s = rng.uniform(0, math.pi), rng.uniform(8, 16)
            dx, dy = s * math.cos(a), s * math.sin(a)
            draw.polygon(
                [(x - dx, y - dy), (x + dy / 2, y - dx / 2), (x + dx, y + dy)], fill=colour
            )
    draw.rounded_rectangle([300, 170, 660, 370], radius=40, fill=(40, 30, 70))
    draw.text((480, 270), "GG", font=_font(150), fill=(255, 206, 86), anchor="mm")
    return img


SAMPLES: dict[str, Callable[[], Image.Image]] = {
    "sunset-hills.jpg": sunset,
    "calm-ocean.jpg": ocean,
    "city-night.jpg": night_sky,
    "low-poly.jpg": low_poly,
    "stream-overlay.png": stream_overlay,
    "gg-confetti.png": confetti,
}


def _save(img: Image.Image, path: Path) -> None:
    if path.suffix == ".png":
        img.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        return
    for quality in (82, 74, 66, 58):
        img.save(path, "JPEG", quality=quality, optimize=True, progressive=True)
        if path.stat().st_size < MAX_BYTES:
            return


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, draw in SAMPLES.items():
        path = HERE / name
        _save(draw(), path)
        size = path.stat().st_size
        print(f"{path.name}: {size // 1024} KB")
        if size >= MAX_BYTES:
            raise SystemExit(f"{path.name} is {size} bytes; keep samples under {MAX_BYTES}")


if __name__ == "__main__":
    main()
