"""Substring search (trigram) and word prefixes for short terms, and the migration to them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core import library_check, schema
from streamimages_desktop.core.models import OWNER, Stream
from streamimages_desktop.core.store import Store
from tests.core.test_store import T0, make_image

pytestmark = pytest.mark.both_backends


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "library.sqlite3")
    s.create_stream(Stream("live", "Live", "me", T0))
    s.insert_image(make_image("a", title="drag1", original_name="x.png"), 50)
    s.insert_image(make_image("b", title="Dragon raid", original_name="y.png"), 50)
    s.insert_image(make_image("c", title="Café", description="ab cd", original_name="z.png"), 50)
    yield s
    s.close()


def found(store: Store, query: str) -> set[str]:
    ids = {i.id for i in store.list_images(OWNER, search=query)}
    assert store.count_visible(OWNER, search=query) == len(ids)
    return ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rag", {"a", "b"}),  # inside a word
        ("ag1", {"a"}),
        ("RAG RA", {"b"}),  # case-insensitive; the short term as a word prefix
        ("dr", {"a", "b"}),  # two characters: word prefixes only
        ("ra", {"b"}),  # "raid" starts with it; "drag1" only contains it
        ("ag", set()),
        ("cafe", {"c"}),  # diacritics still removed (the words index)
        ("afé", {"c"}),
        ("a", {"c"}),  # "ab"
        ("rag -", {"a", "b"}),  # a short term without a word character is left out
        ("-", set()),
    ],
)
def test_substrings_and_prefixes(store: Store, query: str, expected: set[str]) -> None:
    assert found(store, query) == expected


def test_search_follows_updates_and_deletes(store: Store) -> None:
    store.update_image("a", now=T0, title="renamed")
    assert found(store, "rag") == {"b"}
    assert found(store, "name") == {"a"}
    store.delete_image("b")
    assert found(store, "rag") == set()


def _version_one_library(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in schema.MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO streams VALUES ('live', 'Live', 'me', '2026-01-01T00:00:00+00:00')")
    conn.execute(
        "INSERT INTO images (id, stream_id, title, original_name, visibility, format, width,"
        " height, bytes, sha256, created, updated) VALUES ('old', 'live', 'drag1', 'o.png',"
        " 'public', 'PNG', 1, 1, 1, 'x', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
    )
    conn.close()


def test_an_older_library_is_migrated_and_its_rows_are_found_by_substring(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    _version_one_library(path)
    store = Store(path)
    try:
        assert found(store, "rag") == {"old"}
        assert found(store, "dr") == {"old"}
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'images_fts'").fetchone()
        assert "trigram" in sql[0]
        for table in library_check.FTS_TABLES:  # the check's own statement passes on both
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES('integrity-check', 1)")
    finally:
        conn.close()
