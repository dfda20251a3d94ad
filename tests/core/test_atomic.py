"""Atomic writes leave the old file or the whole new one, never a part, and clean up."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from streamimages_desktop.core import atomic, paths


def test_write_replaces_whole_file_with_private_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"
    atomic.atomic_write(target, b"first")
    atomic.atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


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


def test_leftovers_from_an_interrupted_write_are_removed(tmp_path: Path) -> None:
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / f".tmp123{atomic.TEMP_SUFFIX}").write_bytes(b"half")
    (tmp_path / "ab" / "keep.jpg").write_bytes(b"whole")
    assert atomic.remove_leftovers(tmp_path) == 1
    assert [p.name for p in (tmp_path / "ab").iterdir()] == ["keep.jpg"]


def test_cache_dir_is_private_and_tagged(tmp_path: Path) -> None:
    cache = paths.ensure_cache_dir(tmp_path / "cache")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert (
        (cache / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
