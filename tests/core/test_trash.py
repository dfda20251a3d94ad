"""The trash and the curation operations (issue 9): hidden everywhere, restored exactly,
purged with care for shared originals, moves and copies that respect limits and undo exactly."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.core import schema
from streamimages_desktop.core.errors import (
    AccessDenied,
    DuplicateImage,
    NotFound,
    StreamExists,
    StreamFull,
    UserError,
)
from streamimages_desktop.core.importer import ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from streamimages_desktop.core.settings import Settings
from tests.backends import original_names, raw_rows, rendition_files
from tests.core.test_manager import ALL_VIEWERS, SUBSCRIBER, VIEWER, Clock, add
from tests.images import image_bytes

pytestmark = pytest.mark.both_backends


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(settings: Settings, clock: Clock) -> Iterator[StreamImageManager]:
    with StreamImageManager(settings, clock=clock) as m:
        yield m


originals = original_names
rows = raw_rows


def test_a_trashed_image_is_absent_from_every_read_path_for_every_role(
    manager: StreamImageManager, settings: Settings
) -> None:
    kept = add(manager, title="sunset kept")
    gone = add(manager, seed=1, title="sunset gone")
    manager.rendition(OWNER, gone.id, "thumb")
    manager.rendition(OWNER, gone.id, "display")
    assert len(rendition_files(settings)) == 3
    assert manager.delete_images(OWNER, [gone.id]) == [gone.id]
    for who in ALL_VIEWERS:
        assert [i.id for i in manager.images(who)] == [kept.id]
        assert [i.id for i in manager.images(who, "s1", search="sunset")] == [kept.id]
        assert manager.count(who) == manager.count(who, "s1", "gone") + 1 == 1
        assert manager.stats(who).total == 1 and manager.stats(who).bytes == kept.bytes
        assert [s.visible_images for s in manager.streams(who)] == [1]
        for read in (manager.image, manager.open_image, manager.rendition, manager.original):
            with pytest.raises(NotFound):
                read(who, gone.id)
    # No view counted, no edit, and the disk cache no longer holds its renditions.
    assert len(rendition_files(settings)) == 1
    with pytest.raises(NotFound):
        manager.update_image(OWNER, gone.id, title="x")
    assert [t.image.id for t in manager.trash(OWNER)] == [gone.id]
    assert manager.trash_count(OWNER) == 1
    for who in (SUBSCRIBER, VIEWER):
        with pytest.raises(AccessDenied):
            manager.trash(who)
        with pytest.raises(AccessDenied):
            manager.trash_count(who)
    assert originals(settings) == sorted(f"{i.sha256}.png" for i in (kept, gone))


def test_the_trash_shows_the_owner_its_images_thumbnails_and_no_one_else(
    manager: StreamImageManager, settings: Settings
) -> None:
    live = add(manager, title="live")
    gone = add(manager, Visibility.PRIVATE, seed=1, size=(640, 480), title="gone")
    with pytest.raises(NotFound):  # a live image is not in the trash
        manager.trashed_thumbnail(OWNER, live.id)
    manager.delete_images(OWNER, [gone.id])
    cached = rendition_files(settings)  # the live image's thumbnail alone
    thumb = manager.trashed_thumbnail(OWNER, gone.id)
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.format == "JPEG" and im.size == (200, 150)
    assert len(rendition_files(settings)) == len(cached) + 1
    assert manager.trashed_thumbnail(OWNER, gone.id) == thumb  # the cached file
    for who in (SUBSCRIBER, VIEWER):
        with pytest.raises(AccessDenied):
            manager.trashed_thumbnail(who, gone.id)
    for read in (manager.image, manager.rendition, manager.original):  # still trashed
        with pytest.raises(NotFound):
            read(OWNER, gone.id)
    manager.restore_images(OWNER, [gone.id])
    assert manager.rendition(OWNER, gone.id, "thumb") == thumb
    manager.delete_images(OWNER, [gone.id])
    manager.empty_trash(OWNER)
    with pytest.raises(NotFound):
        manager.trashed_thumbnail(OWNER, gone.id)
    assert rendition_files(settings) == cached  # the purge took its thumbnail too


def test_restore_puts_back_every_field(manager: StreamImageManager, settings: Settings) -> None:
    image = add(manager, Visibility.SUBSCRIBERS, title="keep me")
    manager.update_image(OWNER, image.id, description="a description")
    manager.open_image(SUBSCRIBER, image.id)
    before = manager.image(OWNER, image.id)
    assert before.views == 1
    manager.delete_images(OWNER, [image.id])
    manager.restore_images(OWNER, [image.id])
    assert manager.image(OWNER, image.id) == before
    assert manager.trash(OWNER) == []


def test_a_deleted_stream_comes_back_with_its_image(manager: StreamImageManager) -> None:
    manager.create_stream(OWNER, "show", "Friday show")
    a, b = add(manager, stream="show"), add(manager, seed=1, stream="show")
    assert manager.delete_stream(OWNER, "show") == [a.id, b.id]
    assert manager.streams(OWNER) == []
    with pytest.raises(StreamExists):
        manager.create_stream(OWNER, "show")
    manager.restore_images(OWNER, [b.id])
    [summary] = manager.streams(OWNER)
    assert (summary.stream.id, summary.stream.title, summary.visible_images) == (
        "show",
        "Friday show",
        1,
    )
    manager.restore_stream(OWNER, "show", [a.id])
    assert manager.count(OWNER, "show") == 2


def test_the_trash_takes_no_room_and_makes_no_duplicate_restore_checks_both(
    settings: Settings, clock: Clock
) -> None:
    with StreamImageManager(settings._replace(max_stream_images_per_stream=2), clock=clock) as m:
        first, second = add(m), add(m, seed=1)
        m.delete_images(OWNER, [first.id])
        third = add(m, seed=2)  # the trashed one took no room
        with pytest.raises(StreamFull, match="MAX_STREAM_IMAGES_PER_STREAM = 2"):
            m.restore_images(OWNER, [first.id])
        m.delete_images(OWNER, [third.id])
        again = m.import_bytes(OWNER, "s1", image_bytes("PNG", (64, 48), seed=0), "img0.png")
        assert again.status is ImportStatus.IMPORTED and again.image_id != first.id
        with pytest.raises(DuplicateImage):
            m.restore_images(OWNER, [first.id])
        m.delete_images(OWNER, [second.id])
        # All or none: second could come back, first could not, so neither did.
        with pytest.raises(DuplicateImage):
            m.restore_images(OWNER, [second.id, first.id])
        assert {t.image.id for t in m.trash(OWNER)} == {first.id, second.id, third.id}


def test_empty_trash_removes_the_original_only_when_no_row_uses_it(
    manager: StreamImageManager, settings: Settings, clock: Clock
) -> None:
    shared, alone = add(manager), add(manager, seed=1)
    manager.create_stream(OWNER, "other")
    [copied] = manager.copy_images(OWNER, [shared.id], "other")
    assert copied.ok and originals(settings) == sorted(f"{i.sha256}.png" for i in (shared, alone))
    manager.delete_images(OWNER, [shared.id])
    clock.now += timedelta(days=10)
    manager.delete_images(OWNER, [alone.id])
    assert manager.empty_trash(OWNER, older_than_days=5) == [shared.id]
    assert originals(settings) == sorted(f"{i.sha256}.png" for i in (shared, alone))
    clock.now += timedelta(days=31)
    assert manager.purge_expired_trash() == [alone.id]
    assert originals(settings) == [f"{shared.sha256}.png"]  # the copy still uses it
    assert len(rows(settings)) == 1
    manager.delete_images(OWNER, [str(copied.new_id)])
    assert manager.empty_trash(OWNER) == [copied.new_id]
    assert originals(settings) == [] and rows(settings) == []


def test_move_and_copy_respect_the_target_limit_and_duplicates(
    settings: Settings, clock: Clock
) -> None:
    with StreamImageManager(settings._replace(max_stream_images_per_stream=2), clock=clock) as m:
        a, b = add(m), add(m, seed=1)
        twin = add(m, stream="t", seed=0)
        moved = m.move_images(OWNER, [a.id, b.id], "t")
        assert [p.reason for p in moved] == [f"duplicate of {twin.id} in stream t", None]
        c = add(m, seed=2)
        copies = m.copy_images(OWNER, [c.id], "t")
        assert (
            copies[0].reason == "stream t already holds 2 images (MAX_STREAM_IMAGES_PER_STREAM = 2)"
        )
        assert m.move_images(OWNER, [a.id], "nowhere")[0].reason == "no stream nowhere"
        assert m.image(OWNER, b.id).stream_id == "t"


def test_undo_of_a_move_is_exact_and_refuses_whole_when_its_target_is_gone(
    manager: StreamImageManager, settings: Settings
) -> None:
    a, b = add(manager), add(manager, seed=1)
    manager.create_stream(OWNER, "t")
    before = rows(settings)
    placed = manager.move_images(OWNER, [a.id, b.id], "t")
    manager.replay_move(OWNER, placed, forward=False)
    assert rows(settings) == before
    manager.replay_move(OWNER, placed, forward=True)
    moved = rows(settings)
    manager.delete_images(OWNER, [b.id])
    moved_then_trashed = rows(settings)
    with pytest.raises(UserError, match=f"image {b.id} is gone"):
        manager.replay_move(OWNER, placed, forward=False)
    assert rows(settings) == moved_then_trashed != moved


def test_undo_of_a_copy_and_of_visibilities(
    manager: StreamImageManager, settings: Settings
) -> None:
    a, b = add(manager), add(manager, seed=1, visibility=Visibility.PRIVATE)
    manager.create_stream(OWNER, "t")
    before, files = rows(settings), originals(settings)
    placed = manager.copy_images(OWNER, [a.id, b.id], "t")
    assert originals(settings) == files and len(rows(settings)) == 4
    manager.uncopy(OWNER, [str(p.new_id) for p in placed])
    assert rows(settings) == before and originals(settings) == files

    earlier = manager.set_visibility(OWNER, dict.fromkeys([a.id, b.id], Visibility.PUBLIC))
    assert earlier == {a.id: Visibility.PUBLIC, b.id: Visibility.PRIVATE}
    manager.delete_images(OWNER, [a.id])
    changed = rows(settings)
    with pytest.raises(NotFound):
        manager.set_visibility(OWNER, earlier)
    assert rows(settings) == changed  # b was not changed back on its own


OLD_ID = "a" * 32


@pytest.mark.local_only("a SQLite library of schema 1, made by hand")
def test_a_version_1_library_is_migrated_keeping_rows_and_search(
    settings: Settings, tmp_path: Path
) -> None:
    library = settings.stream_images_dir / "library.sqlite3"
    settings.stream_images_dir.mkdir(parents=True)
    with sqlite3.connect(library) as conn:
        for statement in schema.MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO streams VALUES ('s1', 'S', 'local', '2026-01-01T00:00:00+00:00')")
        conn.execute(
            "INSERT INTO images (seq, id, stream_id, title, original_name, visibility, format,"
            " width, height, bytes, sha256, created, updated) VALUES (7, ?, 's1', 'red fox',"
            " 'fox.png', 'public', 'PNG', 1, 1, 1, 'abc', '2026-01-01T00:00:00+00:00',"
            " '2026-01-01T00:00:00+00:00')",
            (OLD_ID,),
        )
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    with StreamImageManager(settings, housekeeping_at_start=False) as m:
        assert [i.id for i in m.images(OWNER, search="fox")] == [OLD_ID]
        m.delete_images(OWNER, [OLD_ID])
        assert m.images(OWNER, search="fox") == []


def test_data_version_changes_when_another_connection_commits(
    manager: StreamImageManager, settings: Settings
) -> None:
    first = manager.data_version()
    assert manager.data_version() == first
    with StreamImageManager(settings) as other:
        add(other)
    assert manager.data_version() != first
