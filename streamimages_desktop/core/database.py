"""One SQLite database shared by threads: a connection per thread, transactions, error families."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamimages_desktop.core import read_only
from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.schema import migrate

BUSY_TIMEOUT_MS = 5000


def _environment_error(path: Path, exc: sqlite3.DatabaseError) -> LibraryError | None:
    """A user-facing LibraryError for what the environment did to us; None for a bug."""
    text = str(exc).lower()
    if "disk is full" in text:
        return LibraryError(f"the disk is full: could not write the library {path}")
    if "readonly" in text or "read-only" in text:
        return LibraryError(f"the library {path} is read-only; check its permissions")
    if "unable to open" in text:
        return LibraryError(f"cannot open the library {path}; check that the folder exists")
    if "database is locked" in text or "database is busy" in text:
        return LibraryError(f"the library {path} is busy (locked by another program); try again")
    if "disk i/o error" in text:
        return LibraryError(f"a disk error stopped reading or writing the library {path}")
    if "not a database" in text or "malformed" in text:
        return LibraryError(f"the library {path} is damaged: run `streamimages check --repair`")
    if "no such module: fts5" in text:
        return LibraryError("this Python's SQLite lacks FTS5, which the library needs")
    return None


class Database:
    """The library file at `path`, migrated on open; safe to share between threads.

    Environment errors (disk full, read-only, locked too long, not a database) become
    LibraryError with a message for the user; any other sqlite3 error is a bug and propagates.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._by_thread: dict[int, sqlite3.Connection] = {}
        self._closed = False
        # Not writable (folder or file): read-only SQLite, so list/show/stats still work.
        self.read_only = not read_only.is_writable(self.path)
        try:
            with self._translated():
                if not self.read_only:
                    read_only.probe(self.path)  # damage is named before the WAL can be lost
                conn = self._conn()
                if self.read_only:
                    read_only.require_current_schema(conn, self.path)
                else:
                    conn.execute("PRAGMA journal_mode = WAL")
                    migrate(conn)
        except BaseException:
            self.close()
            raise

    # -- connections, transactions, errors ---------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use.

        Keyed by the OS thread, not only by `threading.local`: PySide drops a QThreadPool
        thread's Python state after every runnable, which would empty a thread-local each
        time and open a new connection per task.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        threading.current_thread()  # registers a thread Python did not start, for _prune()
        ident = threading.get_ident()
        with self._lock:
            if self._closed:
                raise LibraryError("the library is closed")
            conn = self._by_thread.get(ident)
            if conn is None:
                self._prune()
                conn = self._connect()
                self._by_thread[ident] = conn
        self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so close() and _prune() may close it from elsewhere.
        if self.read_only:
            conn = read_only.connect_read_only(self.path)
        else:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _prune(self) -> None:
        """Close the connections of threads that have ended (caller holds the lock)."""
        alive = {t.ident for t in threading.enumerate()}
        for ident in [i for i in self._by_thread if i not in alive]:
            self._by_thread.pop(ident).close()

    def open_connections(self) -> int:
        """How many per-thread connections are open (connections of ended threads close)."""
        with self._lock:
            self._prune()
            return len(self._by_thread)

    def close(self) -> None:
        """Close every thread's connection; later use raises LibraryError."""
        with self._lock:
            self._closed = True
            conns, self._by_thread = list(self._by_thread.values()), {}
        for conn in conns:
            conn.close()
        self._local = threading.local()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise
            translated = _environment_error(self.path, exc)
            if translated is None:
                raise
            raise translated from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error. Nested calls join the outer one."""
        if self.read_only:
            raise LibraryError(read_only.read_only_message(self.path))
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        with self._translated():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._translated():
            return self._conn().execute(sql, tuple(params)).fetchall()
