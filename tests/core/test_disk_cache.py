"""DiskCache: restarts, the byte bound, damaged files, sha keys, TTL, folder hygiene, threads."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import time
import uuid
from pathlib import Path

import pytest

from streamimages_desktop.core.disk_cache import (
    FILES_DIR,
    INDEX_NAME,
    DiskCache,
    RenditionKey,
)
from streamimages_desktop.core.disk_index import (
    SWEEP_GRACE_SECONDS,
    SWEEP_INTERVAL_SECONDS,
    SWEEP_MARKER,
)
from tests.clock import ManualClock
from tests.images import image_bytes, truncated
from tests.threads import run_concurrently


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key(n: int = 0, rendition: str = "thumb", original: bytes | None = None) -> RenditionKey:
    image_id = uuid.UUID(int=n + 1).hex
    return RenditionKey(image_id, rendition, sha(original if original is not None else bytes([n])))


def files(root: Path) -> list[Path]:
    return sorted(p for p in (root / FILES_DIR).rglob("*") if p.is_file())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def open_cache(
    root: Path, clock: ManualClock, max_bytes: int = 10**7, ttl: float = 3600
) -> DiskCache:
    return DiskCache(root, max_bytes, ttl, clock=clock)


def test_round_trip_and_survives_a_restart(root: Path, clock: ManualClock) -> None:
    thumb = image_bytes("JPEG", (200, 150))
    with open_cache(root, clock) as cache:
        assert cache.get(key(1)) is None
        cache.put(key(1), thumb)
        assert cache.get(key(1)) == thumb
        stats = cache.stats()
        assert (stats.items, stats.bytes, stats.hits, stats.misses) == (1, len(thumb), 1, 1)
    with open_cache(root, clock) as again:
        assert again.get(key(1)) == thumb
        assert (again.stats().items, again.stats().bytes) == (1, len(thumb))


def test_a_different_sha_misses_and_a_new_one_replaces_the_old(
    root: Path, clock: ManualClock
) -> None:
    with open_cache(root, clock) as cache:
        old, new = key(1, original=b"first"), key(1, original=b"second")
        cache.put(old, b"old rendition")
        assert cache.get(new) is None
        cache.put(new, b"new rendition")
        assert cache.get(old) is None
        assert cache.get(new) == b"new rendition"
        assert cache.stats().items == 1 and len(files(root)) == 1


def test_stays_under_its_bound_evicting_least_recently_used(root: Path, clock: ManualClock) -> None:
    with open_cache(root, clock, max_bytes=1000) as cache:
        for n in range(3):
            cache.put(key(n), bytes([n]) * 300)
        assert cache.stats().bytes == 900
        assert cache.get(key(0)) is not None  # 0 is now the most recently used
        cache.put(key(3), b"x" * 300)
        assert cache.get(key(1)) is None
        assert all(cache.get(key(n)) is not None for n in (0, 2, 3))
        stats = cache.stats()
        assert stats.bytes == 900 <= 1000 and stats.evictions == 1
        assert len(files(root)) == 3 == stats.items
        cache.put(key(9), b"y" * 1001)  # larger than the bound: not stored
        assert cache.get(key(9)) is None and cache.stats().bytes == 900
        cache.set_limit(500)
        assert cache.stats().bytes <= 500 and len(files(root)) == cache.stats().items == 1
    with open_cache(root, clock, max_bytes=200) as smaller:  # a lower bound applies at start
        assert smaller.stats().bytes == 0 and files(root) == []


def test_lru_order_survives_a_restart(root: Path, clock: ManualClock) -> None:
    with open_cache(root, clock, max_bytes=1000) as cache:
        for n in range(3):
            cache.put(key(n), b"x" * 300)
        assert cache.get(key(0)) is not None  # recency kept in memory, written at close
    with open_cache(root, clock, max_bytes=1000) as cache:
        cache.put(key(3), b"y" * 300)
        assert cache.get(key(1)) is None
        assert cache.get(key(0)) is not None and cache.get(key(2)) is not None


def test_many_hits_between_puts_keep_lru_order(root: Path, clock: ManualClock) -> None:
    with open_cache(root, clock, max_bytes=1000) as cache:
        for n in range(3):
            cache.put(key(n), b"x" * 300)
        for _ in range(300):  # more hits than are kept in memory before a flush
            for n in (2, 0):
                assert cache.get(key(n)) is not None
        cache.put(key(3), b"y" * 300)
        assert cache.get(key(1)) is None
        cache.put(key(4), b"z" * 300)  # 2 was used before 0 in every round
        assert cache.get(key(2)) is None and cache.get(key(0)) is not None


def only_file(root: Path) -> Path:
    [path] = files(root)
    return path


@pytest.mark.parametrize("damage", ["deleted", "truncated", "corrupted", "replaced"])
def test_a_damaged_file_is_a_miss_and_dropped(root: Path, clock: ManualClock, damage: str) -> None:
    thumb = image_bytes("JPEG", (200, 200))
    with open_cache(root, clock) as cache:
        cache.put(key(1), thumb)
        path = only_file(root)
        if damage == "deleted":
            path.unlink()
        elif damage == "truncated":
            path.write_bytes(truncated(thumb, 0.5))
        elif damage == "corrupted":
            flipped = bytearray(thumb)
            flipped[len(flipped) // 2] ^= 0xFF  # same size, different content
            path.write_bytes(bytes(flipped))
        else:
            path.write_bytes(
                image_bytes("JPEG", (200, 200), seed=3)[: len(thumb)].ljust(len(thumb))
            )
        assert cache.get(key(1)) is None
        stats = cache.stats()
        assert (stats.corrupt, stats.items, stats.bytes, stats.misses) == (1, 0, 0, 1)
        assert files(root) == []
        cache.put(key(1), thumb)  # the manager regenerates it
        assert cache.get(key(1)) == thumb


def test_ttl_with_an_injected_clock_also_across_restarts(root: Path, clock: ManualClock) -> None:
    with open_cache(root, clock, ttl=60) as cache:
        cache.put(key(1), b"a")
        clock.now += 60
        assert cache.get(key(1)) == b"a"  # exactly the TTL old is still fresh
        cache.put(key(2), b"b")
    clock.now += 1
    with open_cache(root, clock, ttl=60) as cache:
        assert cache.get(key(1)) is None
        assert cache.get(key(2)) == b"b"
        stats = cache.stats()
        assert (stats.expirations, stats.items) == (1, 1) and len(files(root)) == 1


def test_folder_is_private_tagged_and_tidied_at_start(root: Path, clock: ManualClock) -> None:
    with open_cache(root, clock) as cache:
        cache.put(key(1), b"kept")
        cache.put(key(2), b"lost")
    tag = (root / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    for folder in [root, root / FILES_DIR, *{p.parent for p in files(root)}]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in [root / INDEX_NAME, *files(root)]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    kept = next(p for p in files(root) if p.read_bytes() == b"kept")
    leftover = kept.parent / ".tmpabc.part"  # an interrupted atomic write
    leftover.write_bytes(b"half")
    stray = kept.parent / kept.name.replace(kept.name.split("-")[-1], "0" * 16 + ".jpg")
    stray.write_bytes(b"unindexed")  # written, but the process died before indexing it
    unrelated = kept.parent / "notes.txt"
    unrelated.write_bytes(b"not ours")
    for path in (leftover, stray, unrelated):  # older than the sweep's grace period
        age(path, SWEEP_GRACE_SECONDS + 60)
    next(p for p in files(root) if p.read_bytes() == b"lost").unlink()
    assert stat.S_IMODE((root / SWEEP_MARKER).stat().st_mode) == 0o600
    age(root / SWEEP_MARKER, SWEEP_INTERVAL_SECONDS + 60)  # the daily sweep is due
    with open_cache(root, clock) as cache:
        assert not leftover.exists() and not stray.exists()
        assert unrelated.exists()  # only files named like ours are ever deleted
        assert cache.stats().items == 1  # the row whose file vanished is gone
        assert cache.get(key(1)) == b"kept"


def age(path: Path, seconds: float) -> None:
    """Make a file look `seconds` old (the sweep's grace period is wall-clock file time)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_sweep_spares_young_files_another_process_may_be_indexing(
    root: Path, clock: ManualClock
) -> None:
    """A second process opening the folder (e.g. `cache stats` beside the window) must not
    delete a put that the first has written but not yet indexed, nor its temp file."""
    with open_cache(root, clock) as cache:
        cache.put(key(1), b"kept")
        [kept] = files(root)
        in_flight = kept.parent / ".tmpxyz.part"
        in_flight.write_bytes(b"being written")
        renamed = kept.parent / kept.name.replace(kept.name.split("-")[-1], "1" * 16 + ".jpg")
        renamed.write_bytes(b"renamed, not yet indexed")
        with open_cache(root, clock) as other:
            assert other.get(key(1)) == b"kept"
        assert in_flight.exists() and renamed.exists()
        assert cache.get(key(1)) == b"kept" and cache.stats().corrupt == 0
    for path in (in_flight, renamed):
        age(path, SWEEP_GRACE_SECONDS + 1)
    age(root / SWEEP_MARKER, SWEEP_INTERVAL_SECONDS + 1)
    with open_cache(root, clock):
        assert not in_flight.exists() and not renamed.exists()


def test_opening_does_not_walk_the_folder_until_a_day_has_passed(
    root: Path, clock: ManualClock
) -> None:
    """Start-up cost must not grow with the cache: the folder walk runs once a day."""
    with open_cache(root, clock) as cache:
        cache.put(key(1), b"kept")
    [kept] = files(root)
    stray = kept.parent / kept.name.replace(kept.name.split("-")[-1], "2" * 16 + ".jpg")
    stray.write_bytes(b"unindexed")
    age(stray, SWEEP_GRACE_SECONDS + 60)
    for _ in range(3):
        open_cache(root, clock).close()
    assert stray.exists()  # no walk: the last one ran less than a day ago
    age(root / SWEEP_MARKER, SWEEP_INTERVAL_SECONDS + 1)
    open_cache(root, clock).close()
    assert not stray.exists() and kept.exists()
    assert time.time() - (root / SWEEP_MARKER).stat().st_mtime < 60  # the marker moved on


def test_a_newer_index_schema_is_rebuilt_not_misread(root: Path, clock: ManualClock) -> None:
    open_cache(root, clock).close()
    db = sqlite3.connect(root / INDEX_NAME)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with open_cache(root, clock) as cache:
        cache.put(key(1), b"a")
        assert cache.get(key(1)) == b"a"


def test_discard_image_and_clear(root: Path, clock: ManualClock) -> None:
    with open_cache(root, clock) as cache:
        cache.put(key(1, "thumb"), b"t1")
        cache.put(key(1, "display"), b"d1")
        cache.put(key(2, "thumb"), b"t2")
        cache.discard_image(key(1).image_id)
        assert cache.get(key(1, "thumb")) is None and cache.get(key(1, "display")) is None
        assert cache.get(key(2)) == b"t2" and len(files(root)) == 1
        cache.clear()
        assert cache.stats().items == 0 and files(root) == []
        assert (root / "CACHEDIR.TAG").exists()


@pytest.mark.parametrize(
    ("image_id", "rendition", "sha256"),
    [
        ("../../etc/passwd" + "0" * 16, "thumb", "a" * 64),
        ("A" * 32, "thumb", "a" * 64),
        ("a" * 32, "original", "a" * 64),
        ("a" * 32, "thumb", "a" * 63 + "/"),
        ("a" * 32, "thumb/../x", "a" * 64),
    ],
)
def test_keys_accept_only_validated_ids(image_id: str, rendition: str, sha256: str) -> None:
    with pytest.raises(ValueError):
        RenditionKey(image_id, rendition, sha256)


def test_discard_image_refuses_a_path(root: Path, clock: ManualClock) -> None:
    with open_cache(root, clock) as cache, pytest.raises(ValueError):
        cache.discard_image("../x")


def test_concurrent_use_from_threads(root: Path, clock: ManualClock) -> None:
    payloads = {n: os.urandom(100 + n) for n in range(40)}
    with open_cache(root, clock, max_bytes=3000) as cache:

        def work(seed: int) -> None:
            for i in range(120):
                n = (i * 7 + seed * 13) % 40
                data = cache.get(key(n))
                if data is None:
                    cache.put(key(n), payloads[n])
                else:
                    assert data == payloads[n]
                if i % 50 == seed:
                    cache.discard_image(key(n).image_id)

        run_concurrently(work, 4)
        stats = cache.stats()
        assert stats.bytes <= 3000
        assert stats.corrupt == 0
        assert stats.hits + stats.misses == 4 * 120
        on_disk = files(root)
        assert len(on_disk) == stats.items
        assert sum(p.stat().st_size for p in on_disk) == stats.bytes
