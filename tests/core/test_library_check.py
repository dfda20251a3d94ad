"""Damage on real SQLite files: named on open, found by check, undone by repair where it can be."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streamimages_desktop.core import backups, library_check
from streamimages_desktop.core.disk_cache import FILES_DIR, DiskCache
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.library_check import (
    COUNTS,
    DATABASE,
    FULL_TEXT,
    ORIGINAL,
    RENDITION,
)
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.images import image_bytes

DAMAGED = "is damaged: run `streamimages check --repair`"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def library(settings: Settings) -> Path:
    return settings.stream_images_dir / LIBRARY_FILE


def add_images(settings: Settings, seeds: range) -> list[str]:
    with StreamImageManager(settings, clock=lambda: T0) as manager:
        results = [
            manager.import_bytes(OWNER, "s1", image_bytes(seed=s), f"shot {s}.png") for s in seeds
        ]
    return [r.image_id for r in results if r.image_id is not None]


def titles(settings: Settings) -> list[str]:
    with StreamImageManager(settings, clock=lambda: T0) as manager:
        return sorted(i.title for i in manager.images(OWNER))


def run_check(settings: Settings, *, full: bool = False) -> library_check.CheckReport:
    with DiskCache(settings.image_cache_dir, settings.disk_limit_bytes, 3600.0) as cache:
        return library_check.check(library(settings), cache, full=full)


def run_repair(settings: Settings) -> library_check.RepairReport:
    with DiskCache(settings.image_cache_dir, settings.disk_limit_bytes, 3600.0) as cache:
        return library_check.repair(library(settings), cache, now=T0 + timedelta(days=2))


def assert_refused(settings: Settings) -> None:
    """Opening and listing the library fails with the one line naming it and the remedy."""
    with pytest.raises(LibraryError) as raised, StreamImageManager(settings, clock=lambda: T0) as m:
        m.images(OWNER)
        m.stats(OWNER)
    assert str(raised.value) == f"the library {library(settings)} {DAMAGED}"


def three_images_then_a_snapshot_then_one_more(settings: Settings) -> list[str]:
    ids = add_images(settings, range(3))
    backups.take_snapshot(library(settings), T0 + timedelta(days=1), keep=7)
    return ids + add_images(settings, range(3, 4))


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def zero(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:200] = random.Random(8).randbytes(200)
    path.write_bytes(bytes(data))


def zero_page_of(path: Path, table: str) -> None:
    """Zero the root page of one table: its rows are gone to SQLite ("damaged rows")."""
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        (root,) = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    db.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(bytes(page_size))


@pytest.mark.parametrize("damage", [truncate, zero, garble], ids=["truncated", "zeroed", "garbled"])
def test_a_damaged_library_is_refused_found_and_restored_from_the_snapshot(
    settings: Settings, damage: object
) -> None:
    three_images_then_a_snapshot_then_one_more(settings)
    assert not Path(f"{library(settings)}-wal").exists()  # closed cleanly: all in the file
    damage(library(settings))  # type: ignore[operator]
    damaged_bytes = library(settings).read_bytes()
    assert_refused(settings)
    assert library(settings).read_bytes() == damaged_bytes  # never silently replaced

    report = run_check(settings)
    assert report.damaged(DATABASE)
    assert all(f.text.startswith(f"the library {library(settings)}") for f in report.findings)

    repaired = run_repair(settings)
    assert repaired.steps[0] == (
        f"restored {LIBRARY_FILE} from {backups.backups_dir(library(settings))}/"
        f"library-20261125-100000.sqlite3 (the damaged file is kept as "
        f"{LIBRARY_FILE}.damaged-20261126-100000)"
    )
    assert repaired.steps[1] == "rebuilt the full-text index and recounted the streams"
    assert not repaired.after.findings
    assert titles(settings) == ["shot 0", "shot 1", "shot 2"]  # the rows came back
    kept = library(settings).with_name(f"{LIBRARY_FILE}.damaged-20261126-100000")
    assert kept.read_bytes() == damaged_bytes


@pytest.mark.parametrize("table", ["images", "images_newest", "images_sha256"])
def test_damaged_rows_are_refused_found_and_restored(settings: Settings, table: str) -> None:
    three_images_then_a_snapshot_then_one_more(settings)
    zero_page_of(library(settings), table)
    if table != "images_sha256":  # listing never reads that index; integrity_check does
        assert_refused(settings)
    report = run_check(settings)
    assert report.damaged(DATABASE)
    assert run_repair(settings).after.findings == []
    assert len(titles(settings)) == 3


def test_without_a_good_snapshot_repair_leaves_the_damage_and_says_so(settings: Settings) -> None:
    add_images(settings, range(2))
    for snap in backups.snapshots(backups.backups_dir(library(settings))):
        garble(snap)  # the start-up snapshot is damaged too: it is not used
    zero(library(settings))
    repaired = run_repair(settings)
    assert repaired.steps == [
        f"no good snapshot in {backups.backups_dir(library(settings))}: "
        "the damaged library is left as it is"
    ]
    assert repaired.after.damaged(DATABASE)
    assert library(settings).read_bytes() == bytes(library(settings).stat().st_size)


def test_the_newest_good_snapshot_is_chosen(settings: Settings) -> None:
    add_images(settings, range(1))  # start-up snapshot of the empty library, then one row
    backups.take_snapshot(library(settings), T0 + timedelta(days=1), keep=7)
    add_images(settings, range(1, 2))
    newest = backups.take_snapshot(library(settings), T0 + timedelta(days=2), keep=7)
    garble(newest)
    garble(library(settings))
    assert "library-20261125-100000.sqlite3" in run_repair(settings).steps[0]
    assert titles(settings) == ["shot 0"]


def test_an_empty_library_file_with_originals_is_damage(settings: Settings) -> None:
    three_images_then_a_snapshot_then_one_more(settings)
    library(settings).write_bytes(b"")
    report = run_check(settings)
    assert [f.text for f in report.findings] == [
        f"the library {library(settings)} is empty (0 bytes) while 4 originals exist"
    ]
    assert run_repair(settings).after.findings == []
    assert len(titles(settings)) == 3


def test_a_full_text_index_out_of_step_is_found_and_rebuilt(settings: Settings) -> None:
    add_images(settings, range(2))
    with sqlite3.connect(library(settings)) as db:
        db.execute("INSERT INTO images_fts(images_fts) VALUES('delete-all')")
    db.close()
    report = run_check(settings)
    assert [f.area for f in report.findings] == [FULL_TEXT]
    with StreamImageManager(settings, clock=lambda: T0) as manager:
        assert manager.images(OWNER, search="hot") == []  # a substring: the trigram index
    repaired = run_repair(settings)
    assert repaired.steps[0] == "rebuilt the full-text index and recounted the streams"
    assert not repaired.after.findings
    with StreamImageManager(settings, clock=lambda: T0) as manager:
        assert len(manager.images(OWNER, search="hot")) == 2


def test_kept_stream_counts_out_of_step_are_found_and_recounted(settings: Settings) -> None:
    """`stats`, `streams` and the limit trust the counts triggers keep; a file edited by hand
    (or by another build) that breaks them is named, and --repair counts them again."""
    add_images(settings, range(3))
    with sqlite3.connect(library(settings)) as db:
        db.execute("UPDATE stream_totals SET images = images + 5, views = 99")
        db.execute("UPDATE streams SET image_count = 40")
    db.close()
    report = run_check(settings)
    assert [f.area for f in report.findings] == [COUNTS]
    assert report.findings[0].text.endswith("kept stream counts differ from a recount")
    repaired = run_repair(settings)
    assert repaired.steps[0] == "rebuilt the full-text index and recounted the streams"
    assert not repaired.after.findings
    with StreamImageManager(settings, clock=lambda: T0) as manager:
        stats = manager.stats(OWNER)
        assert (stats.total, stats.views) == (3, 0)
        assert [s.visible_images for s in manager.streams(OWNER)] == [3]


CRASHING_IMPORT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.core.models import OWNER
    from streamimages_desktop.core.settings import Settings
    from tests.images import image_bytes
    settings = Settings.load({}, library=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))
    manager = StreamImageManager(settings)
    for seed in (10, 11):
        manager.import_bytes(OWNER, "s1", image_bytes(seed=seed), f"late {seed}.png")
    os._exit(0)  # like a crash: no close, no checkpoint; the WAL and SHM stay
    """
)


def crash_after_two_more(settings: Settings) -> None:
    subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHING_IMPORT,
            settings.stream_images_dir,
            settings.image_cache_dir,
        ],
        check=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert Path(f"{library(settings)}-wal").stat().st_size > 0


def test_a_deleted_shm_loses_nothing(settings: Settings) -> None:
    add_images(settings, range(2))
    crash_after_two_more(settings)
    Path(f"{library(settings)}-shm").unlink()
    report = run_check(settings)
    assert not report.findings
    assert report.images == 4
    assert titles(settings) == ["late 10", "late 11", "shot 0", "shot 1"]


def test_a_deleted_wal_loses_only_what_it_held_and_the_library_stays_sound(
    settings: Settings,
) -> None:
    add_images(settings, range(2))
    crash_after_two_more(settings)
    Path(f"{library(settings)}-wal").unlink()
    Path(f"{library(settings)}-shm").unlink()
    report = run_check(settings)
    assert not report.findings
    assert titles(settings) == ["shot 0", "shot 1"]


def test_repair_never_replays_the_damaged_files_wal_into_the_snapshot(settings: Settings) -> None:
    add_images(settings, range(2))
    backups.take_snapshot(library(settings), T0 + timedelta(days=1), keep=7)
    crash_after_two_more(settings)  # rows of the damaged file wait in its WAL
    garble(library(settings))
    wal = Path(f"{library(settings)}-wal")
    wal_bytes = wal.read_bytes()
    assert_refused(settings)
    assert run_check(settings).damaged(DATABASE)
    assert wal.read_bytes() == wal_bytes  # neither opening nor checking lost it
    repaired = run_repair(settings)
    assert not repaired.after.findings
    assert titles(settings) == ["shot 0", "shot 1"]
    kept = library(settings).with_name(f"{LIBRARY_FILE}.damaged-20261126-100000-wal")
    assert kept.read_bytes() == wal_bytes


def rendition_files(settings: Settings) -> list[Path]:
    return sorted(p for p in (settings.image_cache_dir / FILES_DIR).rglob("*.jpg"))


def test_damaged_and_missing_rendition_files_are_found_and_made_again(settings: Settings) -> None:
    ids = add_images(settings, range(3))
    files = rendition_files(settings)
    assert len(files) == 3
    garbled = files[0]
    garbled.write_bytes(bytes(len(garbled.read_bytes())))  # same size, wrong bytes
    files[1].unlink()  # the cache sweeps at most daily, so its row still names the file
    report = run_check(settings)
    assert sorted((f.area, f.text) for f in report.findings) == sorted(
        (
            RENDITION,
            f"image {gone.name[:32]}: the cached thumb was missing or damaged"
            " (dropped; check --repair makes it again)",
        )
        for gone in (garbled, files[1])
    )
    assert report.notes == ["2 thumbnails not cached (check --repair makes them)"]
    repaired = run_repair(settings)
    assert "made 2 missing thumbnails" in repaired.steps
    assert (repaired.after.findings, repaired.after.notes) == ([], [])
    assert len(rendition_files(settings)) == 3
    with StreamImageManager(settings, clock=lambda: T0) as manager:
        for image_id in ids:
            assert manager.rendition(OWNER, image_id)[:2] == b"\xff\xd8"
    assert len(rendition_files(settings)) == 3


def test_an_original_missing_or_altered_is_reported_by_its_row(settings: Settings) -> None:
    ids = add_images(settings, range(3))
    with StreamImageManager(settings, clock=lambda: T0) as manager:
        images = {i.id: i for i in manager.images(OWNER)}
    originals = settings.stream_images_dir / "originals"

    def blob(image_id: str) -> Path:
        return next(originals.rglob(f"{images[image_id].sha256}.*"))

    missing, longer, flipped = blob(ids[0]), blob(ids[1]), blob(ids[2])
    missing.unlink()
    longer.write_bytes(longer.read_bytes() + b"x")
    data = bytearray(flipped.read_bytes())
    data[-1] ^= 0xFF
    flipped.write_bytes(bytes(data))

    report = run_check(settings)
    assert [f.text for f in report.findings] == [
        f"image {ids[0]}: original {missing} is missing",
        f"image {ids[1]}: original {longer} has {images[ids[1]].bytes + 1} bytes, the row says "
        f"{images[ids[1]].bytes}",
    ]
    assert all(f.area == ORIGINAL for f in report.findings)
    full = run_check(settings, full=True)
    assert len(full.findings) == 3
    assert full.findings[2].text.startswith(f"image {ids[2]}: original {flipped} has SHA-256 ")
    assert "sizes and SHA-256" in full.summary()
    # Repair cannot bring an original back: the rows stay and are still reported.
    repaired = run_repair(settings)
    assert len(repaired.after.findings) == 2
    assert len(titles(settings)) == 3


def test_a_healthy_library_checks_clean_through_the_manager(settings: Settings) -> None:
    add_images(settings, range(2))
    with StreamImageManager(settings._replace(), clock=lambda: T0) as manager:
        report = manager.check(full=True)
    assert report.findings == [] and report.notes == []
    assert report.summary() == "checked 2 images (sizes and SHA-256): no damage found"
