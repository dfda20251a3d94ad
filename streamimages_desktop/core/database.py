"""One SQLite database shared by threads: a connection per thread, transactions, error families."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from streamimages_desktop.core import read_only
from streamimages_desktop.core.atomic import create_private_file
from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind
from streamimages_desktop.core.failures import from_sqlite, sqlite_kind
from streamimages_desktop.core.schema import migrate

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

BUSY_TIMEOUT_MS = 5000
# Opening a new library switches it to WAL, which needs an exclusive lock; SQLite reports
# SQLITE_BUSY there without calling the busy handler, so the open retries on its own.
OPEN_RETRY_SECONDS = 10.0
_FILES = ("", "-wal", "-shm", "-journal")


def _transient(exc: sqlite3.OperationalError) -> bool:
    """Busy or locked, by SQLite's result code: worth another try, never damage."""
    return sqlite_kind(exc) is ProblemKind.BUSY


def make_files_private(path: Path) -> None:
    """chmod 0600 the database and the -wal/-shm/-journal files next to it, where they are
    ours and open to others (a library made by an older version was 0644); best effort."""
    for suffix in _FILES:
        file = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):
            found = file.stat()
            if found.st_mode & 0o077 and found.st_uid == os.geteuid():
                os.chmod(file, 0o600)


_TASKS = Path("/proc/self/task")


def _thread_alive(ident: int, native_id: int) -> bool:
    """Whether the thread still runs. Linux lists its threads in /proc: a Qt pool thread that
    expired is gone from there, while Python keeps its _DummyThread in threading.enumerate()
    forever (it never hears that a thread it did not start has ended)."""
    if _TASKS.is_dir():
        return (_TASKS / str(native_id)).exists()
    return any(t.ident == ident for t in threading.enumerate())


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
        # (ident, native id) -> connection: the native id tells an ended thread from a new one
        # that got the same ident.
        self._by_thread: dict[tuple[int, int], sqlite3.Connection] = {}
        self._in_use: dict[sqlite3.Connection, int] = {}  # statements running, per connection
        self._closed = False
        # Not writable (folder or file): read-only SQLite, so list/show/stats still work.
        self.read_only = not read_only.is_writable(self.path)
        try:
            with self._translated():
                if self.read_only:
                    read_only.require_current_schema(self._conn(), self.path)
                else:
                    read_only.probe(self.path)  # damage is named before the WAL can be lost
                    with contextlib.suppress(OSError):  # sqlite then names the problem
                        create_private_file(self.path)
                    self._open_with_retry()
                    make_files_private(self.path)
        except BaseException:
            self.close()
            raise

    def _open_with_retry(self) -> None:
        """WAL switch and migration, retried with backoff while another process holds a lock.

        Two processes creating one library at the same moment both succeed: the loser of the
        race waits, then finds the schema in place (migrate re-reads user_version).
        """
        deadline = time.monotonic() + OPEN_RETRY_SECONDS
        pause = 0.005
        while True:
            try:
                conn = self._conn()
                if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                migrate(conn)
                return
            except sqlite3.OperationalError as exc:
                if not _transient(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

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
        thread = (threading.get_ident(), threading.get_native_id())
        with self._lock:
            if self._closed:
                raise EnvironmentProblem("the library is closed", ProblemKind.CLOSED)
            conn = self._by_thread.get(thread)
            if conn is None:
                self._prune()
                conn = self._connect()
                self._by_thread[thread] = conn
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
        for thread in [t for t in self._by_thread if not _thread_alive(*t)]:
            self._by_thread.pop(thread).close()

    def open_connections(self) -> int:
        """How many per-thread connections are open (connections of ended threads close)."""
        with self._lock:
            self._prune()
            return len(self._by_thread)

    def close(self) -> None:
        """Close every thread's connection; later use raises EnvironmentProblem (CLOSED).

        A connection another thread is using right now (a worker's query still running while
        the window closes the library) is closed by that thread when its statement is done:
        closing it underneath the statement would crash SQLite's C code.
        """
        with self._lock:
            self._closed = True
            conns, self._by_thread = list(self._by_thread.values()), {}
            idle = [conn for conn in conns if conn not in self._in_use]
        for conn in idle:
            conn.close()
        self._local = threading.local()

    @contextmanager
    def _using(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """Mark `conn` busy for a statement or transaction, so close() leaves it to us."""
        with self._lock:
            self._in_use[conn] = self._in_use.get(conn, 0) + 1
        try:
            yield conn
        finally:
            with self._lock:
                left = self._in_use.pop(conn) - 1
                if left:
                    self._in_use[conn] = left
                last_out_after_close = self._closed and not left
            if last_out_after_close:
                conn.close()

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
        if self.read_only:
            raise EnvironmentProblem(read_only.read_only_message(self.path), ProblemKind.READ_ONLY)
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        with self._translated(), self._using(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._translated(), self._using(self._conn()) as conn:
            return conn.execute(sql, tuple(params)).fetchall()
