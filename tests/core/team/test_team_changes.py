"""The change feed: another connection's commit arrives as a notification; a lost connection
comes back as a resync (PostgreSQL does not replay what was missed)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import psycopg
import pytest

from streamimages_desktop.core import trash
from streamimages_desktop.core.errors import DuplicateImage
from streamimages_desktop.core.models import Stream, Visibility
from streamimages_desktop.core.team_changes import Change, ChangeFeed
from streamimages_desktop.core.team_schema import CHANNEL
from streamimages_desktop.core.team_store import TeamStore
from tests.core.team.conftest import MemberFactory
from tests.core.test_store import T0, make_image, sha


@pytest.fixture
def feed(postgres_url: str) -> Iterator[ChangeFeed]:
    f = ChangeFeed(postgres_url)
    yield f
    f.close()


def wait_for(feed: ChangeFeed, seconds: float = 5.0) -> Change | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = feed.wait(0.2)
        if found is not None:
            return found
    return None


def test_another_connections_commit_arrives_with_its_rows(
    feed: ChangeFeed, team: TeamStore
) -> None:
    assert feed.wait(0.05) is None
    team.create_stream(Stream("live", "Live", "me", T0))
    team.insert_image(make_image("a"), 50)
    change = wait_for(feed)
    assert change is not None and not change.resync
    # Every pending notification is merged into the newest.
    assert "a" in change.image_ids and "live" in change.stream_ids
    assert change.version == team.data_version() == feed.version
    trash.trash_images(team, ["a"], T0)
    later = wait_for(feed)
    assert later is not None and later.image_ids == {"a"} and later.version > change.version


def test_a_killed_connection_reconnects_and_asks_for_a_resync(
    feed: ChangeFeed, postgres_url: str, team: TeamStore
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        pid = feed.backend_pid
        killed = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchall()
        assert killed == [(True,)]
    team.create_stream(Stream("live", "Live", "me", T0))  # missed: the feed was away
    change = wait_for(feed)
    assert change is not None and change.resync
    assert feed.backend_pid != pid
    assert change.version == team.data_version()
    team.insert_image(make_image("b"), 50)  # and it listens again
    after = wait_for(feed)
    assert after is not None and not after.resync and "b" in after.image_ids


def test_one_transaction_is_one_change_and_a_refused_one_none(team: TeamStore) -> None:
    before = team.data_version()
    team.create_stream(Stream("live", "Live", "me", T0))
    team.insert_image(make_image("a"), 50)  # several statements, one transaction
    assert team.data_version() == before + 2
    with pytest.raises(DuplicateImage):
        team.insert_image(make_image("b", digest=sha("a")), 50)
    assert team.data_version() == before + 2
    with team.transaction() as conn:  # a statement that touches no row is no change
        conn.execute("UPDATE images SET title = 'x' WHERE id = ?", ("none",))
    assert team.data_version() == before + 2


def test_a_change_too_big_for_one_notification_arrives_as_a_resync(
    feed: ChangeFeed, postgres_url: str, team: TeamStore
) -> None:
    team.create_stream(Stream("live", "Live", "me", T0))
    assert wait_for(feed) is not None
    with psycopg.connect(postgres_url) as conn:  # 300 ids of 32 characters: over 8000 bytes
        conn.execute("UPDATE team_settings SET max_per_stream = 1000")
        conn.execute(
            "INSERT INTO images (id, stream_id, title, original_name, visibility, format, width,"
            " height, bytes, sha256, created, updated) SELECT md5(g::text), 'live', 't', 'x.png',"
            " 'public', 'PNG', 1, 1, 1, md5(g::text), 't', 't' FROM generate_series(1, 300) g"
        )
    change = wait_for(feed)
    assert change is not None and change.resync and change.image_ids == frozenset()
    assert change.version == team.data_version()


def test_a_notification_never_names_an_image_above_the_lowest_level(
    postgres_url: str, team: TeamStore, member_url: MemberFactory
) -> None:
    """Any login may LISTEN: even a public member's raw LISTEN learns no hidden image's id."""
    team.create_stream(Stream("live", "Live", "me", T0))
    with psycopg.connect(member_url("public", False), autocommit=True) as spy:
        spy.execute(f"LISTEN {CHANNEL}".encode())
        team.insert_image(make_image("hidden", visibility=Visibility.SUBSCRIBERS), 50)
        team.insert_image(make_image("shown"), 50)
        trash.set_visibilities(team, {"shown": Visibility.PRIVATE}, T0)  # named: was public
        payloads = [n.payload for n in spy.notifies(timeout=2.0, stop_after=3)]
    assert len(payloads) == 3 and not any("hidden" in p for p in payloads)
    changes = [json.loads(p) for p in payloads]
    assert [(c["image_ids"], c["stream_ids"], c["more"]) for c in changes] == [
        ([], ["live"], True),
        (["shown"], ["live"], False),
        (["shown"], ["live"], False),
    ]
