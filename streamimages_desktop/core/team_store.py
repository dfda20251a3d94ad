"""The team library's rows on PostgreSQL behind the same seam as the local library: `Store`.

TeamStore reuses every query of core/store.py and core/trash.py and replaces only the database
layer under them: a psycopg connection pool instead of a SQLite connection per thread, and an
adapter that runs their SQLite-style SQL (`?` marks, rows read by name or position,
`.rowcount`). What SQLite's single writer gave for free the database enforces here for racing
machines (core/team_schema.py): the per-stream limit, duplicates, and row-level security, so
a member's connection never reads a row above its level, whatever SQL is run.

Failures are one line (core/team_failures.py): the server unreachable or the login refused
(EnvironmentProblem UNREACHABLE / CREDENTIALS), a write the membership does not allow
(AccessDenied), the team's limit (StreamFull), the same bytes twice (DuplicateImage).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import psycopg
import psycopg_pool

from streamimages_desktop.core import access
from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind
from streamimages_desktop.core.models import Viewer, Visibility
from streamimages_desktop.core.store import Store
from streamimages_desktop.core.team_failures import (
    CONNECT_TIMEOUT_SECONDS,
    connect,
    describe,
    from_psycopg,
)
from streamimages_desktop.core.team_members import Level, member_level
from streamimages_desktop.core.team_schema import SCHEMA_VERSION, schema_version
from streamimages_desktop.core.team_search import search_clause

__all__ = ["TeamStore"]

POOL_TIMEOUT_SECONDS = 10.0


class Row:
    """A result row read by column name or by position, like sqlite3.Row."""

    __slots__ = ("_names", "_values")

    def __init__(self, values: tuple[Any, ...], names: dict[str, int]) -> None:
        self._values = values
        self._names = names

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._names[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Row | tuple) else other)

    def __hash__(self) -> int:
        return hash(self._values)

    def keys(self) -> list[str]:
        return list(self._names)


def _rows(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    """psycopg row factory making Rows."""
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(tuple(values), names)


class _Result:
    """A statement's rows, fetched at once (the connection goes back to the pool right away)."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Row]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


@functools.lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """SQLite's `?` marks as psycopg's `%s`; a literal `%` doubled so it stays one.

    Store's SQL never has a `?` inside a string literal (values always go as parameters).
    """
    return sql.replace("%", "%%").replace("?", "%s")


class _Connection:
    """One pooled connection inside a transaction, taking SQLite-style SQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        if params:
            cur = self._conn.execute(to_psycopg(sql).encode(), tuple(params))
        else:
            cur = self._conn.execute(sql.encode())
        rows = cur.fetchall() if cur.description is not None else []
        return _Result(rows, cur.rowcount)


class _Autocommit:
    """Outside a transaction: each statement on a connection borrowed from the pool."""

    def __init__(self, pool: psycopg_pool.ConnectionPool[Any]) -> None:
        self._pool = pool

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        with self._pool.connection() as conn:
            return _Connection(conn).execute(sql, params)


class TeamStore(Store):
    """A team library on PostgreSQL at `database_url`, read and written as the member whose
    login the URL holds; `level` and `can_edit` are that membership.

    Raises EnvironmentProblem UNREACHABLE (no server), CREDENTIALS (login refused, or not a
    member of this team), MISSING (no team schema: run team_init) or UNSUPPORTED (a newer one).
    """

    def __init__(
        self,
        database_url: str,
        *,
        min_connections: int = 1,
        max_connections: int = 4,
        timeout: float = POOL_TIMEOUT_SECONDS,
    ) -> None:
        self.description = describe(database_url)
        self.path = Path(self.description)  # what Database.path names in messages
        self._local = threading.local()
        self._closed = False
        # One plain connection first: the pool only logs why it cannot connect, this says so.
        with connect(database_url) as conn:
            try:
                found = schema_version(conn)
                membership = member_level(conn) if found else None
            except psycopg.Error as exc:
                raise (from_psycopg(exc, self.description) or exc) from None
        if found == 0:
            raise EnvironmentProblem(
                f"the {self.description} has no team schema yet: initialise the team first",
                ProblemKind.MISSING,
            )
        if found > SCHEMA_VERSION:
            raise EnvironmentProblem(
                f"the {self.description} was made by a newer StreamImages (schema {found});"
                f" this version reads up to {SCHEMA_VERSION}",
                ProblemKind.UNSUPPORTED,
            )
        if membership is None:
            raise EnvironmentProblem(
                f"this login is no member of the {self.description}; ask the team's owner",
                ProblemKind.CREDENTIALS,
            )
        self.level: Level = membership[0]
        self.can_edit = membership[1]
        self.read_only = not self.can_edit
        self._pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
            database_url,
            min_size=min_connections,
            max_size=max_connections,
            timeout=timeout,
            kwargs={"row_factory": _rows, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
            check=psycopg_pool.ConnectionPool.check_connection,
            open=True,
            name="streamimages-team",
        )
        self._autocommit = _Autocommit(self._pool)

    # -- the database layer under Store -----------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        """This thread's transaction's connection, or one that borrows per statement."""
        if self._closed:
            raise EnvironmentProblem(f"the {self.description} is closed", ProblemKind.CLOSED)
        current = getattr(self._local, "tx", None)
        # Store's SQL is written for sqlite3's interface, which the adapters provide.
        return cast(sqlite3.Connection, self._autocommit if current is None else current)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except psycopg_pool.PoolClosed:
            raise EnvironmentProblem(
                f"the {self.description} is closed", ProblemKind.CLOSED
            ) from None
        except psycopg.Error as exc:
            translated = from_psycopg(exc, self.description)
            if translated is None:
                raise
            raise translated from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One PostgreSQL transaction (READ COMMITTED; the triggers lock what must not race);
        ROLLBACK on any error. Nested calls join the outer one. Writes the membership does not
        allow are refused by the database (AccessDenied), not guessed here."""
        current = getattr(self._local, "tx", None)
        if current is not None:
            yield current
            return
        self._conn()  # CLOSED once closed
        with self._translated(), self._pool.connection() as conn:
            tx = _Connection(conn)
            self._local.tx = tx
            try:
                with conn.transaction():
                    yield cast(sqlite3.Connection, tx)
            finally:
                self._local.tx = None

    @contextmanager
    def _using(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """The pool lends a connection per statement and closes none under a user."""
        yield conn

    def data_version(self) -> int:
        """The team's change counter: any member's committed write moves it."""
        return int(self._query("SELECT counter FROM team_changes WHERE id = 1")[0][0])

    def open_connections(self) -> int:
        return int(self._pool.get_stats().get("pool_size", 0))

    def close(self) -> None:
        self._closed = True
        self._pool.close()

    # -- where PostgreSQL differs -----------------------------------------------------------

    _search_clause = staticmethod(search_clause)

    # Totals from the image rows themselves, which row-level security filters for a member
    # (a table of totals would hold counts of rows the member may not see).
    _TOTALS_FROM = "images"
    _TOTALS_PER_ROW = "1"

    def _totals_clause(self, viewer: Viewer) -> tuple[str, tuple[str, ...]]:
        return access.image_clause(viewer)

    @staticmethod
    def _count_all(conn: sqlite3.Connection, stream_id: str) -> int:
        """Live rows of the stream this member can see: exact for an owner, and never a
        hidden row's count for a lower level. The database's trigger enforces the real limit
        over every row (team_schema), so this is only the early, friendly refusal."""
        row = conn.execute(
            "SELECT count(*) FROM images WHERE stream_id = ? AND trashed IS NULL", (stream_id,)
        ).fetchone()
        return int(row[0])

    def sha_in_use(self, sha256: str, visibility: Visibility | str | None = None) -> bool:
        """Whether any row at all (hidden ones too) still uses these bytes; editors only."""
        vis = None if visibility is None else Visibility(visibility).value
        return bool(self._query("SELECT team_sha_in_use(?, ?)", (sha256, vis))[0][0])
