"""Refusing a crafted JPEG of hundreds of EXIF segments costs about what reading it costs.

Not a test. Run: `.venv/bin/python benchmarks/hostile_jpeg.py [--segments 300] [--repeat 3]`.

The file: a small real JPEG with N EXIF APP1 segments of 64 KB spliced after its SOI (300 make
the 19 MB file of issue 8, 1000 about 60 MB). Pillow joins EXIF segments with `bytes +=`, so its
own header parse is quadratic in N.

(a) baseline: read the file + SHA-256, what any import does with every byte anyway.
(b) StreamImageManager.import_paths into a fresh library: read, the marker walk's refusal, and
    the one-line rejection (Pillow never sees the file).
(c) Pillow alone: Image.open of the bytes (header parse only, no decode), for comparison.
Goal: b/a stays near 1 (and flat as N grows); c/a shows what the walk saves.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import struct
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from streamimages_desktop.core.importer import ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings


def crafted(segments: int) -> bytes:
    small = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 160)).save(small, "JPEG")
    exif = b"\xff\xe1" + struct.pack(">H", 65535) + b"Exif\x00\x00" + bytes(65533 - 6)
    return small.getvalue()[:2] + exif * segments + small.getvalue()[2:]


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, int]:
    """Fastest wall time of `repeat` runs, and the peak Python memory of one run."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pillow", action="store_true", help="skip (c), slow for big N")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "hostile.jpg"
        path.write_bytes(crafted(args.segments))
        size_mb = path.stat().st_size / 1e6
        # The upload limit (20 MB by default) would refuse big N before the walk runs; the
        # importer's read buffer is that limit, so keep it just above the file.
        env = {"MAX_IMAGE_UPLOAD_SIZE_MB": str(max(20, round(size_mb) + 1))}
        settings = Settings.load(env, library=root / "lib", cache_dir=root / "cache")

        def read_and_hash() -> None:
            hashlib.sha256(path.read_bytes()).hexdigest()

        with StreamImageManager(settings) as manager:

            def refuse() -> None:
                [result] = manager.import_paths(OWNER, "bench", [path])
                assert result.status is ImportStatus.REJECTED, result

            def pillow_open() -> None:
                with Image.open(io.BytesIO(path.read_bytes()), formats=["JPEG"]) as im:
                    assert im.size == (64, 48)

            [result] = manager.import_paths(OWNER, "bench", [path])
            print(f"{args.segments} EXIF segments, {size_mb:.1f} MB: rejected: {result.reason}")
            rows = [("(a) read + SHA-256", best_of(args.repeat, read_and_hash))]
            rows.append(("(b) import refuses", best_of(args.repeat, refuse)))
            if not args.no_pillow:
                rows.append(("(c) Pillow opens", best_of(1, pillow_open)))

    base = rows[0][1][0]
    for name, (seconds, peak) in rows:
        print(
            f"{name:22} {seconds * 1000:9.1f} ms  x{seconds / base:6.2f}  peak {peak / 1e6:7.1f} MB"
        )


if __name__ == "__main__":
    main()
