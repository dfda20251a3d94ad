"""The rendition index under a hostile environment: busy and full are not damage, damage is
rebuilt from the files that exist, and stats() never waits on a worker stuck on the index."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from streamimages_desktop.core.disk_cache import FILES_DIR, INDEX_NAME, DiskCache, RenditionKey
from streamimages_desktop.core.disk_index import SWEEP_INTERVAL_SECONDS, SWEEP_MARKER
from streamimages_desktop.core.errors import LibraryError
from tests.clock import ManualClock
from tests.db_holder import held
from tests.images import image_bytes


def key(n: int, rendition: str = "thumb") -> RenditionKey:
    return RenditionKey(uuid.UUID(int=n + 1).hex, rendition, hashlib.sha256(bytes([n])).hexdigest())


def jpeg(n: int) -> bytes:
    return image_bytes("JPEG", (40 + n, 30), seed=n)


def files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (root / FILES_DIR).rglob("*") if p.is_file()}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def root(tmp_path: Path, clock: ManualClock) -> Path:
    """A cache folder holding three real JPEG renditions."""
    folder = tmp_path / "cache"
    with DiskCache(folder, 10**7, 3600, clock=clock) as cache:
        for n in range(3):
            cache.put(key(n), jpeg(n))
    return folder


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_held_index_deletes_nothing_and_says_it_is_busy(
    root: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    before = files(root)
    inode = (root / INDEX_NAME).stat().st_ino
    age(root / SWEEP_MARKER, SWEEP_INTERVAL_SECONDS + 1)  # the open also wants to sweep ...
    with held(root / INDEX_NAME):
        # ... and to evict down to a lower bound: both wait for another time, nothing is wiped.
        with DiskCache(root, len(jpeg(0)), 3600, clock=clock, busy_timeout=0.2) as cache:
            assert cache.usable and cache.warning is None
        assert files(root) == before
        with DiskCache(root, 10**7, 3600, clock=clock, busy_timeout=0.2) as cache:
            assert cache.usable and cache.warning is None
            assert [cache.get(key(n)) for n in range(3)] == [jpeg(n) for n in range(3)]
            caplog.clear()
            cache.put(key(7), jpeg(7))  # degrades: not stored, the caller keeps its bytes
            assert cache.get(key(7)) is None
            assert any("busy" in r.getMessage() for r in caplog.records)
            with pytest.raises(LibraryError, match=rf"{root}.*busy"):
                cache.discard_image(key(1).image_id)
            assert cache.stats().items == 3
        assert files(root) == before
        assert (root / INDEX_NAME).stat().st_ino == inode  # never replaced
    busy = [r.getMessage() for r in caplog.records if "busy" in r.getMessage()]
    assert busy and all(str(root) in m for m in busy)
    assert not any("damaged" in r.getMessage() for r in caplog.records)
    with DiskCache(root, 10**7, 3600, clock=clock) as cache:  # released: all works again
        cache.put(key(7), jpeg(7))
        assert cache.get(key(7)) == jpeg(7) and cache.get(key(1)) == jpeg(1)


def test_a_full_index_deletes_nothing(
    root: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A real SQLITE_FULL, from PRAGMA max_page_count on the cache's own connection."""
    inode = (root / INDEX_NAME).stat().st_ino
    with DiskCache(root, 10**7, 3600, clock=clock) as cache:
        assert cache._db is not None
        (pages,) = cache._db.execute("PRAGMA page_count").fetchone()
        cache._db.execute(f"PRAGMA max_page_count = {pages}")
        stored = [0, 1, 2]
        for n in range(3, 400):
            cache.put(key(n), jpeg(n % 5))
            if any("full" in r.getMessage() for r in caplog.records):
                break
            stored.append(n)
        else:
            pytest.fail("the index never filled up")
        assert cache.usable and cache.get(key(n)) is None
        assert all(cache.get(key(m)) == jpeg(m % 5) for m in stored)
        assert cache.stats().items == len(stored) == len(files(root))
    assert (root / INDEX_NAME).stat().st_ino == inode
    assert not any("damaged" in r.getMessage() for r in caplog.records)
    with DiskCache(root, 10**7, 3600, clock=clock) as cache:
        assert cache.stats().items == len(stored)


@pytest.mark.parametrize("damage", ["garbled", "truncated", "emptied", "deleted"])
def test_a_damaged_index_is_rebuilt_from_the_files_that_exist(
    root: Path, clock: ManualClock, damage: str
) -> None:
    index = root / INDEX_NAME
    shard = next(p for p in (root / FILES_DIR).iterdir() if p.is_dir())
    junk = shard / f"{shard.name}{'0' * 30}-thumb-{'a' * 64}-{'b' * 16}.jpg"
    junk.write_bytes(b"named like ours, but not a JPEG")
    unrelated = shard / "notes.txt"
    unrelated.write_bytes(b"not ours")
    for suffix in ("-wal", "-shm"):
        index.with_name(index.name + suffix).unlink(missing_ok=True)
    size = index.stat().st_size
    if damage == "garbled":
        index.write_bytes(os.urandom(size))
    elif damage == "truncated":
        assert size > 4096
        with open(index, "r+b") as f:
            f.truncate(4096)  # the first page only: every table is gone
    elif damage == "emptied":
        index.write_bytes(b"")
    else:
        index.unlink()
    with DiskCache(root, 10**7, 3600, clock=clock) as cache:
        assert cache.usable and cache.warning is None
        assert [cache.get(key(n)) for n in range(3)] == [jpeg(n) for n in range(3)]
        stats = cache.stats()
        assert (stats.items, stats.bytes) == (3, sum(len(jpeg(n)) for n in range(3)))
        assert stats.corrupt == 0
    assert not junk.exists()  # unreadable: dropped
    assert unrelated.exists()  # not named like ours: never touched


def test_stats_answers_while_a_worker_waits_on_the_index(root: Path, clock: ManualClock) -> None:
    """The cache pane calls stats() on the GUI thread; a put waiting on another process's
    transaction holds the cache's lock meanwhile, and stats() must not wait for it."""
    cache = DiskCache(root, 10**7, 3600, clock=clock, busy_timeout=20)
    with cache, held(root / INDEX_NAME):
        writer = threading.Thread(target=cache.put, args=(key(8), jpeg(8)))
        writer.start()
        deadline = time.monotonic() + 10
        while not cache._lock.locked() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert cache._lock.locked() and writer.is_alive(), "the put should be waiting"
        answers: list[int] = []
        reader = threading.Thread(target=lambda: answers.append(cache.stats().items))
        reader.start()
        reader.join(timeout=2)
        blocked = reader.is_alive()
        assert writer.is_alive()  # still waiting: the answer did not come from its end
        assert not blocked, "stats() waited on the worker stuck on the index"
        assert answers == [3]
    writer.join(timeout=30)
    reader.join(timeout=30)
    assert not writer.is_alive()


def test_a_file_in_the_way_works_uncached_with_one_warning(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    in_the_way = tmp_path / "cache"
    in_the_way.write_bytes(b"a file where the cache folder belongs")
    with caplog.at_level(logging.WARNING):
        cache = DiskCache(in_the_way, 10**7, 3600, clock=clock)
        cache.put(key(1), jpeg(1))
        assert cache.get(key(1)) is None and not cache.usable
        with pytest.raises(LibraryError, match="file is in the way"):
            cache.clear()
        cache.discard_image(key(1).image_id)
        cache.close()
    assert cache.warning is not None and str(in_the_way) in cache.warning
    assert "a file is in the way" in cache.warning and "library" not in cache.warning
    assert [r.getMessage() for r in caplog.records] == [cache.warning]
    assert cache.stats().misses == 1


# Opens the cache in a fresh process and prints how many of the fixture's renditions it serves.
OPENER = """
import hashlib, sys, uuid
from pathlib import Path
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
with DiskCache(Path(sys.argv[1]), 10**7, 3600) as cache:
    keys = [RenditionKey(uuid.UUID(int=n + 1).hex, "thumb", hashlib.sha256(bytes([n])).hexdigest())
            for n in range(3)]
    served = [cache.get(k) for k in keys]
    print(sum(1 for d in served if d is not None and d[:2] == b"\\xff\\xd8"), cache.warning)
"""


def test_two_processes_opening_a_damaged_index_at_once_both_serve_the_files(root: Path) -> None:
    before = files(root)
    index = root / INDEX_NAME
    index.write_bytes(os.urandom(index.stat().st_size))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60) for proc in openers]
    assert [proc.returncode for proc in openers] == [0, 0], outputs
    assert [out for out, _err in outputs] == ["3 None\n", "3 None\n"], outputs
    assert files(root) == before


def test_damage_met_while_running_rebuilds_and_the_call_is_served(
    root: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open connection may keep serving a damaged file from its page cache, so the first
    SQLITE_CORRUPT is injected at the look-up; the rebuild after it is real."""
    before = files(root)
    with DiskCache(root, 10**7, 3600, clock=clock) as cache:
        index = root / INDEX_NAME
        inode = index.stat().st_ino
        index.write_bytes(os.urandom(index.stat().st_size))
        real_lookup = cache._lookup
        calls: list[int] = []

        def corrupt_once(ids: tuple[str, str, str]) -> tuple[str, int, int] | None:
            calls.append(1)
            if len(calls) == 1:
                damaged = sqlite3.DatabaseError("database disk image is malformed")
                damaged.sqlite_errorcode = sqlite3.SQLITE_CORRUPT  # type: ignore[attr-defined]
                raise damaged
            return real_lookup(ids)

        monkeypatch.setattr(cache, "_lookup", corrupt_once)
        assert cache.get(key(1)) == jpeg(1)  # rebuilt, then asked again
        assert len(calls) == 2 and index.stat().st_ino != inode
        assert cache.usable and cache.stats().items == 3
        cache.put(key(5), jpeg(5))
        assert cache.get(key(5)) == jpeg(5)
    assert set(before) <= set(files(root))
