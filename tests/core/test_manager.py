"""The manager facade: who sees what, views, renditions from cache or original, edits, deletes."""

from __future__ import annotations

import io
import os
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.core import access, housekeeping, imaging
from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.errors import AccessDenied, NotFound, StreamExists
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Sort, StreamImage, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from tests.backends import original_names, remove_originals, rendition_files
from tests.images import image_bytes, write_image

pytestmark = pytest.mark.both_backends

SUBSCRIBER = Viewer(Role.SUBSCRIBER)
VIEWER = Viewer(Role.VIEWER)
ALL_VIEWERS = [OWNER, SUBSCRIBER, VIEWER]


class Clock:
    """A settable clock, one second further on every call, so created times are distinct."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(settings: Settings, clock: Clock) -> Iterator[StreamImageManager]:
    with StreamImageManager(settings, clock=clock) as m:
        yield m


def add(
    manager: StreamImageManager,
    visibility: Visibility = Visibility.PUBLIC,
    seed: int = 0,
    stream: str = "s1",
    size: tuple[int, int] = (64, 48),
    title: str | None = None,
) -> StreamImage:
    data = image_bytes("PNG", size, seed=seed)
    result = manager.import_bytes(
        OWNER, stream, data, f"img{seed}.png", ImportOptions(visibility, title=title)
    )
    assert result.image_id is not None, result.reason
    return manager.image(OWNER, result.image_id)


def jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        return im.size


# -- the library on disk ----------------------------------------------------------------------


@pytest.mark.local_only("the local library's folders and temp files")
def test_library_folders_are_private_and_leftovers_are_cleaned(settings: Settings) -> None:
    StreamImageManager(settings).close()
    for folder in (settings.stream_images_dir, settings.stream_images_dir / "originals"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    leftover = settings.stream_images_dir / "originals" / "ab" / "cd" / ".tmpx.part"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a blob, from a crash")
    old = time.time() - 2 * housekeeping.ORPHAN_GRACE_SECONDS
    os.utime(leftover, (old, old))
    (settings.stream_images_dir / housekeeping.MARKER_FILE).unlink()  # an hour has passed
    with StreamImageManager(settings) as manager:
        assert manager.settings is settings
    assert not leftover.exists()
    assert stat.S_IMODE(settings.image_cache_dir.stat().st_mode) == 0o700
    assert (settings.stream_images_dir / "library.sqlite3").is_file()


# -- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ALL_VIEWERS, ids=lambda v: v.role.value)
@pytest.mark.parametrize("visibility", list(Visibility), ids=lambda v: v.value)
def test_reads_never_reveal_what_a_role_may_not_see(
    manager: StreamImageManager, viewer: Viewer, visibility: Visibility
) -> None:
    image = add(manager, visibility, title="needle")
    add(manager, Visibility.PUBLIC, seed=1, title="other")
    visible = access.can_see(viewer, visibility)
    listed = {i.id for i in manager.images(viewer)}
    assert (image.id in listed) is visible
    assert (image.id in {i.id for i in manager.images(viewer, "s1", "needle")}) is visible
    assert manager.count(viewer) == 1 + visible
    assert manager.count(viewer, "s1", "needle") == int(visible)
    stats = manager.stats(viewer, "s1")
    assert stats.total == 1 + visible
    assert getattr(stats, visibility.value) == int(visible) + (visibility is Visibility.PUBLIC)
    assert [s.visible_images for s in manager.streams(viewer)] == [1 + visible]
    if visible:
        assert manager.image(viewer, image.id).id == image.id
        assert jpeg_size(manager.rendition(viewer, image.id))
    else:
        for read in (manager.image, manager.open_image, manager.rendition):
            with pytest.raises(NotFound) as err:
                read(viewer, image.id)
            assert str(err.value) == f"no image {image.id}"  # same words as a missing id
        with pytest.raises(NotFound) as missing:
            manager.image(viewer, "0" * 32)
        assert str(missing.value) == f"no image {'0' * 32}"


def test_rendition_is_refused_for_a_hidden_image_even_when_cached(
    manager: StreamImageManager, settings: Settings
) -> None:
    image = add(manager, Visibility.SUBSCRIBERS)
    assert jpeg_size(manager.rendition(OWNER, image.id))  # the thumbnail is in the disk cache
    assert jpeg_size(manager.rendition(SUBSCRIBER, image.id))
    before = manager.disk_cache_stats()
    with pytest.raises(NotFound):
        manager.rendition(VIEWER, image.id)
    after = manager.disk_cache_stats()
    assert (after.hits, after.misses) == (before.hits, before.misses)  # the cache was not asked
    manager.update_image(OWNER, image.id, visibility=Visibility.PRIVATE)
    with pytest.raises(NotFound):
        manager.rendition(SUBSCRIBER, image.id)


# -- views ------------------------------------------------------------------------------------


def test_open_image_counts_views_of_subscribers_and_viewers_not_the_owner(
    manager: StreamImageManager, clock: Clock
) -> None:
    image = add(manager)
    opened = manager.open_image(OWNER, image.id)
    assert (opened.views, opened.last_accessed) == (0, None)
    assert manager.image(VIEWER, image.id).views == 0  # image() alone never counts
    seen = manager.open_image(SUBSCRIBER, image.id)
    assert seen.views == 1 and seen.last_accessed == clock.now
    seen = manager.open_image(VIEWER, image.id)
    assert seen.views == 2 and seen.last_accessed == clock.now
    stored = manager.image(OWNER, image.id)
    assert (stored.views, stored.last_accessed) == (2, clock.now)
    assert manager.stats(OWNER).views == 2
    assert manager.images(OWNER, sort=Sort.MOST_VIEWED)[0].id == image.id


# -- renditions -------------------------------------------------------------------------------


def test_thumbnail_is_regenerated_when_its_cached_file_is_gone(
    manager: StreamImageManager, settings: Settings
) -> None:
    image = add(manager, size=(800, 400))
    files = rendition_files(settings)
    assert len(files) == 1  # the import cached the thumbnail
    cached = manager.rendition(OWNER, image.id)
    assert jpeg_size(cached) == (200, 100)
    files[0].unlink()
    regenerated = manager.rendition(OWNER, image.id)
    assert jpeg_size(regenerated) == (200, 100)
    assert len(rendition_files(settings)) == 1  # and stored again
    assert manager.rendition(OWNER, image.id) == regenerated


def test_display_rendition_fits_1600_and_small_images_are_not_enlarged(
    manager: StreamImageManager,
) -> None:
    big = add(manager, size=(2000, 1000))
    small = add(manager, seed=1, size=(300, 150))
    assert jpeg_size(manager.rendition(OWNER, big.id, "display")) == (imaging.DISPLAY_SIZE, 800)
    assert jpeg_size(manager.rendition(OWNER, small.id, "display")) == (300, 150)
    with pytest.raises(ValueError, match="unknown rendition"):
        manager.rendition(OWNER, big.id, "poster")


def test_missing_original_is_a_clear_not_found(
    manager: StreamImageManager, settings: Settings
) -> None:
    image = add(manager)
    manager.clear_disk_cache()
    assert remove_originals(settings) == 1
    with pytest.raises(NotFound, match=r"original of image \w+ is missing"):
        manager.rendition(OWNER, image.id)


def test_renditions_from_two_threads_at_once(manager: StreamImageManager) -> None:
    images = [add(manager, seed=i, size=(400, 300)) for i in range(6)]
    manager.clear_disk_cache()
    sizes: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for image in images:
                for kind in ("thumb", "display"):
                    sizes.append(jpeg_size(manager.rendition(SUBSCRIBER, image.id, kind)))
                manager.open_image(VIEWER, image.id)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert errors == [] and len(sizes) == 24
    assert set(sizes) == {(200, 150), (400, 300)}
    assert manager.stats(OWNER).views == 12


# -- edits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", [SUBSCRIBER, VIEWER], ids=lambda v: v.role.value)
def test_only_the_owner_edits(manager: StreamImageManager, viewer: Viewer) -> None:
    image = add(manager)
    edits = [
        lambda: manager.update_image(viewer, image.id, title="x"),
        lambda: manager.delete_images(viewer, [image.id]),
        lambda: manager.create_stream(viewer, "new"),
        lambda: manager.rename_stream(viewer, "s1", "x"),
        lambda: manager.delete_stream(viewer, "s1"),
    ]
    for edit in edits:
        with pytest.raises(AccessDenied):
            edit()
    assert manager.image(OWNER, image.id) == image
    assert [s.stream.id for s in manager.streams(OWNER)] == ["s1"]


def test_update_image(manager: StreamImageManager, clock: Clock) -> None:
    image = add(manager)
    updated = manager.update_image(
        OWNER, image.id, title="  Stage left ", description="wide shot", visibility="subscribers"
    )
    assert (updated.title, updated.description, updated.visibility) == (
        "Stage left",
        "wide shot",
        Visibility.SUBSCRIBERS,
    )
    assert updated.updated == clock.now > image.updated
    assert manager.image(OWNER, image.id) == updated
    assert [i.id for i in manager.images(VIEWER)] == []
    with pytest.raises(Exception, match="title cannot be empty"):
        manager.update_image(OWNER, image.id, title="  ")
    with pytest.raises(NotFound):
        manager.update_image(OWNER, "f" * 32, title="x")


def test_delete_images_row_first_then_files(
    manager: StreamImageManager, settings: Settings
) -> None:
    kept, gone = add(manager), add(manager, seed=1)
    manager.rendition(OWNER, gone.id, "display")
    assert len(rendition_files(settings)) == 3
    assert manager.delete_images(OWNER, [gone.id, gone.id, "nope"]) == [gone.id]
    with pytest.raises(NotFound):
        manager.image(OWNER, gone.id)
    assert len(original_names(settings)) == 2
    assert manager.empty_trash(OWNER) == [gone.id]
    assert original_names(settings) == [f"{kept.sha256}.png"]
    assert len(rendition_files(settings)) == 1


@pytest.mark.parametrize("viewer", ALL_VIEWERS, ids=lambda v: v.role.value)
def test_an_audience_is_listed_only_the_streams_holding_something_it_may_see(
    manager: StreamImageManager, viewer: Viewer
) -> None:
    """A stream's name may tell of what it holds: "Surprise giveaway" with only private
    images, or one just made for it, is the owner's alone; on air that list is broadcast."""
    manager.create_stream(OWNER, "giveaway", "Surprise giveaway")
    manager.create_stream(OWNER, "planned", "Next week's reveal")
    add(manager, Visibility.PRIVATE, stream="giveaway")
    add(manager, Visibility.SUBSCRIBERS, seed=1, stream="members")
    add(manager, Visibility.PUBLIC, seed=2, stream="show")
    listed = {s.stream.id: s.visible_images for s in manager.streams(viewer)}
    expected = {
        Role.OWNER: {"giveaway": 1, "members": 1, "planned": 0, "show": 1},
        Role.SUBSCRIBER: {"members": 1, "show": 1},
        Role.VIEWER: {"show": 1},
    }
    assert listed == expected[viewer.role]


def test_streams_create_rename_delete(manager: StreamImageManager, settings: Settings) -> None:
    stream = manager.create_stream(OWNER, "friday-show", "Friday show")
    assert (stream.id, stream.title, stream.owner) == ("friday-show", "Friday show", "local")
    with pytest.raises(StreamExists):
        manager.create_stream(OWNER, "friday-show")
    manager.rename_stream(OWNER, "friday-show", "Friday night")
    shared = add(manager, stream="friday-show")
    add(manager, stream="friday-show", seed=1)
    add(manager, stream="other", seed=0)  # same bytes as `shared`: one blob, two rows
    summaries = {s.stream.id: s for s in manager.streams(OWNER)}
    assert summaries["friday-show"].stream.title == "Friday night"
    assert summaries["friday-show"].visible_images == 2
    assert len(manager.delete_stream(OWNER, "friday-show")) == 2
    assert [s.stream.id for s in manager.streams(OWNER)] == ["other"]
    assert len(manager.empty_trash(OWNER)) == 2
    assert original_names(settings) == [f"{shared.sha256}.png"]
    assert [s.stream.id for s in manager.streams(OWNER)] == ["other"]
    assert len(rendition_files(settings)) == 1
    with pytest.raises(NotFound):
        manager.delete_stream(OWNER, "friday-show")


def test_import_paths_through_the_manager_creates_the_stream(
    manager: StreamImageManager, tmp_path: Path
) -> None:
    path = write_image(tmp_path / "a.png")
    (result,) = manager.import_paths(OWNER, "new-stream", [path])
    assert result.image_id is not None
    assert manager.image(SUBSCRIBER, result.image_id).stream_id == "new-stream"
    assert [s.stream.id for s in manager.streams(VIEWER)] == ["new-stream"]


# -- caches: the one door the window and the command line use -------------------------------


def test_cache_stats_cover_the_disk_and_an_attached_memory_cache(
    manager: StreamImageManager,
) -> None:
    image = add(manager)  # the import leaves its thumbnail in the disk cache
    report = manager.cache_stats()
    assert report.memory is None  # no window attached one
    assert report.disk == manager.disk_cache_stats() and report.disk.items == 1

    memory: MemoryCache[bytes] = MemoryCache(10_000, 3600.0, size_of=len)
    manager.attach_memory_cache(memory)
    memory.put("gallery", "a", b"x" * 100)
    memory.put("preview", "b", b"y" * 200)
    shown = manager.cache_stats().memory
    assert shown is not None and (shown.total.items, shown.total.bytes) == (2, 300)
    assert set(shown.pages) == {"gallery", "preview"}

    manager.clear_cache(page="gallery")
    assert memory.get("gallery", "a") is None and memory.get("preview", "b") is not None
    assert manager.disk_cache_stats().items == 1  # the disk is only cleared when asked
    manager.clear_cache(disk=True)
    assert memory.stats().total.items == 0 and manager.disk_cache_stats().items == 0
    assert jpeg_size(manager.rendition(OWNER, image.id))  # made again from the original
    manager.attach_memory_cache(None)
    assert manager.cache_stats().memory is None


def test_clear_disk_cache_says_what_it_removed(manager: StreamImageManager) -> None:
    for seed in range(3):
        add(manager, seed=seed)
    before = manager.disk_cache_stats()
    removed = manager.clear_disk_cache()
    assert (removed.items, removed.bytes) == (3, before.bytes) and before.bytes > 0
    assert (manager.disk_cache_stats().items, manager.disk_cache_stats().bytes) == (0, 0)


def test_stored_disk_cache_stats_read_without_opening_or_creating(settings: Settings) -> None:
    assert StreamImageManager.stored_disk_cache_stats(settings) is None
    assert not settings.image_cache_dir.exists() and not settings.stream_images_dir.exists()
    with StreamImageManager(settings) as manager:
        add(manager)
        add(manager, seed=1)
        expected = manager.disk_cache_stats()
    stored = StreamImageManager.stored_disk_cache_stats(settings)
    assert stored is not None and (stored.items, stored.bytes) == (2, expected.bytes)
