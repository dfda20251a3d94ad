"""Import speed side by side: the bare minimum per file, our importer, and a naive full decode.

Not a test. Run: `.venv/bin/python benchmarks/import_speed.py [--files 8] [--repeat 3]`.

(a) baseline: read + SHA-256 + reduced decode (JPEG draft) + 200x200 JPEG encode, one file
    after another: what any importer must at least do.
(b) StreamImageManager.import_paths into a fresh library: the same work plus every check, the
    blob write, the thumbnail cache and the SQLite row; decode and hash on two worker threads.
(c) naive: read + SHA-256 + full decode + LANCZOS resize to 200 + JPEG encode, sequential.
Goal: b/a <= 1.3. c/b shows what the reduced, parallel decode buys.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from streamimages_desktop.core.importer import ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings

SIZE = (6000, 4000)  # 24 megapixels, a typical camera photo
THUMB = 200


def make_photos(folder: Path, count: int) -> list[Path]:
    """Photo-like JPEGs: smooth colour regions plus grain, so they do not compress to nothing."""
    paths = []
    rng = random.Random(1)
    for i in range(count):
        small = Image.frombytes("RGB", (96, 64), rng.randbytes(96 * 64 * 3))
        base = small.resize(SIZE, Image.Resampling.BICUBIC)
        grain = Image.effect_noise(SIZE, 24).convert("RGB")
        photo = Image.blend(base, grain, 0.15)
        path = folder / f"photo_{i:02d}.jpg"
        photo.save(path, "JPEG", quality=88)
        paths.append(path)
    return paths


def baseline(path: Path) -> bytes:
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (THUMB, THUMB))
        im.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        im.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def naive(path: Path) -> bytes:
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        w, h = im.size
        scale = THUMB / max(w, h)
        small = im.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def best_of(repeat: int, run: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def import_once(paths: list[Path], scratch: Path) -> float:
    """Time one import_paths into a brand-new library (opening it is not timed)."""
    root = Path(tempfile.mkdtemp(dir=scratch))
    settings = Settings.load(
        {}, config_file=root / "none.toml", library=root / "lib", cache_dir=root / "cache"
    )
    with StreamImageManager(settings) as manager:
        start = time.perf_counter()
        results = manager.import_paths(OWNER, "bench", paths)
        elapsed = time.perf_counter() - start
    bad = [r for r in results if r.status is not ImportStatus.IMPORTED]
    if bad:
        raise SystemExit(f"import failed: {bad}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="si-bench-") as tmp:
        scratch = Path(tmp)
        photos_dir = scratch / "photos"
        photos_dir.mkdir()
        print(f"making {args.files} JPEGs of {SIZE[0]}x{SIZE[1]} ...", flush=True)
        paths = make_photos(photos_dir, args.files)
        total_mb = sum(p.stat().st_size for p in paths) / 1e6
        each = total_mb / len(paths)
        print(f"  {total_mb:.1f} MB in all, {each:.1f} MB each; {os.cpu_count()} CPUs")
        for p in paths:  # warm the page cache and Pillow's plugins
            baseline(p)

        a = best_of(args.repeat, lambda: [baseline(p) for p in paths] and None)
        b = min(import_once(paths, scratch) for _ in range(args.repeat))
        c = best_of(max(1, args.repeat - 1), lambda: [naive(p) for p in paths] and None)

    n = len(paths)
    print()
    print(f"{'':44}{'total s':>9}{'per file ms':>13}")
    for label, value in (
        ("(a) baseline: read+sha256+draft+thumb", a),
        ("(b) import_paths (2 workers, full checks)", b),
        ("(c) naive: full decode + LANCZOS", c),
    ):
        print(f"{label:44}{value:9.2f}{value / n * 1000:13.0f}")
    print()
    print(f"b/a = {b / a:.2f}   (goal <= 1.3)")
    print(f"c/b = {c / b:.2f}   (how much faster than a naive importer)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
