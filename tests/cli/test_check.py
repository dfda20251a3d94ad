"""`streamimages check [--full] [--repair]` run for real: its lines, exit codes and the disk."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from streamimages_desktop.core import backups
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.images import image_bytes


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamimages_desktop", "--library", str(tmp_path / "lib"),
         "--cache-dir", str(tmp_path / "cache"), *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def seeded(tmp_path: Path, count: int = 2) -> list[str]:
    settings = Settings.load({}, library=tmp_path / "lib", cache_dir=tmp_path / "cache")
    with StreamImageManager(settings) as manager:
        ids = [
            manager.import_bytes(OWNER, "s1", image_bytes(seed=n), f"{n}.png").image_id
            for n in range(count)
        ]
    return [i for i in ids if i is not None]


def test_a_clean_library_checks_clean(tmp_path: Path) -> None:
    seeded(tmp_path)
    proc = run(tmp_path, "check")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == "checked 2 images (sizes; --full hashes them): no damage found\n"
    full = run(tmp_path, "check", "--full")
    assert full.stdout == "checked 2 images (sizes and SHA-256): no damage found\n"
    assert run(tmp_path / "none", "check").stdout.endswith("no damage found\n")  # no library yet


def test_a_garbled_library_is_named_found_and_restored_with_its_rows(tmp_path: Path) -> None:
    ids = seeded(tmp_path)
    library = tmp_path / "lib" / LIBRARY_FILE
    backups.take_snapshot(library, datetime(2030, 1, 1, tzinfo=UTC), keep=7)
    library.write_bytes(b"\x00" * 100 + library.read_bytes()[100:])

    listed = run(tmp_path, "list")
    assert (listed.returncode, listed.stdout) == (1, "")
    assert listed.stderr == (
        f"streamimages: the library {library} is damaged: run `streamimages check --repair`\n"
    )
    checked = run(tmp_path, "check")
    assert checked.returncode == 1
    assert checked.stdout == (
        f"database: the library {library} is damaged: file is not a database\n"
        "checked 0 images (sizes; --full hashes them): 1 problem found\n"
    )
    repaired = run(tmp_path, "check", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    lines = repaired.stdout.splitlines()
    assert lines[0].startswith(
        f"repair: restored {LIBRARY_FILE} from {tmp_path / 'lib' / 'backups'}"
        "/library-20300101-000000.sqlite3 (the damaged file is kept as library.sqlite3.damaged-"
    )
    assert lines[1:] == [
        "repair: rebuilt the full-text index and recounted the streams",
        "repair: made 0 missing thumbnails",
        "checked 2 images (sizes; --full hashes them): no damage found",
    ]
    back = json.loads(run(tmp_path, "list", "--json").stdout)
    assert sorted(i["id"] for i in back) == sorted(ids)


def test_a_missing_original_is_reported_by_its_row_and_repair_does_not_hide_it(
    tmp_path: Path,
) -> None:
    ids = seeded(tmp_path)
    shown = json.loads(run(tmp_path, "show", ids[0], "--json").stdout)
    blob = next((tmp_path / "lib" / "originals").rglob(f"{shown['sha256']}.*"))
    blob.unlink()
    for args in (["check"], ["check", "--repair"]):
        proc = run(tmp_path, *args)
        assert proc.returncode == 1
        assert f"original: image {ids[0]}: original {blob} is missing\n" in proc.stdout
        assert proc.stdout.endswith("2 images (sizes; --full hashes them): 1 problem found\n")
    assert len(json.loads(run(tmp_path, "list", "--json").stdout)) == 2


def test_check_is_in_the_help(tmp_path: Path) -> None:
    proc = run(tmp_path, "check", "--help")
    assert proc.returncode == 0
    assert "--repair" in proc.stdout and "--full" in proc.stdout


def test_check_collects_what_a_crash_left_after_the_grace_period(tmp_path: Path) -> None:
    """An original no row uses (a kill between blob and row) goes once it is old enough."""
    seeded(tmp_path)
    settings = Settings.load({}, library=tmp_path / "lib", cache_dir=tmp_path / "cache")
    with StreamImageManager(settings, housekeeping_at_start=False) as manager:
        blobs = manager._blobs
        data = image_bytes(seed=99)
        sha = hashlib.sha256(data).hexdigest()
        blobs.put(data, sha, "PNG")
        orphan = blobs.path_for(sha, "PNG")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    assert orphan.exists()
    proc = run(tmp_path, "check")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "orphans: removed 1 unused original, 0 renditions of images with no row, "
        "0 abandoned temp files"
    )
    assert not orphan.exists()
    again = run(tmp_path, "check")  # nothing left: no orphans line at all
    assert again.stdout == "checked 2 images (sizes; --full hashes them): no damage found\n"
