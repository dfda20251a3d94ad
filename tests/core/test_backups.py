"""Library snapshots: the backup API at start-up, at most once per interval, the newest N kept."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streamimages_desktop.core import backups
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings, SettingsError
from tests.images import image_bytes


class DayClock:
    """A datetime clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def start(settings: Settings, clock: DayClock) -> None:
    StreamImageManager(settings, clock=clock).close()


def names(settings: Settings) -> list[str]:
    folder = settings.stream_images_dir / backups.BACKUPS_DIR
    return sorted(p.name for p in folder.iterdir())


def test_at_most_one_snapshot_per_interval_and_only_the_newest_kept(settings: Settings) -> None:
    settings = settings._replace(library_backup_interval_hours=24.0, library_backups_kept=3)
    clock = DayClock()
    start(settings, clock)
    assert names(settings) == ["library-20261124-100000.sqlite3"]
    for hours in (1, 12, 23.9):  # not due again within the interval
        clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC) + timedelta(hours=hours)
        start(settings, clock)
        assert names(settings) == ["library-20261124-100000.sqlite3"]
    for day in range(1, 5):
        clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC) + timedelta(days=day)
        start(settings, clock)
        start(settings, clock)  # a second start the same moment adds nothing
    assert names(settings) == [
        "library-20261126-100000.sqlite3",
        "library-20261127-100000.sqlite3",
        "library-20261128-100000.sqlite3",
    ]


def test_a_clock_set_back_snapshots_again_and_keep_zero_turns_snapshots_off(
    settings: Settings,
) -> None:
    clock = DayClock()
    start(settings, clock)
    clock.now -= timedelta(days=2)
    start(settings, clock)
    assert names(settings) == ["library-20261122-100000.sqlite3", "library-20261124-100000.sqlite3"]
    other = settings._replace(stream_images_dir=settings.stream_images_dir.parent / "other")
    start(other._replace(library_backups_kept=0), clock)
    assert not (other.stream_images_dir / backups.BACKUPS_DIR).exists()


def test_a_snapshot_is_a_private_self_contained_copy_of_the_committed_rows(
    settings: Settings,
) -> None:
    clock = DayClock()
    with StreamImageManager(settings, clock=clock) as manager:
        for seed in range(3):
            manager.import_bytes(OWNER, "s1", image_bytes(seed=seed), f"{seed}.png")
        # Taken while the library is open, in WAL mode, with the rows still in the WAL.
        library = settings.stream_images_dir / LIBRARY_FILE
        assert Path(f"{library}-wal").stat().st_size > 0
        snapshot = backups.take_snapshot(library, clock.now + timedelta(days=1), keep=7)
    folder = snapshot.parent
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [  # no temp file, no -wal beside it
        "library-20261124-100000.sqlite3",
        "library-20261125-100000.sqlite3",
    ]
    with sqlite3.connect(f"{snapshot.as_uri()}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert db.execute("SELECT count(*) FROM images").fetchone()[0] == 3
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # The folder's mtime carries the snapshot time: that single stat is the whole schedule.
    assert folder.stat().st_mtime == (clock.now + timedelta(days=1)).timestamp()


def test_a_failed_snapshot_is_logged_and_leaves_nothing_behind(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = DayClock()
    start(settings, clock)
    folder = settings.stream_images_dir / backups.BACKUPS_DIR
    os.chmod(folder, 0o700)
    (folder / backups.snapshot_name(clock.now + timedelta(days=1))).mkdir()  # in the way
    clock.now += timedelta(days=1)
    start(settings, clock)  # start-up goes on
    assert "library snapshot" in caplog.text
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == [
        "library-20261124-100000.sqlite3"
    ]


def test_old_temp_files_of_a_crashed_snapshot_are_removed(settings: Settings) -> None:
    clock = DayClock()
    start(settings, clock)
    folder = settings.stream_images_dir / backups.BACKUPS_DIR
    stale, young = folder / ".library-x-1.part", folder / ".library-y-2.part"
    stale.write_bytes(b"half")
    young.write_bytes(b"being written")
    os.utime(stale, (1.0, 1.0))
    clock.now += timedelta(days=1)
    start(settings, clock)
    assert not stale.exists()
    assert young.exists()


def test_the_two_settings_parse_and_refuse_with_their_names(tmp_path: Path) -> None:
    s = Settings.load(
        {"LIBRARY_BACKUP_INTERVAL_HOURS": "6", "LIBRARY_BACKUPS_KEPT": "2"},
        config_file=tmp_path / "none",
    )
    assert (s.library_backup_interval_hours, s.library_backups_kept) == (6.0, 2)
    defaults = Settings.load({}, config_file=tmp_path / "none")
    assert (defaults.library_backup_interval_hours, defaults.library_backups_kept) == (24.0, 7)
    with pytest.raises(SettingsError, match="LIBRARY_BACKUPS_KEPT"):
        Settings.load({"LIBRARY_BACKUPS_KEPT": "-1"}, config_file=tmp_path / "none")
    with pytest.raises(SettingsError, match="LIBRARY_BACKUP_INTERVAL_HOURS"):
        Settings.load({"LIBRARY_BACKUP_INTERVAL_HOURS": "0"}, config_file=tmp_path / "none")


def test_a_damaged_library_never_pushes_a_good_snapshot_out(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = DayClock()
    with StreamImageManager(settings, clock=clock) as manager:
        manager.import_bytes(OWNER, "s1", image_bytes(), "one.png")
    library = settings.stream_images_dir / LIBRARY_FILE
    with sqlite3.connect(library) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'images'").fetchone()
    db.close()
    with open(library, "r+b") as f:  # the images table's page: the file still opens
        f.seek((root - 1) * page_size)
        f.write(bytes(page_size))
    for day in range(1, 9):
        clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC) + timedelta(days=day)
        start(settings, clock)
    assert names(settings) == ["library-20261124-100000.sqlite3"]
    assert "the library looks damaged" in caplog.text
