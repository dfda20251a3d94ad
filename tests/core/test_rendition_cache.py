"""Renditions end to end through StreamImageManager: access before any cache, damage regenerated."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.core import imaging
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
from streamimages_desktop.core.errors import NotFound
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.library_backend import cache_dir_of
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, StreamImage, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from tests.backends import rendition_files
from tests.images import image_bytes, truncated

pytestmark = pytest.mark.both_backends

SUBSCRIBER = Viewer(Role.SUBSCRIBER)
VIEWER = Viewer(Role.VIEWER)


@pytest.fixture
def manager(settings: Settings) -> Iterator[StreamImageManager]:
    with StreamImageManager(settings) as m:
        yield m


def add(manager: StreamImageManager, visibility: Visibility, seed: int = 0) -> StreamImage:
    data = image_bytes("PNG", (640, 480), seed=seed)
    result = manager.import_bytes(OWNER, "s1", data, f"img{seed}.png", ImportOptions(visibility))
    assert result.image_id is not None, result.reason
    return manager.image(OWNER, result.image_id)


cached_files = rendition_files


def decoded_size(data: bytes) -> tuple[int, int]:
    """Fully decode `data` (load(), not just the header): a half JPEG fails here."""
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        im.load()
        return im.size


class SpyGet:
    """Wraps DiskCache.get and records every key it was asked for."""

    def __init__(self, disk: DiskCache) -> None:
        self.asked: list[RenditionKey] = []
        self._get = disk.get

    def __call__(self, key: RenditionKey) -> bytes | None:
        self.asked.append(key)
        return self._get(key)


# -- access is checked before any cache is asked ------------------------------------------------


@pytest.mark.parametrize("rendition", ["thumb", "display"])
def test_private_rendition_is_refused_and_the_cache_never_asked(
    manager: StreamImageManager, monkeypatch: pytest.MonkeyPatch, rendition: str
) -> None:
    image = add(manager, Visibility.PRIVATE)
    assert decoded_size(manager.rendition(OWNER, image.id, rendition))  # now it is cached
    assert manager._disk_cache.get(RenditionKey(image.id, rendition, image.sha256)) is not None
    spy = SpyGet(manager._disk_cache)
    monkeypatch.setattr(manager._disk_cache, "get", spy)
    for viewer in (SUBSCRIBER, VIEWER):
        with pytest.raises(NotFound) as refused:
            manager.rendition(viewer, image.id, rendition)
        assert str(refused.value) == f"no image {image.id}"  # same words as a missing id
    assert spy.asked == []  # refused before the disk cache was consulted
    assert decoded_size(manager.rendition(OWNER, image.id, rendition))
    assert len(spy.asked) == 1  # the spy does see a permitted request


# -- a damaged cached file is regenerated from the original ------------------------------------


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "deleted":
        path.unlink()
    elif how == "truncated":
        path.write_bytes(truncated(data, 0.5))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "bit-flipped":  # same size, so only the checksum can tell
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0xFF
        path.write_bytes(bytes(flipped))
    else:  # the bytes of another JPEG, same length: plausible on disk, but not ours
        other = image_bytes("JPEG", (200, 150), seed=9)
        path.write_bytes(other[: len(data)].ljust(len(data), b"\0"))


@pytest.mark.parametrize("how", ["deleted", "truncated", "empty", "bit-flipped", "swapped"])
def test_a_damaged_cached_thumbnail_is_regenerated_and_rewritten(
    manager: StreamImageManager, settings: Settings, how: str
) -> None:
    image = add(manager, Visibility.PUBLIC)
    expected = imaging.render(image_bytes("PNG", (640, 480), seed=0), imaging.THUMB_SIZE)
    first = manager.rendition(SUBSCRIBER, image.id)
    assert first == expected and decoded_size(first) == (200, 150)
    [path] = cached_files(settings)
    damage(path, how)
    corrupt_before = manager.disk_cache_stats().corrupt

    again = manager.rendition(SUBSCRIBER, image.id)

    assert again == expected and decoded_size(again) == (200, 150)
    [rewritten] = cached_files(settings)
    assert rewritten.read_bytes() == expected  # the file on disk is whole again
    assert manager.disk_cache_stats().corrupt == corrupt_before + 1
    hits = manager.disk_cache_stats().hits
    assert manager.rendition(SUBSCRIBER, image.id) == expected
    assert manager.disk_cache_stats().hits == hits + 1  # and served from the cache after that


def test_damage_found_after_a_restart_is_regenerated(settings: Settings) -> None:
    with StreamImageManager(settings) as manager:
        image = add(manager, Visibility.PUBLIC)
        expected = manager.rendition(OWNER, image.id, "display")
    for path in cached_files(settings):
        damage(path, "truncated")
    with StreamImageManager(settings) as manager:
        assert manager.rendition(OWNER, image.id, "display") == expected
        assert manager.rendition(OWNER, image.id) == imaging.render(
            image_bytes("PNG", (640, 480), seed=0), imaging.THUMB_SIZE
        )
        assert all(
            p.read_bytes() in (expected, manager.rendition(OWNER, image.id))
            for p in cached_files(settings)
        )


def test_a_rendition_of_another_original_is_never_served(manager: StreamImageManager) -> None:
    image = add(manager, Visibility.PUBLIC)
    stale = image_bytes("JPEG", (200, 150), seed=7)
    old_sha = hashlib.sha256(b"the original this image had before").hexdigest()
    manager._disk_cache.discard_image(image.id)
    manager._disk_cache.put(RenditionKey(image.id, "thumb", old_sha), stale)
    served = manager.rendition(OWNER, image.id)
    assert served != stale
    assert served == imaging.render(image_bytes("PNG", (640, 480), seed=0), imaging.THUMB_SIZE)


# -- a read-only or unusable cache folder: everything works uncached, with one warning ----------


def _unwritable(folder: Path) -> bool:
    try:
        (folder / "probe").write_bytes(b"")
    except OSError:
        return True
    (folder / "probe").unlink()
    return False


@contextlib.contextmanager
def unusable(folder: Path) -> Iterator[str]:
    """Make the existing cache `folder` unusable even for root; yields how, and says it.

    `chattr -R +i` where it works (it needs root or CAP_LINUX_IMMUTABLE), otherwise the folder
    is moved away and a file put in its place.
    """
    chattr = shutil.which("chattr")
    made = (
        chattr is not None
        and (
            subprocess.run([chattr, "-R", "+i", str(folder)], capture_output=True, check=False)
        ).returncode
        == 0
    )
    try:
        if made and _unwritable(folder):
            how = "read-only via chattr +i"
        else:
            folder.rename(folder.with_name(folder.name + ".moved"))
            folder.write_bytes(b"a file where the cache folder belongs")
            how = "a file in the way (chattr +i unavailable)"
        print(f"unusable cache folder made as: {how}")
        yield how
    finally:
        if made:
            subprocess.run([str(chattr), "-R", "-i", str(folder)], check=False)


def snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    if not folder.is_dir():
        return {}
    return {str(p): (p.stat().st_size, p.stat().st_mtime) for p in folder.rglob("*")}


def test_a_read_only_cache_serves_renditions_uncached_with_one_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with StreamImageManager(settings) as manager:
        image = add(manager, Visibility.PUBLIC)
        assert cached_files(settings)
    folder = cache_dir_of(settings)
    expected = imaging.render(image_bytes("PNG", (640, 480), seed=0), imaging.THUMB_SIZE)
    with unusable(folder) as how:
        before = snapshot(folder)
        caplog.clear()
        with caplog.at_level(logging.WARNING), StreamImageManager(settings) as manager:
            for _ in range(2):  # made afresh each time, never stored
                assert manager.rendition(SUBSCRIBER, image.id) == expected
                assert decoded_size(manager.rendition(OWNER, image.id, "display"))
            second = add(manager, Visibility.PUBLIC, seed=1)  # imports still work
            assert decoded_size(manager.rendition(OWNER, second.id))
            warning = manager.cache_warning
            stats = manager.disk_cache_stats()
        assert snapshot(folder) == before, how
    assert stats.hits == 0 and stats.misses >= 5
    assert warning is not None and str(folder) in warning and "library" not in warning
    assert [r.getMessage() for r in caplog.records] == [warning]  # said once


def test_a_cache_folder_that_cannot_be_created_works_uncached(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    parent = settings.image_cache_dir.parent / "locked"
    parent.mkdir()
    folder = parent / "cache"
    with unusable(parent) as how, caplog.at_level(logging.WARNING):
        target = folder if parent.is_dir() else parent
        with StreamImageManager(settings._replace(image_cache_dir=target)) as manager:
            image = add(manager, Visibility.PUBLIC)
            assert decoded_size(manager.rendition(OWNER, image.id))
            warning = manager.cache_warning
    assert warning is not None and str(target) in warning and "library" not in warning, how
    assert [r.getMessage() for r in caplog.records] == [warning]
