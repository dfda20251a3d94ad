"""What a PostgreSQL failure means for the user, read from SQLSTATE and libpq's flags.

As with SQLite (core/failures.py), never from the wording: the server's messages are localised.
A connection that fails before the server answered has no SQLSTATE; libpq then says whether
the server asked for a password and whether we sent one, which tells a refused login from a
server that was never reached.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import psycopg
import psycopg_pool
from psycopg import errors as pg

from streamimages_desktop.core.errors import (
    AccessDenied,
    DuplicateImage,
    EnvironmentProblem,
    NotFound,
    ProblemKind,
    StreamExists,
    StreamFull,
    StreamImagesError,
)
from streamimages_desktop.core.team_schema import FULL_SQLSTATE, HIDDEN_SQLSTATE

CONNECT_TIMEOUT_SECONDS = 5
_DUPLICATE_INDEX = "images_stream_sha256_live"


def describe(url: str) -> str:
    """The URL as it may be shown: user, host, port and database, never the password."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"team library {parts.path.lstrip('/') or '?'} at {user}{parts.hostname or '?'}{port}"


def _login_refused(exc: psycopg.OperationalError) -> bool:
    conn = exc.pgconn
    return conn is not None and bool(conn.needs_password or conn.used_password)


def from_connect(exc: Exception, where: str) -> EnvironmentProblem:
    """A failed connection: the login refused (CREDENTIALS) or no server answered."""
    if isinstance(exc, psycopg.OperationalError) and (
        _login_refused(exc) or exc.sqlstate in ("28P01", "28000", "3D000")
    ):
        return EnvironmentProblem(
            f"the {where} refused the login: check the user name, password and database name",
            ProblemKind.CREDENTIALS,
        )
    return EnvironmentProblem(
        f"the {where} did not answer: check the address and that the server is running",
        ProblemKind.UNREACHABLE,
    )


def from_psycopg(exc: Exception, where: str) -> StreamImagesError | None:
    """The user's error for a failed statement, or None for a bug (bad SQL) that must raise."""
    if isinstance(exc, psycopg_pool.PoolTimeout):
        return EnvironmentProblem(
            f"the {where} did not answer in time; check the network", ProblemKind.UNREACHABLE
        )
    if not isinstance(exc, psycopg.Error):
        return None
    state = exc.sqlstate
    message = exc.diag.message_primary or type(exc).__name__
    if state == FULL_SQLSTATE:
        return StreamFull(message)
    if state == HIDDEN_SQLSTATE or isinstance(exc, pg.InsufficientPrivilege):
        return AccessDenied(f"your membership of the {where} does not allow this change")
    if isinstance(exc, pg.UniqueViolation):
        if exc.diag.constraint_name == _DUPLICATE_INDEX:
            return DuplicateImage("another image")  # which one may be hidden from this member
        if exc.diag.constraint_name == "streams_pkey":
            return StreamExists("that stream already exists")
        return None
    if isinstance(exc, pg.ForeignKeyViolation):
        return NotFound("that stream no longer exists")
    if isinstance(exc, pg.SerializationFailure | pg.DeadlockDetected | pg.LockNotAvailable):
        return EnvironmentProblem(f"the {where} is busy; try again", ProblemKind.BUSY)
    if isinstance(exc, pg.DiskFull | pg.ProgramLimitExceeded):
        return EnvironmentProblem(f"the {where}'s server is out of space", ProblemKind.FULL)
    if isinstance(exc, pg.InvalidAuthorizationSpecification | pg.InvalidPassword):
        return from_connect(exc, where)
    if isinstance(exc, pg.ReadOnlySqlTransaction):
        return EnvironmentProblem(f"the {where} is read-only", ProblemKind.READ_ONLY)
    if isinstance(exc, psycopg.OperationalError) and state is None:
        return from_connect(exc, where)  # the connection dropped or was never made
    if isinstance(exc, pg.AdminShutdown | pg.CannotConnectNow | pg.ConnectionException):
        return EnvironmentProblem(
            f"the {where} went away; try again when it is back", ProblemKind.UNREACHABLE
        )
    return None


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """One connection, or an EnvironmentProblem (UNREACHABLE or CREDENTIALS) saying why not."""
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.OperationalError as exc:
        raise from_connect(exc, describe(url)) from None
