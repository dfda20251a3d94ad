"""blobs: content-addressed layout, atomic writes, private folders, only digests become paths."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from streamimages_desktop.core import atomic
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.imaging import EXTENSION_FOR_FORMAT
from tests.images import image_bytes


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_below(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "library" / "originals")


def test_root_is_created_private(tmp_path: Path) -> None:
    root = tmp_path / "a" / "originals"
    BlobStore(root)
    assert root.is_dir()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@pytest.mark.parametrize(("fmt", "ext"), sorted(EXTENSION_FOR_FORMAT.items()))
def test_layout_is_two_levels_of_the_digest(store: BlobStore, fmt: str, ext: str) -> None:
    data = image_bytes(fmt)
    digest = sha(data)

    assert store.put(data, digest, fmt) is True

    expected = store.root / digest[:2] / digest[2:4] / f"{digest}.{ext}"
    assert store.path_for(digest, fmt) == expected
    assert files_below(store.root) == [expected]
    assert expected.read_bytes() == data
    assert store.read(digest, fmt) == data
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
    for folder in (expected.parent, expected.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_put_twice_reports_the_existing_blob_and_keeps_it(store: BlobStore) -> None:
    data = image_bytes("PNG")
    digest = sha(data)
    assert store.put(data, digest, "PNG") is True
    path = store.path_for(digest, "PNG")
    old = path.stat().st_mtime - 3600
    os.utime(path, (old, old))
    before = path.stat().st_ino

    assert store.put(data, digest, "PNG") is False

    assert path.stat().st_ino == before and path.read_bytes() == data  # not rewritten
    assert path.stat().st_mtime > old + 3000  # young again: the orphan collector waits
    assert len(files_below(store.root)) == 1


def test_racing_puts_of_the_same_blob_write_it_once(store: BlobStore) -> None:
    data = image_bytes("PNG", size=(300, 300))
    digest = sha(data)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.put(data, digest, "PNG"), range(32)))
    assert results.count(True) == 1
    assert files_below(store.root) == [store.path_for(digest, "PNG")]
    assert store.read(digest, "PNG") == data


def test_same_digest_in_another_format_is_another_file(store: BlobStore) -> None:
    data = image_bytes("PNG")
    digest = sha(data)
    store.put(data, digest, "PNG")
    assert store.put(data, digest, "GIF") is True
    assert len(files_below(store.root)) == 2


def test_read_missing_raises_file_not_found(store: BlobStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.read("0" * 64, "JPEG")


def test_remove_deletes_and_missing_is_fine(store: BlobStore) -> None:
    data = image_bytes("JPEG")
    digest = sha(data)
    store.put(data, digest, "JPEG")
    other = image_bytes("JPEG", seed=9)
    store.put(other, sha(other), "JPEG")

    store.remove(digest, "JPEG")
    store.remove(digest, "JPEG")  # already gone
    store.remove("f" * 64, "PNG")  # never existed

    assert not store.path_for(digest, "JPEG").exists()
    assert files_below(store.root) == [store.path_for(sha(other), "JPEG")]
    with pytest.raises(FileNotFoundError):
        store.read(digest, "JPEG")
    assert store.put(data, digest, "JPEG") is True  # can come back after removal


def test_a_failed_write_leaves_no_file_and_no_temp(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = image_bytes("PNG", size=(200, 200))
    digest = sha(data)
    attempts: list[tuple[object, object]] = []

    def disk_full(src: object, dst: object) -> None:
        attempts.append((src, dst))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)

    with pytest.raises(OSError) as info:
        store.put(data, digest, "PNG")

    assert info.value.errno == errno.ENOSPC
    assert len(attempts) == 1, "the temp file was written and the rename attempted"
    assert files_below(store.root) == []
    monkeypatch.undo()
    assert store.put(data, digest, "PNG") is True  # a later retry succeeds


def test_an_interrupted_write_is_never_visible_under_the_final_name(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = image_bytes("PNG", size=(200, 200))
    digest = sha(data)
    final = store.path_for(digest, "PNG")
    seen: list[bool] = []
    real_fsync = os.fsync

    def crash_after_data_is_written(fd: int) -> None:
        real_fsync(fd)
        seen.append(final.exists())
        raise KeyboardInterrupt  # as abrupt as it gets inside Python

    monkeypatch.setattr(os, "fsync", crash_after_data_is_written)

    with pytest.raises(KeyboardInterrupt):
        store.put(data, digest, "PNG")

    assert seen == [False]
    assert not final.exists()
    assert files_below(store.root) == []


def test_clean_leftovers_removes_only_temp_files(store: BlobStore) -> None:
    data = image_bytes("GIF")
    digest = sha(data)
    store.put(data, digest, "GIF")
    folder = store.path_for(digest, "GIF").parent
    (folder / f".tmpabc{atomic.TEMP_SUFFIX}").write_bytes(b"half a pic")
    deep = store.root / "12" / "34"
    deep.mkdir(parents=True)
    (deep / f".x{atomic.TEMP_SUFFIX}").write_bytes(b"")

    assert store.clean_leftovers(grace=0) == 2

    assert files_below(store.root) == [store.path_for(digest, "GIF")]
    assert store.clean_leftovers(grace=0) == 0


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "abc",
        "A" * 64,  # upper case
        "g" * 64,
        "0" * 63,
        "0" * 65,
        "../" + "0" * 61,
        "0" * 62 + "/x",
        "0" * 63 + "\n",
        "\uff10" * 64,  # full-width digit zero is not hex
    ],
)
def test_only_a_lowercase_hex_digest_becomes_a_path(store: BlobStore, bad: str) -> None:
    data = b"payload"
    for call in (
        lambda: store.path_for(bad, "PNG"),
        lambda: store.put(data, bad, "PNG"),
        lambda: store.read(bad, "PNG"),
        lambda: store.remove(bad, "PNG"),
    ):
        with pytest.raises(ValueError, match="sha256"):
            call()
    assert files_below(store.root.parent) == []


@pytest.mark.parametrize("fmt", ["TIFF", "jpeg", "", "../PNG"])
def test_unknown_format_is_refused(store: BlobStore, fmt: str) -> None:
    with pytest.raises(ValueError, match="format"):
        store.put(b"x", "0" * 64, fmt)
    assert files_below(store.root) == []


def test_a_visibility_is_accepted_and_changes_nothing(store: BlobStore) -> None:
    """Callers pass the visibility to the local store and the team's S3 store alike."""
    data = image_bytes("PNG")
    digest = sha(data)
    assert store.put(data, digest, "PNG", visibility="private") is True
    path = store.path_for(digest, "PNG")
    assert store.read(digest, "PNG", visibility="public") == data
    store.move(digest, "PNG", "private", "public")
    assert store.path_for(digest, "PNG") == path and path.read_bytes() == data
    assert store.put(data, digest, "PNG", visibility="public") is False
    store.remove(digest, "PNG", visibility="subscribers")
    assert not path.exists()
