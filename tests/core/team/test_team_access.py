"""Row-level security: a member's own login, even running raw SQL, never reads a row above its
level; writes only for members who can edit, and only at their level."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors as pg

from streamimages_desktop.core import trash
from streamimages_desktop.core.errors import (
    AccessDenied,
    DuplicateImage,
    EnvironmentProblem,
    ProblemKind,
    StreamFull,
    UserError,
)
from streamimages_desktop.core.models import OWNER, Stream, Visibility
from streamimages_desktop.core.team_members import add_member, team_init
from streamimages_desktop.core.team_store import TeamStore
from tests.core.team.conftest import MemberFactory, login_url
from tests.core.test_store import T0, make_image, sha
from tests.servers.postgres import PostgresServer

SECRET = "secret plans"


@pytest.fixture
def library(team: TeamStore) -> TeamStore:
    team.create_stream(Stream("live", "Live", "me", T0))
    team.insert_image(make_image("pub", title="public sunset"), 50)
    team.insert_image(
        make_image("sub", visibility=Visibility.SUBSCRIBERS, title="subscriber sunset"), 50
    )
    team.insert_image(make_image("priv", visibility=Visibility.PRIVATE, title=SECRET), 50)
    return team


def raw(url: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode(), params or None).fetchall()


def test_raw_sql_as_a_subscribers_member_never_shows_a_private_row(
    library: TeamStore, member_url: MemberFactory
) -> None:
    sub, everyone = member_url("subscribers", False), member_url("all", False)
    assert {r[0] for r in raw(everyone, "SELECT title FROM images")} >= {SECRET}
    assert {r[0] for r in raw(sub, "SELECT title FROM images")} == {
        "public sunset",
        "subscriber sunset",
    }
    assert raw(sub, "SELECT count(*) FROM images") == [(2,)]
    assert raw(everyone, "SELECT count(*) FROM images") == [(3,)]
    assert raw(sub, "SELECT id FROM images WHERE sha256 = %s", (sha("priv"),)) == []
    assert raw(sub, "SELECT count(*) FROM images WHERE words @@ to_tsquery('secret')") == [(0,)]
    assert raw(everyone, "SELECT count(*) FROM images WHERE words @@ to_tsquery('secret')") == [
        (1,)
    ]
    # The per-stream count includes hidden rows, so that column is not granted at all.
    with pytest.raises(pg.InsufficientPrivilege):
        raw(sub, "SELECT image_count FROM streams")
    assert raw(sub, "SELECT id, title FROM streams") == [("live", "Live")]
    with pytest.raises(pg.InsufficientPrivilege):
        raw(sub, "SELECT team_sha_in_use(%s)", (sha("priv"),))


def test_a_public_member_store_reads_only_public_rows_and_its_stats(
    library: TeamStore, member_url: MemberFactory
) -> None:
    store = TeamStore(member_url("public", False))
    try:
        assert (store.level, store.can_edit, store.read_only) == ("public", False, True)
        # Even asked as the local owner role, the database hands over public rows only.
        assert [i.id for i in store.list_images(OWNER)] == ["pub"]
        assert store.count_visible(OWNER, search="sunset") == 1
        assert store.list_images(OWNER, search="secret") == []
        stats = store.stats(OWNER)
        assert (stats.total, stats.private, stats.subscribers) == (1, 0, 0)
        assert [(s.stream.id, s.visible_images) for s in store.list_streams(OWNER)] == [("live", 1)]
        assert store.count_images("live") == 1
    finally:
        store.close()


def test_a_member_who_cannot_edit_is_refused_every_write(
    library: TeamStore, member_url: MemberFactory
) -> None:
    store = TeamStore(member_url("all", False))
    try:
        with pytest.raises(AccessDenied):
            store.insert_image(make_image("new"), 50)
        with pytest.raises(AccessDenied):
            store.create_stream(Stream("mine", "Mine", "me", T0))
        with pytest.raises(AccessDenied):
            store.update_image("pub", now=T0, title="changed")
        with pytest.raises(AccessDenied):
            trash.trash_images(store, ["pub"], T0)
    finally:
        store.close()
    assert library.get_image(OWNER, "pub").title == "public sunset"  # type: ignore[union-attr]


def test_an_editor_writes_only_at_its_level_and_never_touches_hidden_rows(
    postgres_url: str, library: TeamStore, member_url: MemberFactory
) -> None:
    store = TeamStore(member_url("subscribers", True))
    try:
        store.insert_image(make_image("mine", visibility=Visibility.SUBSCRIBERS), 50)
        with pytest.raises(AccessDenied):
            store.insert_image(make_image("hidden", visibility=Visibility.PRIVATE), 50)
        with pytest.raises(AccessDenied):
            store.update_image("mine", now=T0, visibility=Visibility.PRIVATE)
        with pytest.raises(UserError):  # NotFound: the private row is not there for it
            store.update_image("priv", now=T0, title="mine now")
        # Same bytes as the hidden row: refused without naming it.
        with pytest.raises(DuplicateImage) as dup:
            store.insert_image(
                make_image("again", visibility=Visibility.PUBLIC, digest=sha("priv")), 50
            )
        assert dup.value.image_id != "priv"
        # Deleting the stream would cascade to the private row: refused.
        with pytest.raises(AccessDenied), store.transaction() as conn:
            conn.execute("DELETE FROM streams WHERE id = ?", ("live",))
        team_init(postgres_url, max_per_stream=4)  # pub, sub, priv and mine: full
        with pytest.raises(StreamFull) as full:
            store.insert_image(make_image("sixth"), 50)
        assert "allows 4 images" in str(full.value)  # the database refused, not Store
        assert "holds" not in str(full.value)  # the count (hidden rows included) is not told
    finally:
        store.close()
    assert library.get_image(OWNER, "priv").title == SECRET  # type: ignore[union-attr]


def test_member_names_and_levels_are_checked(postgres_url: str) -> None:
    with pytest.raises(UserError, match="invalid member name"):
        add_member(postgres_url, "Robert'); DROP TABLE images;--", "all", True)
    with pytest.raises(UserError, match="invalid level"):
        add_member(postgres_url, "bob", "owner", True)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="exists already"):
        add_member(postgres_url, "postgres", "all", True)


def test_team_init_is_idempotent_and_keeps_members_and_rows(
    postgres_url: str, library: TeamStore, member_url: MemberFactory
) -> None:
    url = member_url("subscribers", False)
    team_init(postgres_url, max_per_stream=7)
    team_init(postgres_url, max_per_stream=7)
    assert raw(url, "SELECT count(*) FROM images") == [(2,)]
    assert raw(postgres_url, "SELECT max_per_stream FROM team_settings") == [(7,)]


def test_an_admin_who_is_no_superuser_can_set_up_and_run_a_team(
    postgres_server: PostgresServer,
) -> None:
    """A hosted server gives no superuser: CREATEROLE and the database's ownership suffice."""
    admin, db = f"a_{uuid.uuid4().hex[:10]}", f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {admin} LOGIN CREATEROLE PASSWORD 'pw'".encode())
        conn.execute(f"CREATE DATABASE {db} OWNER {admin}".encode())
    url = postgres_server.url(db, user=admin, password="pw")
    try:
        team_init(url, max_per_stream=3)
        owner = TeamStore(url)
        try:
            owner.create_stream(Stream("live", "Live", "me", T0))
            owner.insert_image(make_image("priv", visibility=Visibility.PRIVATE), 50)
            owner.insert_image(make_image("pub"), 50)
            assert owner.count_visible(OWNER) == 2 and owner.count_images("live") == 2
        finally:
            owner.close()
        name = f"m_{uuid.uuid4().hex[:10]}"
        member = login_url(url, name, add_member(url, name, "public", True))
        assert raw(member, "SELECT id FROM images") == [("pub",)]
        store = TeamStore(member)
        try:
            store.insert_image(make_image("mine"), 50)
            with pytest.raises(StreamFull):
                store.insert_image(make_image("fourth"), 50)
        finally:
            store.close()
    finally:
        with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {db} WITH (FORCE)".encode())


def test_team_init_on_an_empty_database_makes_the_admin_its_owner(postgres_blank_url: str) -> None:
    with pytest.raises(EnvironmentProblem) as missing:
        TeamStore(postgres_blank_url)
    assert missing.value.kind is ProblemKind.MISSING
    team_init(postgres_blank_url, max_per_stream=3)
    store = TeamStore(postgres_blank_url)
    try:
        assert (store.level, store.can_edit) == ("all", True)
    finally:
        store.close()
