"""The team library's Store on a real PostgreSQL: the same behaviour as the local library."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest

from streamimages_desktop.core import trash
from streamimages_desktop.core.errors import (
    DuplicateImage,
    NotFound,
    StaleEdit,
    StreamExists,
    StreamFull,
)
from streamimages_desktop.core.models import OWNER, Sort, Stream, Visibility
from streamimages_desktop.core.team_members import team_init
from streamimages_desktop.core.team_store import TeamStore, to_psycopg
from tests.core.test_store import SUBSCRIBER, T0, VIEWER, make_image, sha


def test_sql_marks_become_psycopg_placeholders_and_percent_stays_literal() -> None:
    assert to_psycopg("SELECT '%' || ? WHERE a LIKE ?") == "SELECT '%%' || %s WHERE a LIKE %s"


def test_streams_and_images_round_trip_with_every_field(team: TeamStore) -> None:
    team.create_stream(Stream("live", "Live", "me", T0))
    with pytest.raises(StreamExists):
        team.create_stream(Stream("live", "Again", "me", T0))
    image = make_image("a", visibility=Visibility.SUBSCRIBERS, title="Sunset", views=3)
    team.insert_image(image, 50)
    assert team.get_image(OWNER, "a") == image
    assert team.get_image(SUBSCRIBER, "a") == image
    assert team.get_image(VIEWER, "a") is None
    assert team.get_stream("live") == Stream("live", "Live", "me", T0)
    assert [(s.stream.id, s.visible_images) for s in team.list_streams(SUBSCRIBER)] == [("live", 1)]
    assert team.list_streams(VIEWER) == []  # nothing there a viewer may see: not listed
    assert team.count_images("live") == 1


def test_listing_sorts_pages_and_counts_like_the_local_library(team: TeamStore) -> None:
    team.create_stream(Stream("live", "Live", "me", T0))
    for n, title in enumerate(["banana", "Apple", "cherry"]):
        team.insert_image(
            make_image(f"i{n}", title=title, created=T0 + timedelta(minutes=n), views=n), 50
        )
    assert [i.title for i in team.list_images(OWNER, sort=Sort.TITLE)] == [
        "Apple",
        "banana",
        "cherry",
    ]
    assert [i.id for i in team.list_images(OWNER, sort=Sort.NEWEST)] == ["i2", "i1", "i0"]
    assert [i.id for i in team.list_images(OWNER, sort=Sort.MOST_VIEWED, limit=2)] == ["i2", "i1"]
    assert [i.id for i in team.list_images(OWNER, sort=Sort.OLDEST, offset=1)] == ["i1", "i2"]
    assert team.count_visible(OWNER, "live") == 3


def test_stats_count_only_what_the_role_sees(team: TeamStore) -> None:
    team.create_stream(Stream("live", "Live", "me", T0))
    for n, vis in enumerate(Visibility):
        team.insert_image(make_image(f"i{n}", visibility=vis, size=100 * (n + 1), views=n), 50)
    owner = team.stats(OWNER)
    assert (owner.total, owner.public, owner.subscribers, owner.private) == (3, 1, 1, 1)
    assert (owner.bytes, owner.views) == (600, 3)
    assert team.stats(VIEWER).as_dict() == {"total": 1, "public": 1, "bytes": 100, "views": 0}


def test_the_team_limit_and_duplicates_are_refused(postgres_url: str, team: TeamStore) -> None:
    team_init(postgres_url, max_per_stream=2)
    team.create_stream(Stream("live", "Live", "me", T0))
    team.insert_image(make_image("a"), 50)
    with pytest.raises(DuplicateImage) as dup:
        team.insert_image(make_image("b", digest=sha("a")), 50)
    assert dup.value.image_id == "a"
    team.insert_image(make_image("b"), 50)
    # The caller's own limit is larger: the database's trigger refuses by the team's.
    with pytest.raises(StreamFull, match="allows 2 images per stream"):
        team.insert_image(make_image("c"), 50)
    assert team.count_images("live") == 2 and team.get_image(OWNER, "c") is None


def test_trash_restore_move_and_copy_run_on_postgres(postgres_url: str, team: TeamStore) -> None:
    team_init(postgres_url, max_per_stream=2)
    team.create_stream(Stream("live", "Live", "me", T0))
    team.create_stream(Stream("other", "Other", "me", T0))
    team.insert_image(make_image("a", title="drag1"), 50)
    team.insert_image(make_image("b"), 50)
    assert trash.trash_images(team, ["a", "nope"], T0) == ["a"]
    assert team.list_images(OWNER, search="rag") == []
    assert team.count_images("live") == 1  # the trash takes no room
    assert [t.image.id for t in trash.trashed(team)] == ["a"]
    trash.restore(team, ["a"], 2)
    assert {i.id for i in team.list_images(OWNER, search="rag")} == {"a"}
    moved = trash.move(team, ["a"], "other", 2)
    assert moved[0].ok and team.get_image(OWNER, "a").stream_id == "other"  # type: ignore[union-attr]
    copies = trash.copy(team, ["b"], "other", 2, T0)
    assert copies[0].ok and team.count_images("other") == 2
    refused = trash.copy(team, ["b"], "other", 2, T0)
    assert not refused[0].ok
    assert trash.trash_stream(team, "other", T0) == ["a", copies[0].new_id]
    assert [s.stream.id for s in team.list_streams(OWNER)] == ["live"]
    for image in trash.expired(team, None):
        team.delete_image(image.id)
    trash.drop_empty_trashed_streams(team)
    assert team.get_stream("other") is None


def test_a_stale_edit_is_refused_and_nothing_is_written(team: TeamStore) -> None:
    team.create_stream(Stream("live", "Live", "me", T0))
    team.insert_image(make_image("a", title="first"), 50)
    copy = team.get_image(OWNER, "a")
    assert copy is not None and copy.version == 1
    team.record_view("a", T0)  # a view is no edit
    edited = team.update_image("a", now=T0, title="second", expected_version=copy.version)
    assert edited.version == 2
    with pytest.raises(StaleEdit, match="changed by someone else"):
        team.update_image("a", now=T0, description="late", expected_version=copy.version)
    after = team.get_image(OWNER, "a")
    assert after is not None and (after.title, after.description) == ("second", "")
    with pytest.raises(NotFound):
        team.update_image("gone", now=T0, title="x", expected_version=1)


def test_a_change_from_another_connection_moves_data_version(
    postgres_url: str, team: TeamStore
) -> None:
    before = team.data_version()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("INSERT INTO streams (id, title, owner, created) VALUES ('x', 'X', 'o', 't')")
    assert team.data_version() > before


def test_threads_share_the_pool_and_nested_transactions_join(team: TeamStore) -> None:
    team.create_stream(Stream("live", "Live", "me", T0))
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(5):
                team.insert_image(make_image(f"t{n}-{k}"), 50)
                team.list_images(OWNER, "live")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with team.transaction() as outer, team.transaction() as inner:
        assert outer is inner
    assert team.count_images("live") == 20
