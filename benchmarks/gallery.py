"""Gallery at scale: a stream of 10,000 images — first screen, scroll stalls and memory; not a test.

Builds a temporary library (10,000 distinct small JPEGs imported through the manager, with
MAX_STREAM_IMAGES_PER_STREAM raised), then in an offscreen GalleryWidget measures:

- set_query -> first painted screen (rows with placeholders) and -> thumbnails of that screen;
- the longest GUI-thread stall while the grid scrolls top to bottom at a steady pace, from a
  1 ms QTimer heartbeat (event-loop latency), against a 16 ms frame;
- resident memory (/proc/self/statm) during and after, beside the pixmap cache limit.

- how many full (generation-2) garbage collections ran while scrolling, and the longest;
- baseline, same run: the count and first-page queries alone (what a first screen must wait
  for), so the first paint is printed as a ratio to it.

Usage: QT_QPA_PLATFORM=offscreen python benchmarks/gallery.py [--count N] [--limit-mb MB]
       [--keep DIR]  (build the library once in DIR and reuse it on later runs)
       [--library DIR --cache-dir DIR]  (measure stream "big" of an existing library, e.g.
       one of benchmarks/scale.py's: its rows have no originals, so tiles stay placeholders)
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw
from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication, QListView

from streamimages_desktop.core.importer import ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Sort
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
from streamimages_desktop.ui.gallery.widget import GalleryWidget

FRAME_MS = 16.0
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def write_images(folder: Path, count: int, size: tuple[int, int]) -> list[Path]:
    """Distinct JPEGs: the seed is drawn as coloured bands and a diagonal, so bytes differ."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    w, h = size
    for n in range(count):
        img = Image.new("RGB", size, (n * 37 % 256, n * 91 % 256, n * 13 % 256))
        draw = ImageDraw.Draw(img)
        draw.rectangle([0, 0, w // 3, h // 3], fill=(255, n % 256, 0))
        draw.line([0, h - 1, w - 1, 0], fill=(n // 256 % 256, 255, n % 7 * 30), width=3)
        path = folder / f"img{n:05d}.jpg"
        img.save(path, "JPEG", quality=80)
        paths.append(path)
    return paths


def spin_until(done: Callable[[], bool], timeout_s: float = 120.0) -> None:
    """Run the event loop until `done()`; idle waits happen inside exec(), GIL released."""
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    expired: list[bool] = []

    def poll() -> None:
        if done():
            loop.quit()
        elif time.perf_counter() > deadline:
            expired.append(True)
            loop.quit()

    poller = QTimer(interval=5)
    poller.timeout.connect(poll)
    poller.start()
    if not done():
        loop.exec()
    poller.stop()
    if expired:
        raise TimeoutError("gave up waiting")


class GcWatch:
    """Full collections and their durations, from gc.callbacks."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.full.append(1000 * (time.perf_counter() - self._started))


def baseline_ms(manager: StreamImageManager) -> float:
    """The count and first-page queries alone, best of 3 (what the first screen waits for)."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        manager.count(OWNER, "big")
        manager._store.list_images(OWNER, "big", None, Sort.NEWEST, limit=200)  # as before too
        runs.append(1000 * (time.perf_counter() - started))
    return min(runs)


class Heartbeat(QObject):
    """A 1 ms timer; the gaps between its ticks are how long the GUI thread was busy."""

    def __init__(self) -> None:
        super().__init__()
        self.gaps: list[float] = []
        self.peak_rss = rss_bytes()
        self._clock = QElapsedTimer()
        self._timer = QTimer(self, interval=1)
        self._timer.timeout.connect(self._on_tick)
        self._last = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self._clock.start()
        self._last = 0.0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        self.gaps.append(now - self._last)
        self._last = now
        if len(self.gaps) % 50 == 0:
            self.peak_rss = max(self.peak_rss, rss_bytes())


def open_library(root: Path, count: int, side: int) -> StreamImageManager:
    """The manager of a library holding stream "big" with `count` images (built if missing)."""
    settings = Settings.load(
        {}, library=root / "library", cache_dir=root / "cache", config_file=root / "none"
    )
    settings = settings._replace(max_stream_images_per_stream=count)
    manager = StreamImageManager(settings)
    have = manager.count(OWNER, "big")
    if have >= count:
        print(f"library: reusing {have} images in {root}")
        return manager
    started = time.perf_counter()
    paths = write_images(root / "src", count, (side, side * 3 // 4))
    written = time.perf_counter()
    results = manager.import_paths(OWNER, "big", paths)
    imported = sum(r.status is ImportStatus.IMPORTED for r in results)
    print(
        f"library: {imported} images {side}x{side * 3 // 4} "
        f"(write {written - started:.1f} s, import {time.perf_counter() - written:.1f} s)"
    )
    return manager


def measure(
    manager: StreamImageManager, limit: int, scroll_seconds: float, shot: Path | None = None
) -> None:
    """Open the stream, scroll it top to bottom, report times, stalls and memory."""
    base = rss_bytes()
    cache = PixmapCache(limit, 3600.0)
    gallery = GalleryWidget(manager, cache)
    gallery.resize(1280, 800)
    gallery.show()
    spin_until(lambda: gallery.view.isVisible())
    before_query = rss_bytes()

    painted: list[float] = []
    idle: list[float] = []
    shown: list[float] = []
    gallery.shown_changed.connect(lambda _n: shown.append(time.perf_counter()))
    gallery.view.painted.connect(
        lambda: painted.append(time.perf_counter()) if shown and not painted else None
    )
    gallery.thumbnails_idle.connect(lambda: idle.append(time.perf_counter()))
    heartbeat = Heartbeat()
    heartbeat.start()
    t0 = time.perf_counter()
    gallery.set_query(OWNER, "big")
    spin_until(lambda: bool(idle))
    open_gaps = list(heartbeat.gaps)
    rows = gallery.model.rowCount()
    base_ms = baseline_ms(manager)
    first_ms = 1000 * (painted[0] - t0)
    print(f"\nopen a stream of {rows} images (window 1280x800, tile {gallery.tile_size} px)")
    print(f"  set_query -> rows shown           {1000 * (shown[0] - t0):7.1f} ms")
    print(
        f"  set_query -> first painted screen {first_ms:7.1f} ms"
        f"   baseline: count + first page queries {base_ms:.1f} ms   x{first_ms / base_ms:.1f}"
    )
    print(f"  set_query -> its thumbnails       {1000 * (idle[0] - t0):7.1f} ms")
    print(
        f"  longest GUI stall while opening   {max(open_gaps):7.1f} ms "
        f"= {max(open_gaps) / FRAME_MS:.2f} x a 16 ms frame"
    )

    bar = gallery.view.verticalScrollBar()
    # A long stream is laid out in batches: the scroll's stride needs the full height.
    spin_until(lambda: gallery.view.layoutMode() == QListView.LayoutMode.SinglePass)
    steps = max(1, int(scroll_seconds * 1000 / FRAME_MS))
    stride = max(1, bar.maximum() // steps)
    scroll = QTimer(interval=int(FRAME_MS))
    scroll.timeout.connect(lambda: bar.setValue(bar.value() + stride))
    if shot is not None:
        half = QTimer(singleShot=True, interval=int(scroll_seconds * 500))
        half.timeout.connect(lambda: gallery.grab().save(str(shot)))
        half.start()
    gc_watch = GcWatch()
    heartbeat.start()
    t1 = time.perf_counter()
    scroll.start()
    spin_until(lambda: bar.value() >= bar.maximum(), 600)
    scroll.stop()
    scrolled = time.perf_counter() - t1
    gallery.view.viewport().repaint()  # the last screen asks for its thumbnails now
    view, model = gallery.view, gallery.model
    spin_until(lambda: not any(model.thumbnail_pending(r) for r in view.visible_rows()))
    settle = time.perf_counter() - t1 - scrolled
    heartbeat.stop()
    gaps = sorted(heartbeat.gaps)
    worst, p99 = gaps[-1], gaps[int(len(gaps) * 0.99)]
    print(f"\nscroll top to bottom ({bar.maximum()} px in {scrolled:.1f} s, {stride} px a frame)")
    print(f"  longest GUI stall  {worst:7.1f} ms  = {worst / FRAME_MS:.2f} x a 16 ms frame")
    print(f"  99th percentile    {p99:7.1f} ms  = {p99 / FRAME_MS:.2f} x a 16 ms frame")
    print(f"  median tick gap    {statistics.median(gaps):7.2f} ms (1 ms when the thread is free)")
    print(f"  last screen's thumbnails after the scroll stopped: {1000 * settle:.0f} ms")
    longest_gc = max(gc_watch.full, default=0.0)
    print(f"  full GC passes while scrolling   {len(gc_watch.full)} (longest {longest_gc:.1f} ms)")

    stats = cache.memory.stats()
    page = stats.pages.get(GALLERY_PAGE)
    after = rss_bytes()
    print("\nmemory")
    print(f"  pixmap cache limit           {limit / MB:8.1f} MB")
    print(
        f"  pixmap cache use at the end  {cache.memory.usage_bytes / MB:8.1f} MB "
        f"(peak {cache.memory.peak_bytes / MB:.1f} MB, {page.items if page else 0} tiles, "
        f"{page.evictions if page else 0} evictions)"
    )
    print(f"  RSS before the gallery       {base / MB:8.1f} MB")
    print(f"  RSS peak while scrolling     {heartbeat.peak_rss / MB:8.1f} MB")
    print(
        f"  RSS after                    {after / MB:8.1f} MB "
        f"(+{(after - before_query) / MB:.1f} MB over before the query = "
        f"{(after - before_query) / limit:.2f} x the cache limit)"
    )
    gallery.shutdown()
    gallery.deleteLater()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--side", type=int, default=160, help="image width (height is 3/4)")
    parser.add_argument("--limit-mb", type=float, default=500.0, help="pixmap cache limit")
    parser.add_argument("--scroll-seconds", type=float, default=20.0)
    parser.add_argument("--keep", type=Path, help="build the library here once and reuse it")
    parser.add_argument("--library", type=Path, help="an existing library with stream big")
    parser.add_argument("--cache-dir", type=Path, help="its rendition cache")
    parser.add_argument("--shot", type=Path, help="grab the gallery to this PNG mid-scroll")
    args = parser.parse_args()
    _app = QApplication([])
    with tempfile.TemporaryDirectory(prefix="gallery-bench-") as tmp:
        root = args.keep or Path(tmp)
        if args.library is not None:
            settings = Settings.load(
                library=args.library, cache_dir=args.cache_dir or Path(tmp) / "cache"
            )
            manager = StreamImageManager(settings)
        else:
            manager = open_library(root, args.count, args.side)
        try:
            measure(manager, int(args.limit_mb * MB), args.scroll_seconds, args.shot)
        finally:
            manager.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
