"""Originals staged by the import's workers (issue 14): written ahead into temp files, used by
the group commit, and removed whenever the file is not stored, so nothing is left behind."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from streamimages_desktop.core import blobs as blobs_module
from streamimages_desktop.core import import_window
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.importer import ImportResult, ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.backends import library_snapshot
from tests.images import write_image


def temp_files(settings: Settings) -> list[Path]:
    return list((settings.stream_images_dir / "originals").rglob("*.part"))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_put_many_takes_the_staged_files_and_discards_the_one_it_does_not_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path / "originals")
    items = [(bytes([i]) * 100, f"{i:064x}", "PNG") for i in range(1, 4)]
    store.put(*items[0])
    assert store.stage(*items[0]) is None  # nothing to write: the blob is there
    staged = [None, store.stage(*items[1]), store.stage(*items[2])]
    assert len(list(tmp_path.rglob("*.part"))) == 2  # written ahead, not yet visible
    assert not store.path_for(items[1][1], "PNG").exists()
    store.put(*items[2])  # another import stores the third first

    def no_second_write(*_: object) -> None:
        raise AssertionError("put_many wrote a file that was staged")

    monkeypatch.setattr(blobs_module, "_write_temp", no_second_write)
    assert store.put_many(items, staged) == [False, True, False]
    for data, sha, fmt in items:
        assert store.read(sha, fmt) == data
    assert list(tmp_path.rglob("*.part")) == []


def test_a_cancelled_import_removes_what_its_workers_staged(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_window, "GROUP_FILES", 1)
    paths = [write_image(tmp_path / f"{i:02d}.png", seed=i) for i in range(12)]
    cancel = threading.Event()

    def progress(done: int, _total: int, _result: ImportResult) -> None:
        if done == 2:
            cancel.set()  # the window has prepared (and staged) files ahead by now

    with StreamImageManager(settings) as manager:
        fds = open_fds()
        results = manager.import_paths(OWNER, "s1", paths, progress=progress, cancel=cancel)
        assert open_fds() == fds  # no staged file is left open either
    assert [r.status for r in results] == [ImportStatus.IMPORTED] * 2
    assert temp_files(settings) == []
    originals, thumbnails, rows = library_snapshot(settings)  # thumbnails made ahead went too
    assert (len(originals), len(thumbnails), len(rows)) == (2, 2, 2)


def test_files_over_the_stream_limit_leave_no_staged_original(
    tmp_path: Path, settings: Settings
) -> None:
    limited = Settings.load(
        {"MAX_STREAM_IMAGES_PER_STREAM": "2"},
        config_file=tmp_path / "none.toml",
        library=settings.stream_images_dir,
        cache_dir=settings.image_cache_dir,
    )
    paths = [write_image(tmp_path / f"{i:02d}.png", seed=i) for i in range(6)]
    with StreamImageManager(limited) as manager:
        results = manager.import_paths(OWNER, "s1", paths)
    assert [r.status for r in results].count(ImportStatus.IMPORTED) == 2
    assert temp_files(limited) == []
    originals, thumbnails, rows = library_snapshot(limited)
    assert (len(originals), len(thumbnails), len(rows)) == (2, 2, 2)


def test_a_duplicate_in_the_same_import_keeps_no_thumbnail_made_ahead(
    settings: Settings, tmp_path: Path
) -> None:
    first = write_image(tmp_path / "a.png", seed=1)
    (tmp_path / "b.png").write_bytes(first.read_bytes())
    with StreamImageManager(settings) as manager:
        results = manager.import_paths(OWNER, "s1", [first, tmp_path / "b.png"])
    assert [r.status for r in results] == [ImportStatus.IMPORTED, ImportStatus.DUPLICATE]
    originals, thumbnails, rows = library_snapshot(settings)
    assert (len(originals), len(thumbnails), len(rows)) == (1, 1, 1)


def test_a_file_that_cannot_be_staged_is_written_by_the_commit(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(BlobStore, "stage", lambda self, *a: refuse())
    paths = [write_image(tmp_path / f"{i}.png", seed=i) for i in range(3)]
    with StreamImageManager(settings) as manager:
        results = manager.import_paths(OWNER, "s1", paths)
    assert all(r.status is ImportStatus.IMPORTED for r in results), results
    assert temp_files(settings) == []
