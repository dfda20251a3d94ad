"""Atomic writes leave the old file or the whole new one, never a part, and clean up."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streamimages_desktop.core import atomic, paths, process_lock
from tests.core.library_procs import child_env


def test_write_replaces_whole_file_with_private_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"
    atomic.atomic_write(target, b"first")
    atomic.atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


@pytest.mark.parametrize("through_link", [False, True], ids=["pipe", "link-to-pipe"])
def test_a_pipe_or_device_in_the_way_is_refused_not_replaced(
    tmp_path: Path, through_link: bool
) -> None:
    """Renaming over a device replaces it: run as root, a settings file of /dev/null would
    have become a regular file. A pipe stands in for a device (no root needed to make it)."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    target = tmp_path / "link" if through_link else pipe
    if through_link:
        target.symlink_to(pipe)
    with pytest.raises(atomic.SpecialFileInTheWay) as err:
        atomic.atomic_write(target, b"data")
    assert err.value.strerror == "a device, pipe or socket is in the way (a file is needed there)"
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert target.is_symlink() is through_link
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"pipe", target.name})


def test_disk_full_keeps_old_content_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.bin"
    atomic.atomic_write(target, b"old")

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as err:
        atomic.atomic_write(target, b"new")
    assert err.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _dead_writer_token() -> str:
    """The token of a process that has ended (its pid may be reused: the start time differs)."""
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from streamimages_desktop.core import process_lock as p;print(p.process_token())",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    return child.stdout.strip()


def test_leftovers_of_a_dead_writer_are_removed_once_old(tmp_path: Path) -> None:
    (tmp_path / "ab").mkdir()
    dead = tmp_path / "ab" / f".{'0' * 16}.w{_dead_writer_token()}{atomic.TEMP_SUFFIX}"
    legacy = tmp_path / "ab" / f".tmp123{atomic.TEMP_SUFFIX}"  # an older version's name
    for part in (dead, legacy):
        part.write_bytes(b"half")
    (tmp_path / "ab" / "keep.jpg").write_bytes(b"whole")

    assert atomic.remove_leftovers(tmp_path) == 0  # young: inside the grace period
    for part in (dead, legacy):
        _age(part, atomic.TEMP_GRACE_SECONDS + 1)
    assert atomic.remove_leftovers(tmp_path) == 2
    assert [p.name for p in (tmp_path / "ab").iterdir()] == ["keep.jpg"]


def test_a_live_writers_temp_file_is_never_removed(tmp_path: Path) -> None:
    mine = tmp_path / atomic.temp_name()
    mine.write_bytes(b"being written")
    _age(mine, 10 * atomic.TEMP_GRACE_SECONDS)
    assert atomic.temp_writer(mine.name) == process_lock.process_token()

    assert atomic.remove_leftovers(tmp_path, grace=0) == 0
    assert mine.exists()


def test_cache_dir_is_private_and_tagged(tmp_path: Path) -> None:
    cache = paths.ensure_cache_dir(tmp_path / "cache")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert (
        (cache / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
