"""The per-stream image count kept by triggers (the limit check's O(1) count) equals COUNT(*)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core import schema
from streamimages_desktop.core.errors import StreamFull
from streamimages_desktop.core.models import Stream, Visibility
from streamimages_desktop.core.store import Store
from tests.core.test_store import T0, make_image

pytestmark = pytest.mark.both_backends


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "library.db")
    yield s
    s.close()


def _kept_and_counted(path: Path) -> dict[str, tuple[int, int]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT id, image_count, (SELECT count(*) FROM images"
            " WHERE stream_id = streams.id AND trashed IS NULL)"
            " FROM streams ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_the_kept_count_follows_inserts_deletes_moves_trash_and_purges(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.create_stream(Stream(name, name, "me", T0))
    for i in range(7):
        store.insert_image(
            make_image(f"a{i}", "a", Visibility.PRIVATE if i % 2 else Visibility.PUBLIC), 100
        )
    for i in range(3):
        store.insert_image(make_image(f"b{i}", "b"), 100)
    for i in range(4):
        store.insert_image(make_image(f"c{i}", "c"), 100)
    assert store.delete_image("a0") is not None
    assert store.delete_image("a0") is None  # deleting nothing changes nothing
    store.update_image("a1", now=T0, title="renamed", visibility=Visibility.PUBLIC)
    with store.transaction() as conn:  # a move between streams, as a future feature might
        conn.execute("UPDATE images SET stream_id = 'b' WHERE id IN ('a2', 'a3')")
        conn.execute("UPDATE images SET stream_id = 'b' WHERE id = 'b0'")  # to its own stream
    with store.transaction() as conn:  # the trash: a4 goes, a5 goes and comes back
        conn.execute("UPDATE images SET trashed = '2026-11-01T00:00:00+00:00' WHERE id = 'a4'")
        conn.execute("UPDATE images SET trashed = '2026-11-01T00:00:00+00:00' WHERE id = 'a5'")
        conn.execute("UPDATE images SET trashed = NULL WHERE id = 'a5'")
        conn.execute("DELETE FROM streams WHERE id = 'c'")  # a purge: its rows go with it
    kept = _kept_and_counted(store.path)
    assert kept == {"a": (3, 3), "b": (5, 5)}
    assert store.count_images("a") == 3
    assert store.count_images("b") == 5
    assert store.count_images("c") == 0  # gone


def test_a_refused_insert_leaves_the_count_as_it_was(store: Store) -> None:
    store.create_stream(Stream("a", "a", "me", T0))
    store.insert_image(make_image("x1", "a"), 2)
    store.insert_image(make_image("x2", "a"), 2)
    with pytest.raises(StreamFull, match="already holds 2 images"):
        store.insert_image(make_image("x3", "a"), 2)
    assert _kept_and_counted(store.path) == {"a": (2, 2)}


def test_an_older_library_gets_its_counts_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in schema.MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO streams VALUES ('old', 'Old', 'me', '2026-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO streams VALUES ('empty', 'E', 'me', '2026-01-01T00:00:00+00:00')")
    for i in range(3):
        conn.execute(
            "INSERT INTO images (id, stream_id, title, original_name, visibility, format, width,"
            " height, bytes, sha256, created, updated) VALUES (?, 'old', 't', 'n.png', 'public',"
            " 'PNG', 1, 1, 1, ?, '2026-01-01', '2026-01-01')",
            (f"i{i}", f"sha{i}"),
        )
    conn.close()
    store = Store(path)
    try:
        assert store.count_images("old") == 3
        assert store.count_images("empty") == 0
        store.insert_image(make_image("new", "old"), 100)
        assert _kept_and_counted(path) == {"empty": (0, 0), "old": (4, 4)}
    finally:
        store.close()
