"""Speed at 1k, 10k and 100k images (issue 14): every figure beside its baseline, same run.

Not a test. Run: `make bench` or `.venv/bin/python benchmarks/scale.py [--sizes 1000,10000]`.

Libraries are synthetic and cached between runs in $STREAMIMAGES_BENCH_CACHE (default
~/.cache/streamimages-bench; delete it to rebuild). They are made fast: the real schema (the
store opens and migrates the file), then every row inserted in one transaction, FTS and count
triggers firing as in use. Originals and renditions are NOT written: the commands measured read
only the database, and start-up must not depend on those folders anyway (the hourly
housekeeping and the daily cache sweep are marked done once after building). Two shapes per
size: "one" (every image in stream `big`) and "many" (stream `s50` with 50 images, `mid` with a
tenth of the library, the rest over 98 more streams: 100 streams).

Printed, each beside its baseline:
- import: ms per image of 200 real 640x480 JPEGs imported into the library as it is (a fresh
  copy each round, best of 3 rounds),
  into `big` (one stream) and into `o07` (100 streams); baseline: the importer's parallel stage
  alone (read + hash + reduced decode + thumbnail on two threads) for the same files.
  Flat means the same figure at every size (issue 14: within 10 % from 1k to 100k); the
  last lines print each shape's largest-size figure over its smallest, ratio beside ratio.
- commands: wall time and peak RSS of `python -m streamimages_desktop ...` (best of 5) against
  a bare `python -c pass` plus the same query run with the stdlib sqlite3 module and printed
  as JSON (the issue's "raw query plus interpreter start-up"). The runs of a row alternate
  (command, raw, command, ...), so a busy neighbour slows both. `--before TREE` also times
  the command from another checkout of the project (e.g. `git worktree add /tmp/before main`)
  in the same rounds: before and after, each beside the same raw figure. Each ratio is
  printed for wall time and, in brackets, for CPU time (user + system).
- window (`--window`): benchmarks/gallery.py in a child process on stream `big` of the "one"
  library: first painted screen beside the count and first-page queries alone, GUI stalls
  while scrolling top to bottom (99th percentile and longest), full GC passes, and RSS. The
  synthetic rows have no originals, so every tile stays a placeholder: the grid's own cost.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamimages_desktop.core.disk_index import mark_swept  # noqa: E402
from streamimages_desktop.core.importer import ImportOptions, ImportStatus  # noqa: E402
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager  # noqa: E402
from streamimages_desktop.core.models import OWNER  # noqa: E402
from streamimages_desktop.core.schema import SCHEMA_VERSION  # noqa: E402
from streamimages_desktop.core.settings import Settings  # noqa: E402
from streamimages_desktop.core.store import Store  # noqa: E402

CACHE = Path(os.environ.get("STREAMIMAGES_BENCH_CACHE", "~/.cache/streamimages-bench"))
BUILD_VERSION = f"2-schema{SCHEMA_VERSION}"  # bump when the synthetic library changes
IMPORT_FILES = 200  # several group commits' worth, so one slow fsync does not decide a row
WORDS = ("sunset", "stage", "crowd", "guitar", "drums", "lights", "backstage", "encore")
ENV = {"MAX_STREAM_IMAGES_PER_STREAM": "1000000"}


# -- building the libraries ---------------------------------------------------------------------


def _streams(shape: str, size: int) -> list[tuple[str, int]]:
    if shape == "one":
        return [("big", size)]
    mid = size // 10
    rest = size - 50 - mid
    others = [(f"o{i:02d}", rest // 98 + (1 if i < rest % 98 else 0)) for i in range(98)]
    return [("s50", 50), ("mid", mid), *others]


def build(folder: Path, shape: str, size: int) -> None:
    """Rows straight into the real schema, one transaction; see the module docstring."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "library" / LIBRARY_FILE
    db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    Store(db).close()  # creates and migrates
    rng = random.Random(size)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    n = 0
    for stream, count in _streams(shape, size):
        conn.execute(
            "INSERT INTO streams (id, title, owner, created) VALUES (?, ?, 'me', ?)",
            (stream, stream, "2026-01-01T00:00:00.000000+00:00"),
        )
        rows = []
        for _ in range(count):
            n += 1
            when = (
                f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.{n:06d}+00:00"
            )
            title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}"
            rows.append(
                (
                    uuid.UUID(int=rng.getrandbits(128)).hex,
                    stream,
                    title,
                    "",
                    f"img_{n}.jpg",
                    ("public", "subscribers", "private")[n % 3],
                    "JPEG",
                    640,
                    480,
                    30_000 + n % 5000,
                    f"{n:064x}",
                    when,
                    when,
                    n % 97,
                )
            )
        conn.executemany(
            "INSERT INTO images (id, stream_id, title, description, original_name, visibility,"
            " format, width, height, bytes, sha256, created, updated, views)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    settings = _settings(folder)
    with StreamImageManager(settings) as manager:  # first open: snapshot, housekeeping
        manager.collect_orphans(wait=None)
    mark_swept(settings.image_cache_dir)
    (folder / "built").write_text(BUILD_VERSION)


def library(shape: str, size: int) -> Path:
    folder = CACHE.expanduser() / f"{shape}-{size}"
    marker = folder / "built"
    if not (marker.exists() and marker.read_text() == BUILD_VERSION):
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        build(folder, shape, size)
        print(f"  built {shape}-{size} in {time.perf_counter() - started:.1f} s", flush=True)
    return folder


def _settings(folder: Path) -> Settings:
    os.environ.update(ENV)
    return Settings.load(library=folder / "library", cache_dir=folder / "cache")


# -- import ---------------------------------------------------------------------------------------


def photos(count: int) -> list[Path]:
    folder = CACHE.expanduser() / "photos"
    paths = [folder / f"p{i:03d}.jpg" for i in range(count)]
    if not all(p.exists() for p in paths):
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(7)
        for path in paths:
            small = Image.frombytes("RGB", (40, 30), rng.randbytes(40 * 30 * 3))
            photo = small.resize((640, 480), Image.Resampling.BICUBIC)
            photo = Image.blend(photo, Image.effect_noise((640, 480), 20).convert("RGB"), 0.1)
            photo.save(path, "JPEG", quality=88)
    return paths


def import_ms(
    folder: Path, stream: str, files: Sequence[Path], rounds: int = 3
) -> tuple[float, float]:
    """(import, parallel stage alone) in ms per image, each the best of `rounds`; every round
    imports into a fresh throw-away copy of `folder`, its stage run just before its import."""
    for path in files:  # the first round must not be the one that reads them from the disk
        path.read_bytes()
    took, prepare = float("inf"), float("inf")
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
            copy = Path(tmp) / "lib"
            shutil.copytree(folder, copy)
            with StreamImageManager(_settings(copy)) as manager:
                importer = manager._importer  # the stage-1 work alone, for the baseline
                started = time.perf_counter()
                with ThreadPoolExecutor(2) as pool:
                    list(pool.map(importer.prepare_path, files))
                prepare = min(prepare, time.perf_counter() - started)
                started = time.perf_counter()
                results = manager.import_paths(OWNER, stream, list(files), ImportOptions())
                took = min(took, time.perf_counter() - started)
            assert all(r.status is ImportStatus.IMPORTED for r in results), results[:3]
    return took * 1000 / len(files), prepare * 1000 / len(files)


# -- commands ------------------------------------------------------------------------------------


def _child_env(tree: Path = REPO) -> dict[str, str]:
    """As an installed program runs: byte code cached (see main), the package of `tree` first."""
    env = dict(os.environ, **ENV, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_child(argv: list[str], tree: Path = REPO) -> tuple[float, float, float]:
    """(seconds, peak RSS in MB, CPU seconds) of one child process, its output discarded.

    RSS comes from GNU time's %M: Linux carries a process's peak RSS across fork and exec, so
    this (large) process's own figures would leak into a direct child's. CPU (user + system,
    from wait4) is what other tenants of a shared machine move least.
    """
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", *argv],
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            env=_child_env(tree),
            cwd=tree,  # `-m` puts the working folder first on sys.path, before PYTHONPATH
        )
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited {proc.returncode}: {stderr}")
    return took, int(stderr.split()[-1]) / 1024, usage.ru_utime + usage.ru_stime


def best(argv: list[str], repeat: int = 5) -> tuple[float, float]:
    runs = [run_child(argv) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def best_of_rounds(
    runs: Sequence[tuple[list[str], Path]], repeat: int = 5
) -> list[tuple[float, float, float]]:
    """(best seconds, peak MB, least CPU seconds) of each (argv, tree), their runs alternating
    round by round."""
    figures: list[list[tuple[float, float, float]]] = [[] for _ in runs]
    for _ in range(repeat):
        for (argv, tree), seen in zip(runs, figures, strict=True):
            seen.append(run_child(argv, tree))
    return [
        (min(f[0] for f in seen), max(f[1] for f in seen), min(f[2] for f in seen))
        for seen in figures
    ]


RAW = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute(sys.argv[2], sys.argv[3:]).fetchall()
print(json.dumps(rows))
"""

_COLS = "id, stream_id, title, visibility, width, height, bytes, created, views"
VIS = "visibility IN ('private', 'public', 'subscribers')"


def commands(folder: Path, size: int) -> list[tuple[str, list[str], str, list[str]]]:
    """(label, streamimages args, raw SQL, its parameters)."""
    word = "encore"
    return [
        ("--help", ["--help"], "SELECT 1", []),
        (
            "list --stream s50 --json",
            ["list", "--stream", "s50", "--json"],
            f"SELECT {_COLS} FROM images WHERE {VIS} AND stream_id = ? ORDER BY created DESC, id",
            ["s50"],
        ),
        (
            "list --stream s50 --sort title",
            ["list", "--stream", "s50", "--sort", "title"],
            f"SELECT {_COLS} FROM images WHERE {VIS} AND stream_id = ?"
            " ORDER BY title COLLATE NOCASE, created, id",
            ["s50"],
        ),
        (
            f"list --search '{word} {size - 7}' --json",
            ["list", "--search", f"{word} {size - 7}", "--json"],
            f"SELECT {_COLS} FROM images WHERE {VIS} AND seq IN (SELECT rowid FROM images_fts"
            " WHERE images_fts MATCH ?) ORDER BY created DESC, id",
            [f'"{word}"* "{size - 7}"*'],
        ),
        (
            "stats",
            ["stats"],
            f"SELECT count(*), sum(bytes), sum(views) FROM images WHERE {VIS}",
            [],
        ),
        (
            f"stats --stream mid ({size // 10:,})",
            ["stats", "--stream", "mid"],
            f"SELECT count(*), sum(bytes), sum(views) FROM images WHERE {VIS} AND stream_id = ?",
            ["mid"],
        ),
        (
            "streams --json",
            ["streams", "--json"],
            "SELECT streams.*, (SELECT count(*) FROM images WHERE stream_id = streams.id)"
            " FROM streams ORDER BY id",
            [],
        ),
    ]


WINDOW_LINES = ("first painted", "longest GUI stall", "99th", "median", "full GC", "RSS after")


def window(folder: Path, scroll_seconds: float) -> None:
    """The gallery benchmark on this library, in a child (its RSS is the window's alone)."""
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "gallery.py"),
            "--library",
            str(folder / "library"),
            "--cache-dir",
            str(folder / "cache"),
            "--scroll-seconds",
            str(scroll_seconds),
        ],
        capture_output=True,
        text=True,
        env=dict(_child_env(), QT_QPA_PLATFORM="offscreen"),
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        raise SystemExit(f"gallery benchmark exited {proc.returncode}: {proc.stderr[-2000:]}")
    for line in proc.stdout.splitlines():
        if any(key in line for key in WINDOW_LINES):
            print(f"  window: {line.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-import", action="store_true", help="command timings only")
    parser.add_argument("--window", action="store_true", help="also the window (gallery.py)")
    parser.add_argument("--no-commands", action="store_true", help="skip the command timings")
    parser.add_argument("--scroll-seconds", type=float, default=15.0)
    parser.add_argument(
        "--before", type=Path, metavar="TREE", help="also time the commands of this checkout"
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds per command (best of)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    py = sys.executable
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; cache {CACHE}")
    # Byte code as an installed program has it (the worktree may run with it switched off).
    for tree in (REPO, *([args.before] if args.before else [])):
        subprocess.run(
            [py, "-m", "compileall", "-q", str(tree / "streamimages_desktop")], check=True
        )
    files = photos(IMPORT_FILES)
    bare, bare_rss = best([py, "-c", "pass"], 5)
    print(f"bare interpreter: {bare * 1000:.0f} ms, {bare_rss:.0f} MB")
    imports: dict[str, list[tuple[int, float, float]]] = {}
    for size in sizes:
        many, one = library("many", size), library("one", size)
        print(f"\n== {size:,} images ==")
        if not args.no_import:
            for shape, folder, stream in (("one stream", one, "big"), ("100 streams", many, "o07")):
                ms, floor = import_ms(folder, stream, files)
                imports.setdefault(shape, []).append((size, ms, ms / floor))
                print(
                    f"  import into {shape:<12} {ms:6.2f} ms/image"
                    f"   parallel stage alone {floor:5.2f} ms/image   x{ms / floor:.2f}"
                )
        if args.window:
            window(one, args.scroll_seconds)
        if args.no_commands:
            continue
        db = str(many / "library" / LIBRARY_FILE)
        base = [py, "-m", "streamimages_desktop", "--library", str(many / "library")]
        base += ["--cache-dir", str(many / "cache")]
        for label, argv, sql, params in commands(many, size):
            runs = [([*base, *argv], REPO), ([py, "-c", RAW, db, sql, *params], REPO)]
            if args.before:
                runs.append(([*base, *argv], args.before))
            (took, rss, cpu), (raw, raw_rss, raw_cpu), *before = best_of_rounds(runs, args.repeat)
            then = ""
            if before:
                was, _, was_cpu = before[0]
                then = f"   before {was * 1000:4.0f} ms x{was / raw:.2f}"
                then += f" (CPU x{was_cpu / raw_cpu:.2f})"
            print(
                f"  {label:<36} {took * 1000:4.0f} ms {rss:3.0f} MB"
                f"   raw sqlite3 + interpreter {raw * 1000:4.0f} ms {raw_rss:3.0f} MB"
                f"   x{took / raw:.2f} (CPU x{cpu / raw_cpu:.2f}){then}"
            )
    for shape, figures in imports.items():
        (low, low_ms, first), (high, high_ms, last) = figures[0], figures[-1]
        if high > low:
            print(
                f"flat? import into {shape}: at {high:,} / at {low:,}: ms per image"
                f" {high_ms / low_ms:.2f}, x vs stage {last / first:.2f}   (goal within 10 %)"
            )


if __name__ == "__main__":
    main()
