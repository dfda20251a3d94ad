"""Orphans, private modes, a damaged library file and a full disk during an import's clean-up."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core import housekeeping
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_cache import RenditionKey
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.core.library_procs import child_env, sha256_of
from tests.images import image_bytes, write_image

# The disk fills up at a seam (argv[1]: "blob" = every file write, "row" = the row insert after
# the original was written), and every unlink under the library fails too (argv[2]).
FULL_DISK_IMPORT = """
import errno, os, sys
from streamimages_desktop.core import atomic, store
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.cli import main

seam, library = sys.argv[1:3]
real_unlink = os.unlink

def full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")

def full_db(*args, **kwargs):
    raise LibraryError("the disk is full: could not write the library")

def stuck(path, *args, **kwargs):
    if str(path).startswith(library):
        raise OSError(errno.EROFS, "Read-only file system")
    return real_unlink(path, *args, **kwargs)

if seam == "blob":
    atomic.write_all = full
else:
    store.Store.insert_images = full_db
os.unlink = stuck
sys.exit(main(sys.argv[3:]))
"""


def _old(path: Path, seconds: float = 2 * housekeeping.ORPHAN_GRACE_SECONDS) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def sha256_of_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """A common, permissive umask: private modes must not depend on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "streamimages_desktop",
            "--library",
            str(settings.stream_images_dir),
            "--cache-dir",
            str(settings.image_cache_dir),
            *args,
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_orphans_older_than_the_grace_period_are_collected(
    settings: Settings, tmp_path: Path
) -> None:
    with StreamImageManager(settings) as manager:
        kept = manager.import_paths(OWNER, "s", [write_image(tmp_path / "kept.png")])[0]
        blobs = BlobStore(settings.stream_images_dir / "originals")
        old_orphan, young_orphan = image_bytes(seed=1), image_bytes(seed=2)
        for data in (old_orphan, young_orphan):
            blobs.put(data, sha256_of_bytes(data), "PNG")
        _old(blobs.path_for(sha256_of_bytes(old_orphan), "PNG"))
        stale = RenditionKey("f" * 32, "thumb", "e" * 64)
        manager._disk_cache.put(stale, b"a thumbnail of an image that never got its row")

        report = manager.collect_orphans(grace_seconds=housekeeping.ORPHAN_GRACE_SECONDS)
        assert (report.originals, report.renditions) == (1, 0)  # the young ones wait
        assert blobs.path_for(sha256_of_bytes(young_orphan), "PNG").exists()
        assert not blobs.path_for(sha256_of_bytes(old_orphan), "PNG").exists()

        report = manager.collect_orphans(grace_seconds=0)
        assert (report.originals, report.renditions) == (1, 1)
        assert manager._disk_cache.get(stale) is None
        assert [i.id for i in manager.images(OWNER)] == [kept.image_id]
        assert manager.rendition(OWNER, str(kept.image_id))  # the used original stays


def test_housekeeping_runs_at_most_once_an_hour(settings: Settings) -> None:
    with StreamImageManager(settings) as manager:
        assert not manager.needs_housekeeping()  # the start-up just ran it
        marker = settings.stream_images_dir / housekeeping.MARKER_FILE
        _old(marker, housekeeping.HOUSEKEEPING_INTERVAL_SECONDS - 60)
        assert not manager.needs_housekeeping()
        _old(marker, housekeeping.HOUSEKEEPING_INTERVAL_SECONDS + 1)
        assert manager.needs_housekeeping()
    with StreamImageManager(settings, housekeeping_at_start=False) as manager:
        assert manager.needs_housekeeping()  # the window runs it in the background instead


def test_library_files_are_owner_only_whatever_the_umask(
    settings: Settings, tmp_path: Path, umask_022: None
) -> None:
    with StreamImageManager(settings) as manager:
        image = manager.import_paths(OWNER, "s", [write_image(tmp_path / "p.png")])[0]
        assert image.image_id is not None
        manager.rendition(OWNER, image.image_id, "display")
        library = settings.stream_images_dir
        db = library / LIBRARY_FILE
        files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        files += [p for p in (library / "originals").rglob("*") if p.is_file()]
        files += [p for p in (settings.image_cache_dir / "renditions").rglob("*") if p.is_file()]
        files.append(settings.image_cache_dir / "CACHEDIR.TAG")
        index = settings.image_cache_dir / "index.sqlite3"
        files += [index, index.with_name(index.name + "-wal"), index.with_name(index.name + "-shm")]
        folders = [library, *(p for p in library.rglob("*") if p.is_dir())]
        folders += [settings.image_cache_dir / "renditions"]
        folders += [p for p in (settings.image_cache_dir / "renditions").iterdir()]
        assert len(files) >= 6
        assert {str(p): _mode(p) for p in files} == {str(p): 0o600 for p in files}
        assert {str(p): _mode(p) for p in folders} == {str(p): 0o700 for p in folders}


def test_a_library_file_an_older_version_made_0644_becomes_owner_only(
    settings: Settings, umask_022: None
) -> None:
    StreamImageManager(settings).close()
    db = settings.stream_images_dir / LIBRARY_FILE
    os.chmod(db, 0o644)
    with StreamImageManager(settings):
        assert _mode(db) == 0o600


def test_a_library_folder_others_can_read_gets_one_warning(settings: Settings) -> None:
    fresh = _cli(settings, "stats")
    assert fresh.returncode == 0 and fresh.stderr == ""  # made by us: private, no warning
    os.chmod(settings.stream_images_dir, 0o755)
    shared = _cli(settings, "stats")
    assert shared.returncode == 0
    assert shared.stderr.count("\n") == 1
    assert shared.stderr.startswith("streamimages: warning: the library folder ")
    assert "chmod 700" in shared.stderr


def test_an_empty_library_file_with_originals_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    with StreamImageManager(settings) as manager:
        manager.import_paths(OWNER, "s", [write_image(tmp_path / "p.png")])
    db = settings.stream_images_dir / LIBRARY_FILE
    for side in ("-wal", "-shm"):
        db.with_name(db.name + side).unlink(missing_ok=True)
    db.write_bytes(b"")
    before = sorted(str(p) for p in settings.stream_images_dir.rglob("*"))

    result = _cli(settings, "list")

    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"streamimages: the library file {db} is empty but the library holds originals: "
        "restore it from a backup, or run `streamimages check --repair`\n"
    )
    assert sorted(str(p) for p in settings.stream_images_dir.rglob("*")) == before
    assert db.stat().st_size == 0
    with pytest.raises(LibraryError, match="is empty"):
        StreamImageManager(settings)


def test_a_fresh_folder_or_an_empty_file_without_originals_makes_a_new_library(
    settings: Settings,
) -> None:
    settings.stream_images_dir.mkdir(mode=0o700, parents=True)
    (settings.stream_images_dir / LIBRARY_FILE).write_bytes(b"")
    with StreamImageManager(settings) as manager:
        assert manager.images(OWNER) == []


@pytest.mark.parametrize(
    ("seam", "reason"),
    [("blob", "disk full"), ("row", "the disk is full: could not write the library")],
)
def test_a_full_disk_during_an_imports_clean_up_is_one_line(
    settings: Settings, tmp_path: Path, seam: str, reason: str
) -> None:
    StreamImageManager(settings).close()
    picture = write_image(tmp_path / "p.png")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            FULL_DISK_IMPORT,
            seam,
            str(settings.stream_images_dir),
            "--library",
            str(settings.stream_images_dir),
            "--cache-dir",
            str(settings.image_cache_dir),
            "import",
            "--stream",
            "s",
            str(picture),
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert (result.stdout + result.stderr).splitlines() == [f"rejected {picture}: {reason}"]
    with StreamImageManager(settings) as manager:
        assert manager.images(OWNER) == []
        manager.collect_orphans(grace_seconds=0)  # what the clean-up could not remove goes now
    originals = settings.stream_images_dir / "originals"
    assert [p for p in originals.rglob("*") if p.is_file()] == []
    assert sha256_of(picture)  # the source is untouched
