"""Which writes are made durable (issue 14): originals are fsynced, file and folder; rendition
cache files, regenerable and checked on read, are not."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from streamimages_desktop.core import atomic
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every os.fsync made from Python (SQLite's own syncs are in C and not counted)."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_atomic_write_syncs_the_file_and_its_folder_by_default(
    tmp_path: Path, fsyncs: list[int]
) -> None:
    atomic.atomic_write(tmp_path / "f", b"data")
    assert len(fsyncs) == 2
    assert (tmp_path / "f").read_bytes() == b"data"


def test_atomic_write_without_fsync_is_still_whole_and_private(
    tmp_path: Path, fsyncs: list[int]
) -> None:
    atomic.atomic_write(tmp_path / "f", b"old")
    fsyncs.clear()
    atomic.atomic_write(tmp_path / "f", b"new", fsync=False)
    assert fsyncs == []
    assert (tmp_path / "f").read_bytes() == b"new"
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f"]  # no temp file left


def test_an_original_is_durable_and_a_rendition_is_not_synced(
    tmp_path: Path, fsyncs: list[int]
) -> None:
    data = b"\x89PNG not really"
    sha = hashlib.sha256(data).hexdigest()
    BlobStore(tmp_path / "originals").put(data, sha, "PNG")
    assert len(fsyncs) >= 2  # the bytes and the rename
    cache = DiskCache(tmp_path / "cache", 10_000_000, 3600.0)
    fsyncs.clear()
    key = RenditionKey("ab" * 16, "thumb", sha)
    try:
        cache.put(key, b"thumbnail bytes")
        assert fsyncs == []
        assert cache.get(key) == b"thumbnail bytes"
    finally:
        cache.close()
