"""Changing and removing members (core/team_admin.py) on real PostgreSQL and SeaweedFS.

Every check asks the servers as the member, with their own raw SQL connection and their own
raw S3 client: what is proven is what their password and keys can do, not what our client
chooses to ask. Each change must land on both halves or on neither.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError
from psycopg import errors as pg

from streamimages_desktop.core import team_admin
from streamimages_desktop.core.errors import (
    EnvironmentProblem,
    ProblemKind,
    StreamImagesError,
    UserError,
)
from streamimages_desktop.core.models import Stream, Visibility
from streamimages_desktop.core.s3_blobs import S3BlobStore
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.team_members import Member, add_member, change_member, team_init
from streamimages_desktop.core.team_storage import StorageAdmin
from streamimages_desktop.core.team_store import TeamStore
from tests.core.team.conftest import login_url
from tests.core.test_store import T0, make_image
from tests.images import image_bytes
from tests.servers.postgres import PostgresServer
from tests.servers.seaweed import SeaweedServer

TITLES = {v: f"{v.value} image" for v in Visibility}
DATA = {v: image_bytes("PNG", seed=i) for i, v in enumerate(Visibility)}
SEES = {
    "public": {Visibility.PUBLIC},
    "subscribers": {Visibility.PUBLIC, Visibility.SUBSCRIBERS},
    "all": set(Visibility),
}
UNREACHABLE = "http://127.0.0.1:1"


@dataclass
class Library:
    """The owner's settings of a team library holding one image of each visibility (a row
    and an original), and the storage keys of each original's folder."""

    owner: Settings
    storage: StorageAdmin
    keys: dict[Visibility, str]


@dataclass
class Seat:
    """A member as they sign in: their own database URL and a raw S3 client with their keys."""

    name: str
    url: str
    s3: Any
    keys: tuple[str, str]


def add_one_of_each(url: str) -> None:
    """Stream "live" with one image of each visibility, titled TITLES, in the team at `url`."""
    store = TeamStore(url)
    try:
        store.create_stream(Stream("live", "Live", "me", T0))
        for v in Visibility:
            store.insert_image(make_image(v.value, visibility=v, title=TITLES[v]), 50)
    finally:
        store.close()


@pytest.fixture
def library(tmp_path: Path, postgres_url: str, s3_admin: StorageAdmin) -> Library:
    local = Settings.load({}, library=tmp_path / "lib", cache_dir=tmp_path / "cache")
    owner = local._replace(
        stream_images_database_url=postgres_url,
        stream_images_blob_url=f"s3://{s3_admin.bucket}/{s3_admin.prefix}",
        stream_images_blob_endpoint=s3_admin.endpoint_url,
        stream_images_blob_access_key=s3_admin.access_key,
        stream_images_blob_secret_key=s3_admin.secret_key,
    )
    add_one_of_each(postgres_url)
    blobs = S3BlobStore(
        s3_admin.bucket,
        s3_admin.prefix,
        endpoint_url=s3_admin.endpoint_url,
        access_key=s3_admin.access_key,
        secret_key=s3_admin.secret_key,
        region=s3_admin.region,
    )
    keys = {}
    for v, data in DATA.items():
        digest = hashlib.sha256(data).hexdigest()
        blobs.put(data, digest, "PNG", v)
        keys[v] = blobs.key_for(digest, "PNG", v)
    return Library(owner, s3_admin, keys)


@pytest.fixture
def seat_of(library: Library, seaweed: SeaweedServer) -> Iterator[Any]:
    """Makes a member through team_admin.add_member; removes any left at the end."""
    made: list[str] = []

    def make(level: str, can_edit: bool = False) -> Seat:
        name = f"m_{uuid.uuid4().hex[:12]}"
        creds = team_admin.add_member(library.owner, name, level, can_edit=can_edit)
        made.append(name)
        keys = (creds.access_key, creds.secret_key)
        return Seat(name, creds.database_url, seaweed.raw_client(*keys), keys)

    yield make
    for name in made:
        with contextlib.suppress(StreamImagesError):  # removed by the test already
            team_admin.remove_member(library.owner, name)


def titles(conn: psycopg.Connection[Any]) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT title FROM images").fetchall()}


def seen(level: str) -> set[str]:
    return {TITLES[v] for v in SEES[level]}


def readable(seat: Seat, library: Library) -> set[Visibility]:
    """The folders whose original the member's own key may GET, as the server answers."""
    found = set()
    for v, key in library.keys.items():
        try:
            seat.s3.get_object(Bucket=library.storage.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in ("AccessDenied", "403"), exc.response
            continue
        found.add(v)
    return found


def can_write(seat: Seat, library: Library) -> bool:
    key = f"{library.storage.prefix}/public/zz/{uuid.uuid4().hex}.png"
    try:
        seat.s3.put_object(Bucket=library.storage.bucket, Key=key, Body=b"x")
    except ClientError:
        return False
    seat.s3.delete_object(Bucket=library.storage.bucket, Key=key)
    return True


def can_update(conn: psycopg.Connection[Any]) -> bool:
    try:
        with conn.transaction():
            conn.execute("UPDATE images SET title = title WHERE id = 'public'")
    except pg.InsufficientPrivilege:
        return False
    return True


def storage_down(settings: Settings) -> Settings:
    return settings._replace(stream_images_blob_endpoint=UNREACHABLE)


def test_a_level_change_up_and_down_applies_to_the_member_s_open_connection_and_keys(
    library: Library, seat_of: Any
) -> None:
    seat = seat_of("public")
    with psycopg.connect(seat.url, autocommit=True) as conn:  # open throughout
        assert titles(conn) == seen("public")
        assert readable(seat, library) == SEES["public"]
        for level in ("all", "subscribers", "public", "subscribers"):
            line = team_admin.set_member_level(library.owner, seat.name, level, can_edit=None)
            assert f"-> {level}" in line
            assert titles(conn) == seen(level), level  # the next query, same connection
            assert readable(seat, library) == SEES[level], level  # the same keys
            assert not can_update(conn) and not can_write(seat, library)
    with psycopg.connect(seat.url) as again:  # the same password still signs in
        assert titles(again) == seen("subscribers")


def test_the_edit_right_comes_and_goes_on_both_halves(library: Library, seat_of: Any) -> None:
    seat = seat_of("subscribers")
    with psycopg.connect(seat.url, autocommit=True) as conn:
        assert not can_update(conn) and not can_write(seat, library)
        team_admin.set_member_level(library.owner, seat.name, None, can_edit=True)
        assert can_update(conn) and can_write(seat, library)
        assert titles(conn) == seen("subscribers")  # the level stayed
        team_admin.set_member_level(library.owner, seat.name, "all", can_edit=False)
        assert not can_update(conn) and not can_write(seat, library)
        assert titles(conn) == seen("all")
    members = {m.name: m for m in team_admin.list_members(library.owner)}
    assert (members[seat.name].level, members[seat.name].can_edit) == ("all", False)


def test_a_removed_member_can_neither_sign_in_nor_use_their_keys_and_their_work_stays(
    library: Library, seat_of: Any
) -> None:
    seat = seat_of("all", can_edit=True)
    store = TeamStore(seat.url)
    try:
        store.insert_image(make_image("theirs", title="their work"), 50)
    finally:
        store.close()
    open_session = psycopg.connect(seat.url, autocommit=True)
    assert "their work" in titles(open_session)
    line = team_admin.remove_member(library.owner, seat.name)
    assert "ended 1 open session" in line, line
    with pytest.raises(psycopg.OperationalError):  # the open session was ended
        titles(open_session)
    open_session.close()
    with pytest.raises(psycopg.OperationalError):  # and the password signs in no more
        psycopg.connect(seat.url, connect_timeout=5)
    with pytest.raises(ClientError):
        seat.s3.get_object(Bucket=library.storage.bucket, Key=library.keys[Visibility.PUBLIC])
    assert not can_write(seat, library)
    with psycopg.connect(library.owner.stream_images_database_url) as owner:
        assert "their work" in titles(owner)
        gone = owner.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (seat.name,))
        assert gone.fetchone() is None
    assert seat.name not in {m.name for m in team_admin.list_members(library.owner)}
    with pytest.raises(UserError, match="no member named"):
        team_admin.remove_member(library.owner, seat.name)


@pytest.fixture
def plain_owner(library: Library, postgres_server: PostgresServer) -> Iterator[Settings]:
    """A team owned by a role that is no superuser (CREATEROLE and its own database only), as
    a careful deployment has it: it may not signal a dropped role's sessions."""
    tag = uuid.uuid4().hex[:10]
    role, database, password = f"owner_{tag}", f"o_{tag}", uuid.uuid4().hex
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN CREATEROLE PASSWORD '{password}'")
        conn.execute(f"CREATE DATABASE {database} OWNER {role}")
    url = postgres_server.url(database, role, password)
    team_init(url, max_per_stream=50)
    add_one_of_each(url)
    yield library.owner._replace(stream_images_database_url=url)
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {database} WITH (FORCE)")
        conn.execute(f"DROP ROLE {role}")


def test_an_open_session_the_owner_cannot_end_reads_nothing_more(
    plain_owner: Settings, library: Library, seaweed: SeaweedServer
) -> None:
    """The privileges go before the role: even a session in an open transaction that the
    owner may not end reads nothing with its next statement."""
    name = f"m_{uuid.uuid4().hex[:12]}"
    creds = team_admin.add_member(plain_owner, name, "all", can_edit=True)
    conn = psycopg.connect(creds.database_url)  # a transaction stays open across the removal
    try:
        assert titles(conn) == seen("all")
        line = team_admin.remove_member(plain_owner, name)
        assert "could not be ended" in line, line
        with pytest.raises(pg.InsufficientPrivilege):
            titles(conn)
        conn.rollback()
        with pytest.raises(pg.InsufficientPrivilege):  # nor in a new transaction
            titles(conn)
    finally:
        conn.close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(creds.database_url, connect_timeout=5)
    raw = seaweed.raw_client(creds.access_key, creds.secret_key)
    with pytest.raises(ClientError):
        raw.get_object(Bucket=library.storage.bucket, Key=library.keys[Visibility.PUBLIC])


def test_an_unreachable_storage_changes_nothing_in_the_database(
    library: Library, seat_of: Any
) -> None:
    seat = seat_of("public")
    down = storage_down(library.owner)
    with pytest.raises(EnvironmentProblem) as caught:
        team_admin.set_member_level(down, seat.name, "all", can_edit=True)
    assert caught.value.kind is ProblemKind.UNREACHABLE and UNREACHABLE in str(caught.value)
    with pytest.raises(EnvironmentProblem):
        team_admin.remove_member(down, seat.name)
    with psycopg.connect(seat.url, autocommit=True) as conn:  # still signs in, same level
        assert titles(conn) == seen("public") and not can_update(conn)
    assert readable(seat, library) == SEES["public"]
    member = {m.name: m for m in team_admin.list_members(library.owner)}[seat.name]
    assert (member.level, member.can_edit) == ("public", False)


def _fail_at_commit(owner_url: str, event: str) -> None:
    """A deferred trigger that refuses the next commit touching team_members (`event`)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$"
        )
        conn.execute(
            f"CREATE CONSTRAINT TRIGGER refuse AFTER {event} ON team_members"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()"
        )


def _stop_failing(owner_url: str) -> None:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER refuse ON team_members")


def test_a_refused_commit_puts_the_storage_policy_back(library: Library, seat_of: Any) -> None:
    seat = seat_of("public")
    url = library.owner.stream_images_database_url
    _fail_at_commit(url, "UPDATE")
    with pytest.raises(EnvironmentProblem) as caught:
        team_admin.set_member_level(library.owner, seat.name, "all", can_edit=True)
    assert caught.value.kind is ProblemKind.BUSY
    assert readable(seat, library) == SEES["public"] and not can_write(seat, library)
    with psycopg.connect(seat.url) as conn:
        assert titles(conn) == seen("public")
    _stop_failing(url)
    team_admin.set_member_level(library.owner, seat.name, "all", can_edit=None)
    assert readable(seat, library) == SEES["all"]


def test_a_refused_commit_after_the_keys_went_says_so_and_a_second_run_finishes(
    library: Library, seat_of: Any
) -> None:
    seat = seat_of("public")
    url = library.owner.stream_images_database_url
    _fail_at_commit(url, "DELETE")
    with pytest.raises(EnvironmentProblem, match="run remove-member again"):
        team_admin.remove_member(library.owner, seat.name)
    with psycopg.connect(seat.url) as conn:  # the database half was not changed
        assert titles(conn) == seen("public")
    _stop_failing(url)
    team_admin.remove_member(library.owner, seat.name)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(seat.url, connect_timeout=5)


def test_unknown_bad_or_protected_names_and_levels_change_nothing(
    library: Library, seat_of: Any
) -> None:
    seat = seat_of("subscribers")
    owner = library.owner
    before = team_admin.list_members(owner)
    for name, match in (
        ("nobody_here", "no member named nobody_here"),
        ("Bad Name", "invalid member name"),
        ("postgres", "team's owner"),
    ):
        with pytest.raises(UserError, match=match):
            team_admin.set_member_level(owner, name, "all", can_edit=True)
        with pytest.raises(UserError, match=match):
            team_admin.remove_member(owner, name)
    with pytest.raises(UserError, match="invalid level 'everything'"):
        team_admin.set_member_level(owner, seat.name, "everything", can_edit=None)
    with pytest.raises(UserError, match="nothing to change"):
        team_admin.set_member_level(owner, seat.name, None, can_edit=None)
    assert team_admin.list_members(owner) == before
    with psycopg.connect(seat.url) as conn:
        assert titles(conn) == seen("subscribers")
    assert readable(seat, library) == SEES["subscribers"]


def test_a_member_s_own_settings_may_not_manage_members(library: Library, seat_of: Any) -> None:
    boss, other = seat_of("all", can_edit=True), seat_of("public")
    theirs = library.owner._replace(
        stream_images_database_url=boss.url,
        stream_images_blob_access_key=boss.keys[0],
        stream_images_blob_secret_key=boss.keys[1],
    )
    for attempt in (
        lambda: team_admin.set_member_level(theirs, other.name, "all", can_edit=True),
        lambda: team_admin.remove_member(theirs, other.name),
        lambda: team_admin.list_members(theirs),
        lambda: team_admin.add_member(theirs, "m_sneaky", "all", can_edit=True),
    ):
        with pytest.raises(UserError, match="only the team's owner"):
            attempt()
    with psycopg.connect(other.url) as conn:
        assert titles(conn) == seen("public")
    assert readable(other, library) == SEES["public"]


def test_members_lists_level_and_edit_right_owner_first(library: Library, seat_of: Any) -> None:
    a, b = seat_of("public"), seat_of("all", can_edit=True)
    listed = team_admin.list_members(library.owner)
    assert listed[0].is_owner and listed[0].name == "postgres"
    rows = {m.name: (m.level, m.can_edit, m.is_owner) for m in listed}
    assert rows[a.name] == ("public", False, False)
    assert rows[b.name] == ("all", True, False)


def test_a_member_missing_from_the_storage_keeps_their_level_and_can_be_removed(
    library: Library,
) -> None:
    """A half-made member (a database role, no storage user): set-level changes nothing,
    remove-member clears what is there."""
    url = library.owner.stream_images_database_url
    name = f"m_{uuid.uuid4().hex[:12]}"
    password = add_member(url, name, "public", False)
    with pytest.raises(UserError, match="storage has no member named"):
        team_admin.set_member_level(library.owner, name, "all", can_edit=None)
    member = login_url(url, name, password)
    with psycopg.connect(member) as conn:
        assert titles(conn) == seen("public")
    team_admin.remove_member(library.owner, name)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(member, connect_timeout=5)


def test_two_owners_changing_members_at_once_both_succeed(postgres_url: str) -> None:
    """The second change waits for the first to commit (its storage half may take a while)
    instead of failing on the grants both rewrite."""
    names = [f"m_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for name in names:
        add_member(postgres_url, name, "public", False)
    inside, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def slow_storage(_old: Member, _new: Member) -> None:
        inside.set()
        assert release.wait(30)

    def first() -> None:
        try:
            change_member(postgres_url, names[0], "all", True, before_commit=slow_storage)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(30)
        threading.Timer(1.0, release.set).start()  # the second starts while the first holds
        change_member(postgres_url, names[1], "subscribers", True, before_commit=lambda o, n: None)
    finally:
        release.set()
        thread.join(30)
    assert failures == []
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            "SELECT role_name, level, can_edit FROM team_members WHERE role_name = ANY(%s)",
            (names,),
        ).fetchall()
    assert sorted(rows) == sorted([(names[0], "all", True), (names[1], "subscribers", True)])
