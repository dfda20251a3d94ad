"""Viewer speed on 24-megapixel JPEGs: key press -> next image painted; not a test.

Builds a temporary library of 24-MP JPEGs (6000 x 4000) and, in an offscreen ViewerWindow:

- prefetched: Right is pressed once the next image's display rendition is in memory (the
  viewer prefetches both neighbours); target: within one frame (16 ms);
- cold: Right is pressed with the disk and memory caches emptied, so the rendition is made
  from the original on a worker, read back and decoded; target: within 1.2x of a
  reduced-scale decode of the same original to the same size (Pillow draft + load), measured
  in this run on this machine.

Times run from just before the key press to the end of the paint that shows the new image.

Usage: QT_QPA_PLATFORM=offscreen python benchmarks/viewer.py [--count N] [--rounds R]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw, ImageFilter
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from streamimages_desktop.core.importer import ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow

FRAME_MS = 16.0
COLD_TARGET = 1.2
SIZE = (6000, 4000)


def write_photo(path: Path, seed: int) -> None:
    """A 24-MP JPEG with gradients, shapes and blur: compresses like a photo, not a flat fill."""
    small = Image.new("RGB", (600, 400))
    draw = ImageDraw.Draw(small)
    for y in range(400):
        draw.line([0, y, 599, y], fill=((y + seed * 40) % 256, (y * 2) % 256, (255 - y) % 256))
    for n in range(40):
        x, y = (n * 97 + seed * 31) % 600, (n * 53 + seed * 17) % 400
        draw.ellipse([x, y, x + 60, y + 40], fill=((n * 37) % 256, (n * 71) % 256, seed * 50 % 256))
    big = small.resize(SIZE, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    big.save(path, "JPEG", quality=90)


def spin_until(done: Callable[[], bool], timeout_s: float = 120.0) -> None:
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s

    def poll() -> None:
        if done() or time.perf_counter() > deadline:
            loop.quit()

    poller = QTimer(interval=1)
    poller.timeout.connect(poll)
    poller.start()
    if not done():
        loop.exec()
    poller.stop()
    if not done():
        raise SystemExit("timed out waiting for the viewer")


def press_right_until_painted(viewer: ViewerWindow, target: str) -> float:
    """Milliseconds from the key press to the paint that shows `target`'s pixels."""
    painted: list[float] = []

    def on_paint() -> None:
        if viewer.image_id == target and not viewer.view.pixmap.isNull():
            painted.append(time.perf_counter())

    viewer.view.painted.connect(on_paint)
    start = time.perf_counter()
    QTest.keyClick(viewer, Qt.Key.Key_Right)
    spin_until(lambda: bool(painted))
    viewer.view.painted.disconnect(on_paint)
    return (painted[0] - start) * 1000


def reduced_decode_ms(data: bytes, side: int) -> float:
    """The reference: decode the original at the JPEG scale that covers `side`, nothing else."""
    start = time.perf_counter()
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (side, side))
        im.load()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=5, help="24-MP JPEGs in the library")
    parser.add_argument("--rounds", type=int, default=3, help="key presses measured per kind")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings.load(
            {}, library=root / "library", cache_dir=root / "cache", config_file=root / "none"
        )
        settings = settings._replace(max_image_upload_size_mb=100.0)
        (root / "src").mkdir()
        paths = []
        print(f"writing {args.count} JPEGs of {SIZE[0]} x {SIZE[1]} ...", flush=True)
        for n in range(args.count):
            path = root / "src" / f"photo{n}.jpg"
            write_photo(path, n)
            paths.append(path)
        with StreamImageManager(settings) as manager:
            results = manager.import_paths(OWNER, "photos", paths)
            assert all(r.status is ImportStatus.IMPORTED for r in results), results
            images = manager.images(OWNER, "photos")
            cache = PixmapCache(512 * 1024 * 1024)
            viewer = ViewerWindow(manager, cache, sequence=lambda: images)
            viewer.resize(1280, 800)
            viewer.show_image(OWNER, images[0].id)
            spin_until(lambda: not viewer.view.pixmap.isNull())
            rendition = viewer._rendition
            side = int(rendition.rpartition("@")[2])
            dpr = viewer.devicePixelRatioF()
            order = [i.id for i in images]

            def settle() -> None:
                spin_until(lambda: not viewer.loader.runner.busy and not viewer._runner.busy)

            warm: list[float] = []
            cold: list[float] = []
            reference: list[float] = []
            at = 0
            for _ in range(args.rounds):  # prefetched: the next one is in memory already
                settle()
                if at + 1 >= len(order):
                    viewer.show_image(OWNER, order[0])
                    at = 0
                    settle()
                assert viewer.loader.cached(order[at + 1], rendition, dpr) is not None
                warm.append(press_right_until_painted(viewer, order[at + 1]))
                at += 1
            for _ in range(args.rounds):  # cold: nothing cached anywhere
                if at + 1 >= len(order):
                    viewer.show_image(OWNER, order[0])
                    at = 0
                settle()
                manager.disk_cache.clear()
                cache.clear()
                viewer.loader.reset()
                target = order[at + 1]
                cold.append(press_right_until_painted(viewer, target))
                reference.append(reduced_decode_ms(manager.original(OWNER, target), side))
                at += 1
            settle()
            viewer.shutdown()
            viewer.close()
    del app
    warm_ms, cold_ms, ref_ms = (statistics.median(x) for x in (warm, cold, reference))
    print(f"display rendition: {rendition} (screen x pixel ratio {dpr:g}), {args.count} images")
    print(
        f"prefetched: key press -> painted {warm_ms:.1f} ms median (max {max(warm):.1f});"
        f" ratio to one frame ({FRAME_MS:.0f} ms): {warm_ms / FRAME_MS:.2f}"
        f" (target <= 1.00)"
    )
    print(
        f"cold:       key press -> painted {cold_ms:.1f} ms median;"
        f" reduced-scale decode {ref_ms:.1f} ms; ratio {cold_ms / ref_ms:.2f}"
        f" (target <= {COLD_TARGET:.2f})"
    )


if __name__ == "__main__":
    main()
