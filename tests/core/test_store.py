"""The SQLite library on a real file: schema, limits, duplicates, access on every read, search."""

from __future__ import annotations

import gc
import hashlib
import sqlite3
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streamimages_desktop.core.errors import (
    DuplicateImage,
    LibraryError,
    NotFound,
    StreamExists,
    StreamFull,
)
from streamimages_desktop.core.models import (
    OWNER,
    Role,
    Sort,
    Stream,
    StreamImage,
    Viewer,
    Visibility,
)
from streamimages_desktop.core.schema import MIGRATIONS
from streamimages_desktop.core.store import SCHEMA_VERSION, Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SUBSCRIBER = Viewer(Role.SUBSCRIBER)
VIEWER = Viewer(Role.VIEWER)

# Who sees what, written out by hand so the store is checked against the rule itself.
SEES: dict[Role, set[Visibility]] = {
    Role.OWNER: {Visibility.PUBLIC, Visibility.SUBSCRIBERS, Visibility.PRIVATE},
    Role.SUBSCRIBER: {Visibility.PUBLIC, Visibility.SUBSCRIBERS},
    Role.VIEWER: {Visibility.PUBLIC},
}
PAIRS = [(role, vis) for role in Role for vis in Visibility]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_image(
    image_id: str,
    stream_id: str = "live",
    visibility: Visibility = Visibility.PUBLIC,
    *,
    title: str | None = None,
    description: str = "",
    original_name: str | None = None,
    created: datetime = T0,
    size: int = 1000,
    views: int = 0,
    digest: str | None = None,
) -> StreamImage:
    return StreamImage(
        id=image_id,
        stream_id=stream_id,
        title=image_id if title is None else title,
        description=description,
        original_name=f"{image_id}.png" if original_name is None else original_name,
        visibility=visibility,
        format="PNG",
        width=64,
        height=48,
        bytes=size,
        sha256=sha(image_id) if digest is None else digest,
        created=created,
        updated=created,
        views=views,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library" / "library.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    db_path.parent.mkdir(mode=0o700)
    s = Store(db_path)
    s.create_stream(Stream("live", "Live", "me", T0))
    yield s
    s.close()


@pytest.fixture
def mixed(store: Store) -> Store:
    """One image of each visibility in 'live' (titles share the word 'sunset'), one in 'other'."""
    for i, vis in enumerate(Visibility):
        store.insert_image(
            make_image(
                f"img-{vis.value}",
                visibility=vis,
                title=f"Sunset {vis.value}",
                size=100 * (i + 1),
                views=i + 1,
                created=T0 + timedelta(minutes=i),
            ),
            50,
        )
    store.create_stream(Stream("other", "Other", "me", T0))
    store.insert_image(make_image("img-other", "other", Visibility.PUBLIC, title="Sunset"), 50)
    return store


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# -- opening, schema, environment -----------------------------------------------------------


def test_new_library_is_migrated_and_in_wal_mode(store: Store, db_path: Path) -> None:
    conn = raw(db_path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert {"streams", "images", "images_fts", "images_words"} <= names


def test_store_connections_enforce_foreign_keys_and_settings(store: Store) -> None:
    with store.transaction() as conn:
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    with pytest.raises(NotFound):
        store.insert_image(make_image("orphan", "no-such-stream"), 50)


def test_reopen_keeps_data(db_path: Path) -> None:
    db_path.parent.mkdir()
    first = Store(db_path)
    first.create_stream(Stream("live", "Live", "me", T0))
    first.insert_image(make_image("a", description="kept"), 50)
    first.close()
    second = Store(db_path)
    try:
        image = second.get_image(OWNER, "a")
        assert image is not None and image.description == "kept"
        assert image.created == T0 and image.created.tzinfo is not None
        assert [s.stream.id for s in second.list_streams(OWNER)] == ["live"]
    finally:
        second.close()


def test_newer_library_is_refused_naming_both_versions(db_path: Path) -> None:
    db_path.parent.mkdir()
    Store(db_path).close()
    conn = raw(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(LibraryError) as info:
        Store(db_path)
    assert str(info.value) == (
        "this library was made by a newer StreamImages (schema 99); this version reads up to "
        f"{SCHEMA_VERSION}"
    )


def test_garbage_file_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir()
    db_path.write_bytes(b"this is not sqlite at all\n" * 200)
    with pytest.raises(LibraryError, match="is damaged: run `streamimages check --repair`"):
        Store(db_path)


def test_someone_elses_sqlite_file_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir()
    conn = raw(db_path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.close()
    with pytest.raises(LibraryError, match="not a StreamImages library"):
        Store(db_path)


def test_missing_folder_is_a_library_error(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="cannot open the library"):
        Store(tmp_path / "nowhere" / "library.sqlite3")


def test_disk_full_becomes_library_error(store: Store) -> None:
    with store.transaction() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    with store.transaction() as conn:  # per connection: this thread's now sees a full disk
        conn.execute(f"PRAGMA max_page_count = {pages}")
    big = make_image("big", description="x" * 200_000)
    with pytest.raises(LibraryError, match="disk is full"):
        store.insert_image(big, 50)
    assert store.count_images("live") == 0


def test_a_bug_in_sql_is_not_disguised(store: Store) -> None:
    with pytest.raises(sqlite3.OperationalError), store.transaction() as conn:
        conn.execute("SELECT no_such_column FROM images")


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("UPDATE streams SET title = 'changed' WHERE id = 'live'")
        raise RuntimeError("boom")
    stream = store.get_stream("live")
    assert stream is not None and stream.title == "Live"


def test_closed_store_refuses_use(db_path: Path) -> None:
    db_path.parent.mkdir()
    s = Store(db_path)
    s.close()
    with pytest.raises(LibraryError, match="closed"):
        s.get_stream("live")


def test_naive_datetimes_are_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.create_stream(Stream("naive", "N", "me", datetime(2024, 1, 1)))


# -- streams --------------------------------------------------------------------------------


def test_stream_lifecycle(store: Store) -> None:
    store.create_stream(Stream("b-stream", "B", "me", T0))
    with pytest.raises(StreamExists):
        store.create_stream(Stream("b-stream", "again", "me", T0))
    store.rename_stream("b-stream", "Bee")
    assert store.get_stream("b-stream") == Stream("b-stream", "Bee", "me", T0)
    with pytest.raises(NotFound):
        store.rename_stream("nope", "x")
    assert [s.stream.id for s in store.list_streams(OWNER)] == ["b-stream", "live"]
    assert store.get_stream("nope") is None


# -- limit and duplicates -------------------------------------------------------------------


def test_limit_is_enforced(store: Store) -> None:
    for i in range(3):
        store.insert_image(make_image(f"i{i}"), 3)
    with pytest.raises(StreamFull, match=r"stream live already holds 3 images") as info:
        store.insert_image(make_image("i3"), 3)
    assert "MAX_STREAM_IMAGES_PER_STREAM" in info.value.reason
    assert store.count_images("live") == 3
    store.create_stream(Stream("second", "S", "me", T0))
    store.insert_image(make_image("s0", "second"), 3)  # the limit is per stream


def test_an_imports_new_stream_is_created_with_its_first_row_or_not_at_all(store: Store) -> None:
    fresh = Stream("fresh", "Fresh", "me", T0)
    with pytest.raises(StreamFull):
        store.insert_image(make_image("refused", "fresh"), 0, create_stream=fresh)
    assert store.get_stream("fresh") is None  # rolled back with the refused row
    store.insert_image(make_image("dup-source", "fresh", digest=sha("d")), 5, create_stream=fresh)
    assert store.get_stream("fresh") == fresh
    later = Stream("fresh", "ignored", "someone else", T0 + timedelta(days=1))
    store.insert_image(make_image("second", "fresh"), 5, create_stream=later)
    assert store.get_stream("fresh") == fresh  # an existing stream is left as it is
    assert store.count_images("fresh") == 2


def test_limit_holds_when_threads_race(store: Store) -> None:
    limit, per_thread, names = 30, 30, ("a", "b", "c")
    barrier = threading.Barrier(len(names))
    outcomes: dict[str, list[str]] = {"ok": [], "full": [], "error": []}
    lock = threading.Lock()

    def importer(name: str) -> None:
        barrier.wait()
        for i in range(per_thread):
            try:
                store.insert_image(make_image(f"{name}-{i}"), limit)
                kind = "ok"
            except StreamFull:
                kind = "full"
            except Exception as exc:
                kind = "error"
                with lock:
                    outcomes["error"].append(repr(exc))
                continue
            with lock:
                outcomes[kind].append(f"{name}-{i}")

    threads = [threading.Thread(target=importer, args=(n,)) for n in names]
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often so checks and inserts interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old_interval)
    assert outcomes["error"] == []
    assert len(outcomes["ok"]) == limit
    assert len(outcomes["full"]) == len(names) * per_thread - limit
    assert store.count_images("live") == limit


def test_duplicate_in_the_same_stream(store: Store) -> None:
    store.insert_image(make_image("first", digest=sha("same bytes")), 50)
    with pytest.raises(DuplicateImage) as info:
        store.insert_image(make_image("second", digest=sha("same bytes")), 50)
    assert info.value.image_id == "first"
    assert store.find_duplicate("live", sha("same bytes")) == "first"
    assert store.find_duplicate("live", sha("other")) is None
    store.create_stream(Stream("elsewhere", "E", "me", T0))
    store.insert_image(make_image("third", "elsewhere", digest=sha("same bytes")), 50)
    assert store.find_duplicate("elsewhere", sha("same bytes")) == "third"


def test_duplicate_is_reported_even_when_the_stream_is_full(store: Store) -> None:
    store.insert_image(make_image("only", digest=sha("x")), 1)
    with pytest.raises(DuplicateImage):
        store.insert_image(make_image("again", digest=sha("x")), 1)


def test_duplicate_is_found_for_any_visibility(store: Store) -> None:
    store.insert_image(make_image("hidden", visibility=Visibility.PRIVATE, digest=sha("p")), 50)
    with pytest.raises(DuplicateImage):
        store.insert_image(make_image("copy", digest=sha("p")), 50)


# -- access on every read path --------------------------------------------------------------


@pytest.mark.parametrize(("role", "visibility"), PAIRS)
def test_every_read_path_respects_access(mixed: Store, role: Role, visibility: Visibility) -> None:
    viewer = Viewer(role)
    image_id = f"img-{visibility.value}"
    allowed = visibility in SEES[role]

    assert (mixed.get_image(viewer, image_id) is not None) is allowed
    assert (image_id in {i.id for i in mixed.list_images(viewer)}) is allowed
    assert (image_id in {i.id for i in mixed.list_images(viewer, "live")}) is allowed
    found = {i.id for i in mixed.list_images(viewer, search=visibility.value)}
    assert found == ({image_id} if allowed else set())
    assert mixed.count_visible(viewer, "live", search=visibility.value) == int(allowed)

    expected_live = len(SEES[role])
    assert mixed.count_visible(viewer, "live") == expected_live
    assert mixed.count_visible(viewer, search="sunset") == expected_live + 1
    counts = {s.stream.id: s.visible_images for s in mixed.list_streams(viewer)}
    assert counts == {"live": expected_live, "other": 1}

    stats = mixed.stats(viewer, "live")
    assert stats.as_dict().get(visibility.value) == (1 if allowed else None)  # hidden: no figure
    assert getattr(stats, visibility.value) == int(allowed)
    assert stats.total == expected_live


@pytest.mark.parametrize("role", list(Role))
def test_list_images_returns_exactly_the_allowed_set(mixed: Store, role: Role) -> None:
    got = {i.visibility for i in mixed.list_images(Viewer(role), "live")}
    assert got == SEES[role]


def test_viewer_stats_exclude_hidden_images(mixed: Store) -> None:
    # sizes 100/200/300 and views 1/2/3 for public/subscribers/private
    assert mixed.stats(VIEWER, "live").as_dict() == {
        "total": 1, "public": 1, "bytes": 100, "views": 1,
    }  # fmt: skip
    assert mixed.stats(SUBSCRIBER, "live").as_dict() == {
        "total": 2, "public": 1, "subscribers": 1, "bytes": 300, "views": 3,
    }  # fmt: skip
    assert mixed.stats(OWNER, "live").as_dict() == {
        "total": 3, "public": 1, "subscribers": 1, "private": 1, "bytes": 600, "views": 6,
    }  # fmt: skip
    assert mixed.stats(VIEWER).total == 2  # both streams
    assert mixed.stats(OWNER, "empty-or-missing").as_dict() == dict.fromkeys(
        ("total", "public", "subscribers", "private", "bytes", "views"), 0
    )


def test_internal_reads_see_every_visibility(mixed: Store) -> None:
    assert mixed.count_images("live") == 3
    assert mixed.sha_in_use(sha("img-private"))
    assert not mixed.sha_in_use(sha("never imported"))
    assert sorted(mixed.all_image_keys()) == sorted(
        (i, sha(i)) for i in ("img-public", "img-subscribers", "img-private", "img-other")
    )


# -- search ---------------------------------------------------------------------------------


@pytest.fixture
def searchable(store: Store) -> Store:
    store.insert_image(make_image("t", title="Café Opening Night", original_name="a.png"), 50)
    store.insert_image(
        make_image("d", title="x", description="confetti 🎉 cannon", original_name="b.png"), 50
    )
    store.insert_image(make_image("f", title="y", original_name="IMG_2041-raid.JPG"), 50)
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cafe", {"t"}),  # diacritics removed
        ("CAFÉ open", {"t"}),  # case-insensitive, words ANDed, prefix
        ("ope nig", {"t"}),
        ("confetti", {"d"}),  # description
        ("🎉", {"d"}),
        ("img_2041", {"f"}),  # file name
        ("raid", {"f"}),
        ("cafe raid", set()),
        ("", {"t", "d", "f"}),
        ("   \t ", {"t", "d", "f"}),
        (None, {"t", "d", "f"}),
    ],
)
def test_search_fields(searchable: Store, query: str | None, expected: set[str]) -> None:
    assert {i.id for i in searchable.list_images(OWNER, search=query)} == expected
    assert searchable.count_visible(OWNER, search=query) == len(expected)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"cafe',
        'caf"e',
        "*",
        "cafe*",
        "NEAR(",
        "NEAR(cafe night",
        "a OR",
        "OR",
        "AND NOT",
        "(((",
        ")",
        "title:cafe",
        "-cafe",
        "^cafe",
        "+",
        "{title}: x",
        "\x00",
        "🎉🎉🎉",
        "ÆØÅ 中文 العربية",
        "'; DROP TABLE images; --",
        "x " * 500,
    ],
)
def test_hostile_search_text_never_raises(searchable: Store, query: str) -> None:
    found = searchable.list_images(OWNER, search=query)
    assert searchable.count_visible(OWNER, search=query) == len(found)
    assert searchable.count_images("live") == 3


def test_fts_syntax_in_user_text_is_literal(searchable: Store) -> None:
    assert [i.id for i in searchable.list_images(OWNER, search="NEAR(cafe night")] == []
    assert [i.id for i in searchable.list_images(OWNER, search='"cafe" night')] == ["t"]
    assert [i.id for i in searchable.list_images(OWNER, search="cafe OR raid")] == []


def test_search_respects_access(store: Store) -> None:
    store.insert_image(make_image("p", visibility=Visibility.PRIVATE, title="secret plan"), 50)
    store.insert_image(
        make_image("s", visibility=Visibility.SUBSCRIBERS, original_name="secret.png"), 50
    )
    assert {i.id for i in store.list_images(OWNER, search="secret")} == {"p", "s"}
    assert {i.id for i in store.list_images(SUBSCRIBER, search="secret")} == {"s"}
    assert store.list_images(VIEWER, search="secret") == []
    assert store.count_visible(VIEWER, search="secret") == 0


# -- sort, paging ---------------------------------------------------------------------------


@pytest.fixture
def sortable(store: Store) -> Store:
    rows = [  # id, title, minutes after T0, views
        ("a", "banana", 2, 5),
        ("b", "Apple", 0, 5),
        ("c", "cherry", 1, 9),
        ("d", "apple", 3, 0),
        ("e", "Date", 1, 5),
    ]
    for image_id, title, minutes, views in rows:
        created = T0 + timedelta(minutes=minutes)
        store.insert_image(make_image(image_id, title=title, created=created, views=views), 50)
    return store


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (Sort.NEWEST, ["d", "a", "c", "e", "b"]),
        (Sort.OLDEST, ["b", "c", "e", "a", "d"]),
        (Sort.TITLE, ["b", "d", "a", "c", "e"]),
        (Sort.MOST_VIEWED, ["c", "a", "e", "b", "d"]),
    ],
)
def test_sort_orders(sortable: Store, sort: Sort, expected: list[str]) -> None:
    assert [i.id for i in sortable.list_images(OWNER, sort=sort)] == expected


def test_limit_and_offset(sortable: Store) -> None:
    ids = [i.id for i in sortable.list_images(OWNER, sort=Sort.OLDEST, limit=2, offset=1)]
    assert ids == ["c", "e"]
    assert [i.id for i in sortable.list_images(OWNER, sort=Sort.OLDEST, offset=4)] == ["d"]


# -- writes ---------------------------------------------------------------------------------


def test_record_view(store: Store) -> None:
    store.insert_image(make_image("v"), 50)
    seen = T0 + timedelta(days=1)
    store.record_view("v", seen)
    store.record_view("v", seen + timedelta(hours=1))
    image = store.get_image(OWNER, "v")
    assert image is not None
    assert image.views == 2
    assert image.last_accessed == seen + timedelta(hours=1)
    assert image.last_accessed.tzinfo is not None
    with pytest.raises(NotFound):
        store.record_view("gone", seen)


def test_update_image_changes_fields_and_search(store: Store) -> None:
    store.insert_image(make_image("u", title="old name", description="keep me"), 50)
    later = T0 + timedelta(hours=2)
    updated = store.update_image("u", now=later, title="new name", visibility=Visibility.PRIVATE)
    assert (updated.title, updated.description, updated.visibility) == (
        "new name",
        "keep me",
        Visibility.PRIVATE,
    )
    assert updated.updated == later and updated.created == T0
    assert store.get_image(OWNER, "u") == updated
    assert store.get_image(VIEWER, "u") is None
    assert [i.id for i in store.list_images(OWNER, search="new")] == ["u"]
    assert store.list_images(OWNER, search="old") == []
    store.update_image("u", now=later, description="fresh words")
    assert [i.id for i in store.list_images(OWNER, search="fresh")] == ["u"]
    with pytest.raises(NotFound):
        store.update_image("missing", now=later, title="x")


def test_delete_image(store: Store) -> None:
    store.insert_image(make_image("del", title="doomed"), 50)
    deleted = store.delete_image("del")
    assert deleted is not None and deleted.id == "del"
    assert store.get_image(OWNER, "del") is None
    assert store.list_images(OWNER, search="doomed") == []
    assert not store.sha_in_use(sha("del"))
    assert store.delete_image("del") is None


# -- threads --------------------------------------------------------------------------------


def test_use_from_a_second_thread(store: Store) -> None:
    store.insert_image(make_image("main"), 50)
    results: list[object] = []

    def worker() -> None:
        try:
            store.insert_image(make_image("worker"), 50)
            results.append(sorted(i.id for i in store.list_images(OWNER)))
        except Exception as exc:
            results.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert results == [["main", "worker"]]
    assert store.get_image(OWNER, "worker") is not None


def test_connections_of_finished_threads_are_closed(store: Store) -> None:
    store.get_stream("live")
    for _ in range(5):
        thread = threading.Thread(target=store.get_stream, args=("live",))
        thread.start()
        thread.join()
    gc.collect()
    assert store.open_connections() == 1
    store.close()
    assert store.open_connections() == 0
