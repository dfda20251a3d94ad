"""Every read the window and the command line make is served by an index (issue 14).

The SQL is not rebuilt here: the store's own reads run against a real library while SQLite's
trace callback records each statement as executed, and each is then asked for its plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core.models import Role, Sort, Viewer
from streamimages_desktop.core.store import Store

STREAM_CHOICES = (None, "s1")
SEARCH_CHOICES = (None, "sun")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "library.db")
    yield s
    s.close()


def _reads(store: Store) -> list[str]:
    """The SELECTs of every list, count, stats and streams read, for every role, sort,
    stream (one or all) and search (none or a word)."""
    conn = store._conn()  # the store's reads run on this thread's connection
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        for role in Role:
            viewer = Viewer(role)
            for stream in STREAM_CHOICES:
                for search in SEARCH_CHOICES:
                    for sort in Sort:
                        store.list_images(viewer, stream, search, sort)
                        store.list_images(viewer, stream, search, sort, limit=50, offset=50)
                    store.count_visible(viewer, stream, search)
                store.stats(viewer, stream)
            store.list_streams(viewer)
    finally:
        conn.set_trace_callback(None)
    return [sql for sql in seen if any(f"FROM {t} " in f"{sql} " for t in TABLES)]


TABLES = ("images", "streams", "stream_totals")


def _plan(store: Store, sql: str) -> list[str]:
    return [str(row[3]) for row in store._conn().execute(f"EXPLAIN QUERY PLAN {sql}")]


def test_every_read_uses_an_index_and_no_sort_of_the_whole_table(store: Store) -> None:
    reads = [sql for sql in _reads(store) if "FROM images" in sql]
    # 3 roles x 2 streams x 2 searches x (4 sorts x 2 pages + count)
    assert len(reads) == 3 * 2 * 2 * (4 * 2 + 1)
    for sql in reads:
        plan = _plan(store, sql)
        images = [
            step for step in plan if step.split()[:2] in (["SCAN", "images"], ["SEARCH", "images"])
        ]
        assert images, (sql, plan)
        for step in images:
            # "SCAN images" alone is a full table scan; "SCAN images USING ... INDEX" walks an
            # index in the order asked for (or a covering index holds every column read);
            # SEARCH looks rows up by a key.
            assert step.startswith("SEARCH") or "USING" in step, (sql, plan)
        for step in plan:
            if step == "UNION USING TEMP B-TREE":
                # The matches of the two full-text indexes (trigram and words) joined: it holds
                # only matching rowids, never the library.
                assert "MATCH" in sql, (sql, plan)
            elif "TEMP B-TREE" in step:
                # Allowed only where the rows come from the full-text index by rowid: then only
                # the matches are sorted, which beats walking an order index over the library.
                by_rowid = "SEARCH images USING INTEGER PRIMARY KEY (rowid=?)" in plan
                assert "MATCH" in sql and by_rowid, (sql, plan)


def test_stats_and_stream_counts_read_the_totals_never_the_images(store: Store) -> None:
    """`stats` and `streams` of 100,000 images read a few rows of `stream_totals`."""
    reads = [sql for sql in _reads(store) if "stream_totals" in sql]
    assert len(reads) == 3 * 2 + 3  # 3 roles x (stats of 2 streams) + 3 streams reads
    for sql in reads:
        plan = _plan(store, sql)
        assert not any(" images" in f" {step}" for step in plan), (sql, plan)
        assert not any("TEMP B-TREE" in step for step in plan), (sql, plan)


def test_an_unsearched_list_never_sorts_in_a_temporary_b_tree(store: Store) -> None:
    reads = [sql for sql in _reads(store) if "ORDER BY" in sql and "MATCH" not in sql]
    assert len(reads) == 3 * 2 * 4 * 2 + 3
    for sql in reads:
        assert not any("TEMP B-TREE" in step for step in _plan(store, sql)), sql
