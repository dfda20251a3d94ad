"""Read-only SQLite for the library: a library that may not be written, and a first look at
any library before a read-write connection may touch its -wal."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.schema import SCHEMA_VERSION, newer_library_message


def is_writable(path: Path) -> bool:
    """Whether SQLite could write `path`: its folder (for -wal, -shm) and the file itself.

    os.access asks the kernel, so a read-only mount (EROFS) and an immutable file count even
    for root, who ignores the permission bits.
    """
    if not os.access(path.parent, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def read_only_message(path: Path) -> str:
    return f"the library {path} is read-only: nothing can be changed there"


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the library file.

    A WAL library needs its -shm to read; when that cannot be created (a read-only folder) and
    no -wal holds changes, `immutable=1` reads the file alone. A -wal with changes that cannot
    be read is refused: reading around it would silently show an older library.
    """
    uri = path.absolute().as_uri()
    conn = sqlite3.connect(
        f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        # CANTOPEN, or READONLY_DIRECTORY / READONLY_CANTINIT: no -shm could be made.
        cannot_map = exc.sqlite_errorcode & 0xFF in (
            sqlite3.SQLITE_CANTOPEN,
            sqlite3.SQLITE_READONLY,
        )
        if not cannot_map or not path.is_file():
            raise
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LibraryError(
            f"the library {path} is read-only and {wal.name} holds changes that cannot be read"
            " without write access; open it once where it can be written"
        )
    return sqlite3.connect(
        f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
    )


def probe(path: Path) -> None:
    """Read the file with a read-only connection; raises sqlite3.DatabaseError if SQLite does
    not recognise it. A read-write connection to such a file deletes its -wal and -shm when it
    closes, destroying committed changes a repair might still want."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()


def require_current_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A read-only library cannot be migrated: it must already be at SCHEMA_VERSION."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise LibraryError(newer_library_message(found))
    if found < SCHEMA_VERSION:
        raise LibraryError(
            f"the library {path} is read-only and needs an upgrade (schema {found} to "
            f"{SCHEMA_VERSION}); open it once where it can be written"
        )
