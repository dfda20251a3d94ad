"""The team library (PostgreSQL + S3) beside the local library (SQLite + a folder), same run.

Not a test. Run: `make bench` or `.venv/bin/python benchmarks/team_library.py [--images 1000]
[--rows 10000] [--changes 30]`. It starts its own PostgreSQL 15 and SeaweedFS in a temp folder
(tests/servers/postgres.py and seaweed.py, the test suite's servers, tuned for speed: fsync
off), so the network is localhost: a real team server adds its round-trip time to every
statement. Every figure is printed beside the same work on a local library; ratio = team/local.

1. import: `StreamImageManager.import_paths` of N small 640x480 JPEGs (varied, so every hash
   differs) into one new stream; the team's originals go to the bucket, its rows to PostgreSQL.
2. list/search: a stream of M rows inserted straight into each schema in one transaction
   (SQLite: executemany, its triggers firing; PostgreSQL: executemany as the owner with the
   triggers off, then the stream's count set and ANALYZE; no originals: only rows are read),
   then `manager.images()` and `manager.count()` with searches and sorts, as the owner and as
   a subscribers-level member (a real one: its own database role, under row-level security,
   and storage keys; core/team_members.add_member + team_storage.create_member_credentials).
   Median of --repeat runs after one warm-up.
3. change -> seen: another process (this script with --writer) runs `manager.update_image`
   (a title) and stamps time.time() as the commit returns; this process stamps the moment it
   learns of it. Team: `ChangeFeed.wait()` (LISTEN/NOTIFY; wait() gathers what else arrives
   for 10 ms before it returns). Local: what the window does, a `data_version()` poll every
   500 ms (ui/curation/watcher.py POLL_MS) on a thread, the edits at random moments between
   polls. Median and p95 of --changes edits; and the edit's own time in the writer.
The run takes about 1.5 minutes; progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import platform
import queue
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamimages_desktop.core.importer import ImportStatus  # noqa: E402
from streamimages_desktop.core.manager import StreamImageManager  # noqa: E402
from streamimages_desktop.core.models import OWNER, Role, Sort, Viewer  # noqa: E402
from streamimages_desktop.core.settings import Settings  # noqa: E402

LIMIT = 100_000  # per stream, both libraries: the benchmark measures speed, not the limit
POLL_SECONDS = 0.5  # the window's data_version poll (ui/curation/watcher.py POLL_MS)
WORDS = ("sunset", "stage", "crowd", "guitar", "drums", "lights", "backstage", "encore")
SUBSCRIBER = Viewer(Role.SUBSCRIBER, "subscriber", may_edit=False)
BUCKET = "bench-team"
BIG = "big"


# -- the libraries ------------------------------------------------------------------------------


def _settings(env: dict[str, str], root: Path, cache: str) -> Settings:
    env = {"MAX_STREAM_IMAGES_PER_STREAM": str(LIMIT), **env}
    return Settings.load(env, config_file=root / "no-settings.toml", cache_dir=root / cache)


def local_env(root: Path) -> dict[str, str]:
    return {"STREAM_IMAGES_DIR": str(root / "local")}


def team_env(db_url: str, endpoint: str, access_key: str, secret_key: str) -> dict[str, str]:
    return {
        "STREAM_IMAGES_DATABASE_URL": db_url,
        "STREAM_IMAGES_BLOB_URL": f"s3://{BUCKET}/library",
        "STREAM_IMAGES_BLOB_ENDPOINT": endpoint,
        "STREAM_IMAGES_BLOB_ACCESS_KEY": access_key,
        "STREAM_IMAGES_BLOB_SECRET_KEY": secret_key,
    }


@contextlib.contextmanager
def servers(root: Path) -> Iterator[tuple[Any, Any]]:
    """PostgreSQL and SeaweedFS of our own under `root`, stopped however the run ends."""
    from tests.servers.postgres import start_postgres, stop_postgres
    from tests.servers.seaweed import start_seaweed, stop_seaweed

    os.chmod(root, 0o711)  # as root, the postgres user must enter it to reach its folder
    pg = start_postgres(root)
    try:
        (root / "weed").mkdir()
        weed = start_seaweed(root / "weed")
        try:
            yield pg, weed
        finally:
            stop_seaweed(weed)
    finally:
        stop_postgres(pg)


def make_team(pg: Any, weed: Any) -> dict[str, str]:
    """A fresh team: database with the team schema (limit LIMIT), a bucket; the owner's env."""
    import psycopg

    from streamimages_desktop.core.team_members import team_init
    from streamimages_desktop.core.team_storage import ensure_bucket

    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench")
    team_init(pg.url("bench"), max_per_stream=LIMIT)
    ensure_bucket(weed.admin(BUCKET, "library"))
    return team_env(
        pg.url("bench"), weed.endpoint_url, weed.admin_access_key, weed.admin_secret_key
    )


def make_member(pg: Any, weed: Any) -> dict[str, str]:
    """A subscribers-level member who may not edit: a database role and storage keys."""
    from streamimages_desktop.core.team_members import add_member
    from streamimages_desktop.core.team_storage import create_member_credentials

    name = "bench_sub"
    password = add_member(pg.url("bench"), name, "subscribers", False)
    access, secret = create_member_credentials(
        weed.admin(BUCKET, "library"), name, "subscribers", False
    )
    return team_env(
        pg.url("bench", user=name, password=password), weed.endpoint_url, access, secret
    )


# -- 1. import ----------------------------------------------------------------------------------


def make_jpegs(folder: Path, count: int) -> list[Path]:
    """640x480 JPEGs from random 16x12 colour fields: smooth, photo-sized, every hash new."""
    folder.mkdir()
    rng = random.Random(7)
    paths = []
    for i in range(count):
        field = Image.frombytes("RGB", (16, 12), rng.randbytes(16 * 12 * 3))
        path = folder / f"photo_{i:04d}.jpg"
        field.resize((640, 480), Image.Resampling.BILINEAR).save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


CHUNKS = 4  # the imports alternate team, local, team, ...: a busy machine's load drifts


def time_imports(team: Settings, local: Settings, files: list[Path]) -> tuple[float, float]:
    """Seconds to import `files` into one stream of each library, in alternating chunks."""
    took = [0.0, 0.0]
    with (
        StreamImageManager(team, housekeeping_at_start=False) as tm,
        StreamImageManager(local, housekeeping_at_start=False) as lm,
    ):
        for chunk in range(CHUNKS):
            part = files[chunk::CHUNKS]
            for i, manager in enumerate((tm, lm)):
                started = time.perf_counter()
                results = manager.import_paths(OWNER, "imported", part)
                took[i] += time.perf_counter() - started
                bad = [r for r in results if r.status is not ImportStatus.IMPORTED]
                if bad or len(results) != len(part):
                    raise RuntimeError(f"{len(bad)} of {len(part)} not imported: {bad[:1]}")
    return took[0], took[1]


# -- 2. list and search -------------------------------------------------------------------------

_COLUMNS = (
    "id, stream_id, title, description, original_name, visibility, format, width, height,"
    " bytes, sha256, created, updated, views"
)


def big_rows(count: int) -> list[tuple[Any, ...]]:
    """The same synthetic rows for both libraries: three words, a third per visibility."""
    rng = random.Random(count)
    rows = []
    for n in range(1, count + 1):
        when = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.{n:06d}+00:00"
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}"
        visibility = ("public", "subscribers", "private")[n % 3]
        image_id = uuid.UUID(int=rng.getrandbits(128)).hex
        size = 30_000 + n % 5000
        sha = f"{n:064x}"
        name = f"img_{n}.jpg"
        views = n % 97
        rows.append(
            (
                image_id,
                BIG,
                title,
                "",
                name,
                visibility,
                "JPEG",
                640,
                480,
                size,
                sha,
                when,
                when,
                views,
            )
        )
    return rows


_STREAM = "INSERT INTO streams (id, title, owner, created) VALUES ({0}, {0}, 'local', {0})"
_IMAGES = f"INSERT INTO images ({_COLUMNS}) VALUES ({', '.join(['{0}'] * 14)})"


def fill_local(settings: Settings, rows: list[tuple[Any, ...]]) -> None:
    from streamimages_desktop.core.library_backend import LIBRARY_FILE

    StreamImageManager(settings, housekeeping_at_start=False).close()  # creates the schema
    conn = sqlite3.connect(settings.stream_images_dir / LIBRARY_FILE, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(_STREAM.format("?"), (BIG, BIG, rows[0][11]))
    conn.executemany(_IMAGES.format("?"), rows)
    conn.execute("COMMIT")
    conn.close()


def fill_team(owner_url: str, rows: list[tuple[Any, ...]]) -> None:
    """As the owner (the servers' superuser), straight into the team schema. Its per-row
    triggers (limit, count, change notes) would take 3 ms a row, so this one transaction runs
    as a replica (triggers off) and sets the stream's count itself; then ANALYZE, as
    autovacuum would soon, so no statistics update lands in the middle of the timing."""
    import psycopg

    with psycopg.connect(owner_url) as conn:
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute(_STREAM.format("%s").encode(), (BIG, BIG, rows[0][11]))
            with conn.cursor() as cur:
                cur.executemany(_IMAGES.format("%s").encode(), rows)
            conn.execute(
                "UPDATE streams SET image_count = (SELECT count(*) FROM images"
                " WHERE stream_id = %s AND trashed IS NULL) WHERE id = %s",
                (BIG, BIG),
            )
        conn.execute("ANALYZE")


QUERIES: tuple[tuple[str, str | None, Sort], ...] = (
    ("all, newest", None, Sort.NEWEST),
    ("all, by title", None, Sort.TITLE),
    ("search 'encore', newest", "encore", Sort.NEWEST),
    ("search 'gui 77', title", "gui 77", Sort.TITLE),
)


def medians_ms(runs: tuple[Callable[[], object], ...], repeat: int) -> list[float]:
    """Each run's median time; the runs take turns, so load that drifts hits them alike."""
    for run in runs:
        run()  # warm: connections, statement caches, pages
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for run, took in zip(runs, times, strict=True):
            started = time.perf_counter()
            run()
            took.append(time.perf_counter() - started)
    return [statistics.median(took) * 1000 for took in times]


def _list(manager: StreamImageManager, *, viewer: Viewer, search: str | None, sort: Sort) -> object:
    return manager.images(viewer, BIG, search=search, sort=sort)


def time_reads(
    team: StreamImageManager, local: StreamImageManager, viewer: Viewer, repeat: int
) -> dict[str, list[float]]:
    """{label: [team ms, local ms]} for each read."""
    reads: dict[str, Callable[[StreamImageManager], object]] = {}
    for label, search, sort in QUERIES:
        reads[f"images({label})"] = functools.partial(
            _list, viewer=viewer, search=search, sort=sort
        )
    reads["count(all)"] = lambda m: m.count(viewer, BIG)
    reads["count(search 'encore')"] = lambda m: m.count(viewer, BIG, "encore")
    return {
        label: medians_ms((functools.partial(read, team), functools.partial(read, local)), repeat)
        for label, read in reads.items()
    }


def shown(manager: StreamImageManager, viewer: Viewer) -> tuple[int, int]:
    """(rows listed, rows found by 'encore'): the two libraries must agree, or it is no race."""
    return manager.count(viewer, BIG), manager.count(viewer, BIG, "encore")


# -- 3. change -> seen --------------------------------------------------------------------------


def writer_main(image_id: str, root: Path) -> None:
    """--writer: edit `image_id` on each 'go' line; print 'n start committed' stamps."""
    settings = _settings(dict(os.environ), root, "writer-cache")
    with StreamImageManager(settings, housekeeping_at_start=False) as manager:
        print("ready", flush=True)
        for line in sys.stdin:
            if not line.startswith("go"):
                break
            n = line.split()[1]
            started = time.time()
            manager.update_image(OWNER, image_id, title=f"edited {n}")
            committed = time.time()
            print(f"{n} {started!r} {committed!r}", flush=True)


class Writer:
    """This script in --writer mode: another process with its own manager."""

    def __init__(self, env: dict[str, str], image_id: str, root: Path) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("STREAM_IMAGES")}
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--writer", image_id, str(root)],
            env={**clean, **env, "PYTHONPATH": str(REPO)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._in, self._out = self._process.stdin, self._process.stdout
        if self._out.readline().strip() != "ready":
            raise RuntimeError("the writer process did not start")

    def go(self, n: int) -> None:
        self._in.write(f"go {n}\n")
        self._in.flush()

    def stamps(self) -> tuple[float, float]:
        line = self._out.readline()
        if not line:
            raise RuntimeError(f"the writer process ended ({self._process.wait()})")
        _, started, committed = line.split()
        return float(started), float(committed)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._in.write("quit\n")
            self._in.close()
        self._process.wait(timeout=30)


Stamps = list[tuple[float, float, float]]  # (edit started, committed, seen), time.time()


def team_latency(env: dict[str, str], image_id: str, root: Path, changes: int) -> Stamps:
    from streamimages_desktop.core.team_changes import ChangeFeed

    feed = ChangeFeed(env["STREAM_IMAGES_DATABASE_URL"])
    writer = Writer(env, image_id, root)
    latencies = []
    try:
        for n in range(changes):
            time.sleep(0.05)  # the server's own work for the last change is done
            writer.go(n)
            change = feed.wait(5.0)
            seen = time.time()
            started, committed = writer.stamps()
            if change is None or change.resync or image_id not in change.image_ids:
                raise RuntimeError(f"change {n}: the feed said {change}")
            latencies.append((started, committed, seen))
    finally:
        writer.close()
        feed.close()
    return latencies


def local_latency(settings: Settings, image_id: str, root: Path, changes: int) -> Stamps:
    """A poll every POLL_SECONDS on a thread of its own, as the window's timer; edits at random
    moments of the poll period."""
    seen: queue.Queue[float] = queue.Queue()
    stop = threading.Event()
    phases = random.Random(3)

    def poll(manager: StreamImageManager) -> None:
        last = manager.data_version()
        tick = time.monotonic()
        while not stop.is_set():
            tick += POLL_SECONDS
            time.sleep(max(0.0, tick - time.monotonic()))
            version = manager.data_version()
            if version != last:
                last = version
                seen.put(time.time())

    latencies = []
    with StreamImageManager(settings, housekeeping_at_start=False) as manager:
        writer = Writer(local_env(root), image_id, root)
        poller = threading.Thread(target=poll, args=(manager,), daemon=True)
        poller.start()
        try:
            for n in range(changes):
                time.sleep(phases.uniform(0, POLL_SECONDS))
                writer.go(n)
                started, committed = writer.stamps()
                latencies.append((started, committed, seen.get(timeout=5.0)))
                time.sleep(POLL_SECONDS)  # one more poll: an edit is one commit, one change
                if not seen.empty():
                    raise RuntimeError(f"edit {n} changed data_version more than once")
        finally:
            stop.set()
            poller.join()
            writer.close()
    return latencies


def latency_rows(team: Stamps, local: Stamps) -> list[tuple[str, tuple[float, float]]]:
    def ms(stamps: Stamps, pick: Callable[[list[float]], float], a: int, b: int) -> float:
        return pick([s[b] - s[a] for s in stamps]) * 1000

    return [
        (
            "commit -> seen, median",
            (ms(team, statistics.median, 1, 2), ms(local, statistics.median, 1, 2)),
        ),
        ("commit -> seen, p95", (ms(team, p95, 1, 2), ms(local, p95, 1, 2))),
        (
            "the edit itself (update_image), median",
            (ms(team, statistics.median, 0, 1), ms(local, statistics.median, 0, 1)),
        ),
    ]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# -- the run ------------------------------------------------------------------------------------


def row(label: str, team: float, local: float, unit: str = "ms") -> None:
    ratio = team / local if local > 0 else float("inf")
    print(f"  {label:<40} {team:>10.1f} {unit:<3} {local:>10.1f} {unit:<3} {ratio:>8.2f}x")


def note(started: float, what: str) -> None:
    """Progress on stderr, so a slow phase shows where the run's time goes."""
    print(f"  [{time.perf_counter() - started:5.1f} s] {what}", file=sys.stderr, flush=True)


def header(title: str) -> None:
    print(f"\n{title}\n  {'':<40} {'team':>14} {'local':>14} {'team/local':>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="JPEGs imported")
    parser.add_argument("--rows", type=int, default=10_000, help="rows listed and searched")
    parser.add_argument("--changes", type=int, default=30, help="edits timed to be seen")
    parser.add_argument("--repeat", type=int, default=7, help="runs per read (median)")
    parser.add_argument("--writer", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer_main(args.writer[0], Path(args.writer[1]))
        return
    import psycopg

    from tests.servers.seaweed import weed_binary

    started = time.perf_counter()
    print(
        f"team library vs local library: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" psycopg {psycopg.__version__}"
    )
    root = Path(tempfile.mkdtemp(prefix="streamimages-teambench-"))
    try:
        with servers(root) as (pg, weed):
            note(started, "servers up")
            env = make_team(pg, weed)
            with psycopg.connect(pg.url()) as conn:
                version = conn.execute("SHOW server_version").fetchone()
            weed_version = subprocess.run(
                [str(weed_binary()), "version"], capture_output=True, text=True, check=False
            ).stdout.split()
            print(
                f"servers on localhost: PostgreSQL {version[0] if version else '?'},"
                f" SeaweedFS {' '.join(weed_version[1:3])}"
            )
            local = _settings(local_env(root), root, "local-cache")
            owner = _settings(env, root, "team-cache")

            if args.images:
                files = make_jpegs(root / "jpegs", args.images)
                note(started, f"{args.images} JPEGs made")
                size = sum(p.stat().st_size for p in files) / len(files) / 1024
                header(f"1. import {args.images} JPEGs 640x480 (~{size:.0f} KB) into one stream")
                team_s, local_s = time_imports(owner, local, files)
                row("import_paths, total", team_s, local_s, "s")
                row("per image", team_s * 1000 / args.images, local_s * 1000 / args.images)
                note(started, "imports timed")

            rows = big_rows(args.rows)
            fill_local(local, rows)
            fill_team(env["STREAM_IMAGES_DATABASE_URL"], rows)
            note(started, f"{args.rows} rows in each library")
            member_settings = _settings(make_member(pg, weed), root, "member-cache")
            with (
                StreamImageManager(local, housekeeping_at_start=False) as lm,
                StreamImageManager(owner, housekeeping_at_start=False) as tm,
                StreamImageManager(member_settings, housekeeping_at_start=False) as sm,
            ):
                for who, viewer, team_manager in (
                    ("owner", OWNER, tm),
                    ("subscribers-level member", SUBSCRIBER, sm),
                ):
                    found = shown(team_manager, viewer)
                    if found != shown(lm, viewer):
                        raise RuntimeError(f"{who}: team {found}, local {shown(lm, viewer)}")
                    header(
                        f"2. stream of {args.rows} rows as the {who} (sees {found[0]},"
                        f" 'encore' finds {found[1]}), median of {args.repeat}"
                    )
                    for label, (team_ms, local_ms) in time_reads(
                        team_manager, lm, viewer, args.repeat
                    ).items():
                        row(label, team_ms, local_ms)

            edited = next(r[0] for r in rows if r[5] == "public")
            note(started, "reads timed")
            team_l = team_latency(env, edited, root, args.changes)
            note(started, "team latency timed")
            local_l = local_latency(local, edited, root, args.changes)
            header(
                f"3. edit committed in another process -> seen here, {args.changes} edits"
                f" (team: LISTEN; local: data_version poll every {POLL_SECONDS * 1000:.0f} ms)"
            )
            for label, values in latency_rows(team_l, local_l):
                row(label, *values)
            period = POLL_SECONDS * 1000
            print(
                f"  (a {period:.0f} ms poll sees a change U(0, {period:.0f}) ms after it:"
                f" expect median {period / 2:.0f} ms, p95 {period * 0.95:.0f} ms)"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
