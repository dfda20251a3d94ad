"""Stale edits on the local library: every edit moves the row's version, an edit made from an
older copy is refused whole, and a library from before versions is migrated to version 1."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core import schema, trash
from streamimages_desktop.core.errors import NotFound, StaleEdit
from streamimages_desktop.core.models import OWNER, Stream, Visibility
from streamimages_desktop.core.store import Store
from tests.core.test_store import T0, make_image

pytestmark = pytest.mark.both_backends


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "library.sqlite3")
    s.create_stream(Stream("live", "Live", "me", T0))
    s.create_stream(Stream("other", "Other", "me", T0))
    s.insert_image(make_image("a", title="first"), 50)
    yield s
    s.close()


def version(store: Store, image_id: str = "a") -> int:
    found = store.get_image(OWNER, image_id)
    assert found is not None
    return found.version


def test_edits_move_the_version_and_views_moves_and_trash_do_not(store: Store) -> None:
    assert version(store) == 1
    store.update_image("a", now=T0, title="second")
    assert version(store) == 2
    trash.set_visibilities(store, {"a": Visibility.PRIVATE}, T0)
    assert version(store) == 3
    store.record_view("a", T0)
    trash.move(store, ["a"], "other", 50)
    trash.trash_images(store, ["a"], T0)
    trash.restore(store, ["a"], 50)
    assert version(store) == 3  # an undo puts a row back exactly


def test_an_edit_from_an_older_copy_is_refused_and_writes_nothing(store: Store) -> None:
    copy = store.get_image(OWNER, "a")
    assert copy is not None
    store.update_image("a", now=T0, title="theirs", expected_version=copy.version)
    with pytest.raises(StaleEdit, match="changed by someone else") as stale:
        store.update_image("a", now=T0, title="mine", description="d", expected_version=1)
    assert "\n" not in str(stale.value)
    now = store.get_image(OWNER, "a")
    assert now is not None and (now.title, now.description, now.version) == ("theirs", "", 2)
    assert store.update_image("a", now=T0, title="mine", expected_version=2).version == 3
    with pytest.raises(NotFound):
        store.update_image("nope", now=T0, title="x", expected_version=1)


def test_a_library_from_before_versions_gets_version_one(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in schema.MIGRATIONS[:4]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO streams (id, title, owner, created) VALUES ('live', 'L', 'me', 't')")
    conn.execute(
        "INSERT INTO images (id, stream_id, title, original_name, visibility, format, width,"
        " height, bytes, sha256, created, updated) VALUES ('old', 'live', 'old', 'o.png',"
        " 'public', 'PNG', 1, 1, 1, 'x', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
    )
    conn.close()
    store = Store(path)
    try:
        assert version(store, "old") == 1
        store.update_image("old", now=T0, title="new", expected_version=1)
        assert version(store, "old") == 2
    finally:
        store.close()
