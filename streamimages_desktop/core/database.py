"""One SQLite database shared by threads: a connection per thread, transactions, error families."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind
from streamimages_desktop.core.failures import from_sqlite
from streamimages_desktop.core.schema import migrate

BUSY_TIMEOUT_MS = 5000


class Database:
    """The library file at `path`, migrated on open; safe to share between threads.

    Environment errors (disk full, read-only, locked longer than `busy_timeout_ms`, not a
    database) become an EnvironmentProblem by SQLite's result code (core/failures.py); any
    other sqlite3 error is a bug and propagates.
    """

    def __init__(self, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._by_thread: dict[int, sqlite3.Connection] = {}
        self._closed = False
        try:
            with self._translated():
                conn = self._conn()
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
                raise EnvironmentProblem("the library is closed", ProblemKind.CLOSED)
            conn = self._by_thread.get(ident)
            if conn is None:
                self._prune()
                conn = self._connect()
                self._by_thread[ident] = conn
        self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so close() and _prune() may close it from elsewhere.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            # A damaged row's bytes that are not UTF-8 read as visible \xNN, not an error.
            conn.text_factory = partial(str, encoding="utf-8", errors="backslashreplace")
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms:d}")
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
        """Close every thread's connection; later use raises EnvironmentProblem (CLOSED)."""
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
        except sqlite3.Error as exc:
            translated = from_sqlite(exc, self.path)
            if translated is None:
                raise
            raise translated from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error. Nested calls join the outer one."""
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
