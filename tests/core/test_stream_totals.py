"""The totals kept by triggers (`stats` and `streams` read them, issue 14) equal a recount of
the image rows after every kind of write: imports, views, edits, trash, restore, moves, purges,
a stream's removal, and their undo."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core.models import Role, Stream, Viewer, Visibility
from streamimages_desktop.core.store import Store
from tests.core.test_store import T0, make_image

TRASHED = "2026-11-01T00:00:00.000000+00:00"
STREAMS = ("a", "b", "c")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "library.db")
    for name in STREAMS:
        s.create_stream(Stream(name, name, "me", T0))
    yield s
    s.close()


def kept(store: Store) -> dict[tuple[str, str], tuple[int, int, int]]:
    rows = store._query("SELECT * FROM stream_totals WHERE images != 0")
    found = {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}
    zeros = store._query("SELECT count(*) FROM stream_totals WHERE images = 0 AND bytes + views")
    assert zeros[0][0] == 0  # a row that counts no image sums nothing either
    return found


def counted(store: Store) -> dict[tuple[str, str], tuple[int, int, int]]:
    rows = store._query(
        "SELECT stream_id, visibility, count(*), sum(bytes), sum(views) FROM images"
        " WHERE trashed IS NULL GROUP BY stream_id, visibility"
    )
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def scanned_stats(store: Store, viewer: Viewer, stream: str | None) -> tuple[int, ...]:
    where, params = store._image_where(viewer, stream)
    row = store._query(
        "SELECT count(*), coalesce(sum(bytes), 0), coalesce(sum(views), 0) FROM images"
        f" WHERE {where}",
        params,
    )[0]
    return tuple(row)


def test_random_writes_keep_the_totals_equal_to_a_recount(store: Store) -> None:
    rng = random.Random(14)
    live: list[str] = []
    trashed: list[str] = []
    made = 0
    for step in range(400):
        move = rng.choice(
            ["insert"] * 4 + ["view"] * 3 + ["visibility", "trash", "restore", "move", "delete"]
        )
        if move == "insert" or not live:
            made += 1
            image_id = f"i{made}"
            store.insert_image(
                make_image(
                    image_id,
                    rng.choice(STREAMS),
                    rng.choice(list(Visibility)),
                    size=rng.randrange(1, 50_000),
                    views=rng.randrange(0, 5),
                ),
                10_000,
            )
            live.append(image_id)
        elif move == "view":
            store.record_view(rng.choice(live), T0)
        elif move == "visibility":
            visibility = rng.choice(list(Visibility))
            store.update_image(rng.choice(live), now=T0, visibility=visibility)
        elif move == "trash":
            image_id = live.pop(rng.randrange(len(live)))
            with store.transaction() as conn:
                conn.execute("UPDATE images SET trashed = ? WHERE id = ?", (TRASHED, image_id))
            trashed.append(image_id)
        elif move == "restore" and trashed:
            image_id = trashed.pop(rng.randrange(len(trashed)))
            with store.transaction() as conn:  # a restore into another stream, as undo may
                conn.execute(
                    "UPDATE images SET trashed = NULL, stream_id = ? WHERE id = ?",
                    (rng.choice(STREAMS), image_id),
                )
            live.append(image_id)
        elif move == "move":
            with store.transaction() as conn:
                conn.execute(
                    "UPDATE images SET stream_id = ? WHERE id = ?",
                    (rng.choice(STREAMS), rng.choice(live)),
                )
        elif move == "delete":
            pool = trashed if trashed and rng.random() < 0.5 else live
            image_id = pool.pop(rng.randrange(len(pool)))
            assert store.delete_image(image_id) is not None  # a purge, or a live row removed
        assert kept(store) == counted(store), (step, move)
    assert made > 100 and trashed and live  # every kind of write happened


def test_stats_and_stream_counts_match_a_scan_for_every_role(store: Store) -> None:
    for i, visibility in enumerate([*Visibility] * 4):
        store.insert_image(make_image(f"x{i}", STREAMS[i % 3], visibility, size=100 + i), 100)
    store.record_view("x0", T0)
    with store.transaction() as conn:
        conn.execute("UPDATE images SET trashed = ? WHERE id = 'x4'", (TRASHED,))
    for role in Role:
        viewer = Viewer(role)
        for stream in (None, *STREAMS):
            stats = store.stats(viewer, stream)
            assert (stats.total, stats.bytes, stats.views) == scanned_stats(store, viewer, stream)
            assert stats.total == stats.public + stats.subscribers + stats.private
        counts = {s.stream.id: s.visible_images for s in store.list_streams(viewer)}
        scanned = {s: scanned_stats(store, viewer, s)[0] for s in STREAMS}
        assert counts == {s: n for s, n in scanned.items() if n or role is Role.OWNER}
    assert store.stats(Viewer(Role.VIEWER)).private == 0
    assert store.stats(Viewer(Role.VIEWER)).subscribers == 0


def test_a_removed_stream_takes_its_totals(store: Store) -> None:
    store.insert_image(make_image("z1", "c"), 100)
    with store.transaction() as conn:
        conn.execute("DELETE FROM streams WHERE id = 'c'")  # its images go by cascade
    assert store._query("SELECT count(*) FROM stream_totals WHERE stream_id = 'c'")[0][0] == 0
    assert kept(store) == counted(store)


def test_the_migration_counts_a_library_made_before_it(tmp_path: Path) -> None:
    path = tmp_path / "older.db"
    store = Store(path)
    store.create_stream(Stream("a", "a", "me", T0))
    for i in range(5):
        store.insert_image(make_image(f"o{i}", "a", size=10 * (i + 1), views=i), 100)
    store.close()
    raw = sqlite3.connect(path)  # back to version 5: as a library made before the totals
    raw.executescript(
        "DROP TRIGGER stream_totals_insert; DROP TRIGGER stream_totals_delete;"
        " DROP TRIGGER stream_totals_take; DROP TRIGGER stream_totals_add;"
        " DROP TABLE stream_totals; PRAGMA user_version = 5;"
    )
    raw.close()
    store = Store(path)
    try:
        assert kept(store) == counted(store) == {("a", "public"): (5, 150, 10)}
    finally:
        store.close()
