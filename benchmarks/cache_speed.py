"""Cache speed, side by side in one run: a MemoryCache hit against QPixmapCache.find, a dict and an
OrderedDict LRU; and a thumbnail restored from DiskCache against decoding the same JPEG directly.

Prints medians and ratios; not a test. Goal: a MemoryCache hit costs no more than QPixmapCache.find.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import timeit
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw
from PySide6.QtGui import QGuiApplication, QImage, QPixmap, QPixmapCache

from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey

ENTRIES = 2000
REPEATS = 15


def medians_ns(candidates: dict[str, Callable[[], object]], number: int) -> dict[str, float]:
    """Median time of one call of each, in ns; the candidates take turns in every round, so a
    busy machine slows them all alike and the ratios stay fair."""
    runs: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(REPEATS):
        for name, fn in candidates.items():
            runs[name].append(timeit.timeit(fn, number=number) / number * 1e9)
    return {name: statistics.median(times) for name, times in runs.items()}


def memory_hits() -> dict[str, float]:
    pixmap = QPixmap(200, 200)
    pixmap.fill()
    ids = [uuid.uuid4().hex for _ in range(ENTRIES)]

    cache: MemoryCache[QPixmap] = MemoryCache(
        10**12, 24 * 3600, size_of=lambda p: p.width() * p.height() * 4
    )
    QPixmapCache.setCacheLimit(10**9 // 1024)  # KB; big enough that nothing is evicted
    plain: dict[Hashable, QPixmap] = {}
    lru: OrderedDict[Hashable, QPixmap] = OrderedDict()
    for image_id in ids:
        key = (image_id, "thumb", 1.0)  # the shape the gallery uses: id, rendition, dpr
        cache.put("gallery", key, pixmap)
        QPixmapCache.insert(f"gallery/{image_id}/thumb/1.0", pixmap)
        plain[("gallery", key)] = pixmap
        lru[("gallery", key)] = pixmap
    probe = ids[ENTRIES // 2]
    key = (probe, "thumb", 1.0)
    qt_key = f"gallery/{probe}/thumb/1.0"
    full = ("gallery", key)
    assert cache.get("gallery", key) is not None and QPixmapCache.find(qt_key) is not None

    def lru_get() -> QPixmap | None:
        value = lru.get(full)
        if value is not None:
            lru.move_to_end(full)
        return value

    return medians_ns(
        {
            "QPixmapCache.find": lambda: QPixmapCache.find(qt_key),
            "MemoryCache.get": lambda: cache.get("gallery", key),
            "dict.get": lambda: plain.get(full),
            "OrderedDict LRU get": lru_get,
        },
        number=20_000,
    )


def thumbnail_jpeg() -> bytes:
    """A 200x200 JPEG q85 with some detail, like the thumbnails imports make."""
    img = Image.new("RGB", (200, 200), (30, 90, 160))
    draw = ImageDraw.Draw(img)
    for i in range(0, 200, 8):
        draw.line([0, i, 199, 199 - i], fill=(i, 255 - i, (i * 7) % 256), width=3)
        draw.ellipse([i // 2, i // 3, i // 2 + 40, i // 3 + 30], outline=(255, i, 0))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def disk_restore(folder: Path) -> dict[str, float]:
    data = thumbnail_jpeg()
    key = RenditionKey(uuid.uuid4().hex, "thumb", "ab" * 32)
    with DiskCache(folder, 2048 * 1024 * 1024, 24 * 3600) as disk:
        for _ in range(500):  # an index with some rows in it
            other = RenditionKey(uuid.uuid4().hex, "thumb", "cd" * 32)
            disk.put(other, data)
        disk.put(key, data)

        def from_disk() -> QImage:
            cached = disk.get(key)
            assert cached is not None
            return QImage.fromData(cached)

        assert not from_disk().isNull()
        timings = medians_ns(
            {
                "QImage.fromData(jpeg)": lambda: QImage.fromData(data),
                "DiskCache.get + QImage.fromData": from_disk,
                "DiskCache.get alone": lambda: disk.get(key),
            },
            number=200,
        )
        return {**timings, "thumbnail bytes": float(len(data))}


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    memory = memory_hits()
    base = memory["QPixmapCache.find"]
    print(f"Memory hit, median of {REPEATS} runs ({ENTRIES} entries each):")
    for name, ns in memory.items():
        print(f"  {name:<22} {ns:8.0f} ns   {ns / base:5.2f} x QPixmapCache.find")
    verdict = "met" if memory["MemoryCache.get"] <= base else "NOT met"
    print(f"  goal (MemoryCache hit <= QPixmapCache.find): {verdict}")

    with tempfile.TemporaryDirectory() as tmp:
        disk = disk_restore(Path(tmp) / "cache")
    direct = disk["QImage.fromData(jpeg)"]
    size = int(disk.pop("thumbnail bytes"))
    print(f"\n200x200 thumbnail ({size} bytes JPEG) into a QImage, median of {REPEATS} runs:")
    for name, ns in disk.items():
        print(f"  {name:<32} {ns / 1000:8.1f} us   {ns / direct:5.2f} x decoding directly")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
