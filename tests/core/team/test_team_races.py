"""Two machines racing: the database, not the client's check, keeps the limit and refuses the
same bytes twice. Each "machine" is its own TeamStore (its own pool and connections)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest

from streamimages_desktop.core.errors import DuplicateImage, StaleEdit, StreamFull
from streamimages_desktop.core.models import Stream
from streamimages_desktop.core.team_members import team_init
from streamimages_desktop.core.team_store import TeamStore
from tests.core.test_store import T0, make_image, sha

LIMIT = 5


def race(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Run every worker at once (a barrier releases them together); their errors."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # collected for the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.fixture
def machines(postgres_url: str) -> Iterator[list[TeamStore]]:
    team_init(postgres_url, max_per_stream=LIMIT)
    stores = [TeamStore(postgres_url, max_connections=8) for _ in range(2)]
    stores[0].create_stream(Stream("live", "Live", "me", T0))
    yield stores
    for s in stores:
        s.close()


def test_racing_inserts_cannot_exceed_the_limit(
    machines: list[TeamStore], postgres_url: str
) -> None:
    # Every client believes there is room (its own limit is far higher): only the database's
    # trigger, which locks the stream row, stands between them and a sixth row.
    workers = [
        (lambda m=m, n=n: m.insert_image(make_image(f"r{n}"), 1000))
        for n, m in enumerate(machines * 8)
    ]
    errors = race(workers)
    assert all(isinstance(e, StreamFull) for e in errors), errors
    assert len(errors) == 16 - LIMIT
    with psycopg.connect(postgres_url) as conn:
        live = conn.execute("SELECT count(*) FROM images").fetchone()
        kept = conn.execute("SELECT image_count FROM streams WHERE id = 'live'").fetchone()
    assert live == (LIMIT,) and kept == (LIMIT,)


def test_racing_inserts_of_the_same_bytes_keep_one(
    machines: list[TeamStore], postgres_url: str
) -> None:
    workers = [
        (lambda m=m, n=n: m.insert_image(make_image(f"d{n}", digest=sha("same")), 1000))
        for n, m in enumerate(machines * 3)
    ]
    errors = race(workers)
    assert len(errors) == 5 and all(isinstance(e, DuplicateImage) for e in errors), errors
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM images").fetchone() == (1,)


def test_racing_edits_of_one_copy_let_exactly_one_win(machines: list[TeamStore]) -> None:
    machines[0].insert_image(make_image("a"), 1000)
    workers = [
        (lambda m=m, n=n: m.update_image("a", now=T0, title=f"by {n}", expected_version=1))
        for n, m in enumerate(machines * 3)
    ]
    errors = race(workers)
    assert len(errors) == 5 and all(isinstance(e, StaleEdit) for e in errors), errors


def _raw_insert(conn: psycopg.Connection[tuple[object, ...]], image_id: str, digest: str) -> None:
    conn.execute(
        "INSERT INTO images (id, stream_id, title, original_name, visibility, format, width,"
        " height, bytes, sha256, created, updated) VALUES (%s, 'live', %s, 'x.png', 'public',"
        " 'PNG', 1, 1, 1, %s, 't', 't')",
        (image_id, image_id, digest),
    )


@pytest.mark.parametrize("same_bytes", [False, True])
def test_two_connections_racing_raw_inserts_are_held_to_the_limit_and_to_one_copy(
    postgres_url: str, team: TeamStore, same_bytes: bool
) -> None:
    """No client check at all: machine A's insert is in flight (not committed) when machine B
    inserts; B must wait for A and then be refused (full, or the same bytes)."""
    team_init(postgres_url, max_per_stream=1 if not same_bytes else 10)
    team.create_stream(Stream("live", "Live", "me", T0))
    digest_b = sha("a") if same_bytes else sha("b")
    with psycopg.connect(postgres_url) as a, psycopg.connect(postgres_url) as b:
        _raw_insert(a, "a", sha("a"))  # A's transaction stays open
        outcome: list[BaseException | None] = []

        def machine_b() -> None:
            try:
                _raw_insert(b, "b", digest_b)
                b.commit()
                outcome.append(None)
            except psycopg.Error as exc:
                b.rollback()
                outcome.append(exc)

        thread = threading.Thread(target=machine_b)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive()  # B waits on A (the stream row, or the unique index)
        a.commit()
        thread.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], psycopg.Error)
        # the partial unique index, or the limit trigger (team_schema.FULL_SQLSTATE)
        assert outcome[0].sqlstate == ("23505" if same_bytes else "SI001")
        assert a.execute("SELECT id FROM images").fetchall() == [("a",)]
