"""Database failures classified by SQLite's result code, each made for real on a real file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core.database import Database
from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    made = Database(db_path, busy_timeout_ms=50)  # a lock held longer than this is "busy"
    yield made
    made.close()


def write(db: Database, sql: str = "PRAGMA user_version = 1") -> None:
    with db.transaction() as conn:
        conn.execute(sql)


def test_a_write_while_another_connection_holds_the_lock_is_busy(
    db: Database, db_path: Path
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        with pytest.raises(EnvironmentProblem) as info:
            write(db)
        assert info.value.kind is ProblemKind.BUSY
        assert str(info.value) == (
            f"the library {db_path} is busy (locked by another program); try again"
        )
        cause = info.value.__cause__
        assert isinstance(cause, sqlite3.Error) and cause.sqlite_errorcode == sqlite3.SQLITE_BUSY
        other.execute("ROLLBACK")
        write(db)  # the lock released, the same write goes through
    finally:
        other.close()


def _make_immutable(path: Path) -> str:
    """Make `path` unwritable even for root; returns the method used, for the test's record."""
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode == 0:
        return "chattr +i"
    if os.geteuid() != 0:
        path.chmod(0o444)
        return "chmod 0444"
    pytest.skip("running as root on a file system without chattr +i: no way to refuse a write")


def test_a_read_only_library_file_is_read_only(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Database(db_path).close()
    method = _make_immutable(db_path)
    with capsys.disabled():
        print(f"\n  read-only library made with: {method}")
    try:
        db = Database(db_path)  # already migrated: opening only reads
        try:
            with pytest.raises(EnvironmentProblem) as info:
                write(db, "CREATE TABLE extra (x)")
        finally:
            db.close()
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], capture_output=True, check=False)
        db_path.chmod(0o644)
    assert info.value.kind is ProblemKind.READ_ONLY
    assert str(info.value) == f"the library {db_path} is read-only: nothing can be changed there"


def test_a_library_at_its_page_limit_is_full(db: Database, db_path: Path) -> None:
    with db.transaction() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # this connection now sees a full disk
    with pytest.raises(EnvironmentProblem) as info:
        write(db, "CREATE TABLE big AS SELECT randomblob(100000) AS b")
    assert info.value.kind is ProblemKind.FULL
    assert str(info.value) == f"the disk is full: could not write the library {db_path}"


def test_a_file_of_random_bytes_is_damaged(db_path: Path) -> None:
    db_path.write_bytes(os.urandom(16 * 1024))
    with pytest.raises(EnvironmentProblem) as info:
        Database(db_path)
    assert info.value.kind is ProblemKind.DAMAGED
    assert str(info.value) == (
        f"the library {db_path} is damaged: run `streamimages check --repair`"
    )


def test_a_library_in_a_missing_folder_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "library.sqlite3"
    with pytest.raises(EnvironmentProblem) as info:
        Database(path)
    assert info.value.kind is ProblemKind.MISSING
    assert str(info.value).startswith(f"cannot open the library {path}")


def test_a_closed_database_says_so(db_path: Path) -> None:
    db = Database(db_path)
    db.close()
    with pytest.raises(EnvironmentProblem) as info:
        write(db)
    assert info.value.kind is ProblemKind.CLOSED


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SELECT no_such_column FROM sqlite_master", sqlite3.OperationalError),
        ("CREATE VIRTUAL TABLE v USING no_such_module", sqlite3.OperationalError),
        ("INSERT INTO t VALUES (NULL)", sqlite3.IntegrityError),
    ],
)
def test_a_bug_is_not_disguised_as_the_environment(
    db: Database, sql: str, error: type[sqlite3.Error]
) -> None:
    write(db, "CREATE TABLE t (x NOT NULL)")
    with pytest.raises(error):
        write(db, sql)


def test_a_newer_or_foreign_library_says_which(db_path: Path, tmp_path: Path) -> None:
    Database(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(EnvironmentProblem) as newer:
        Database(db_path)
    assert newer.value.kind is ProblemKind.UNSUPPORTED
    foreign_path = tmp_path / "contacts.sqlite3"
    raw = sqlite3.connect(foreign_path)
    raw.execute("CREATE TABLE contacts (name TEXT)")
    raw.close()
    with pytest.raises(EnvironmentProblem) as foreign:
        Database(foreign_path)
    assert foreign.value.kind is ProblemKind.DAMAGED


def test_close_leaves_a_connection_another_thread_is_using_to_that_thread(
    tmp_path: Path,
) -> None:
    """The window closes the library while a worker's query runs: the worker's statement
    finishes on an open connection, which closes once it is done."""
    db = Database(tmp_path / "lib.sqlite3")
    started, release = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def slow(value: int) -> int:
        started.set()
        release.wait(10)
        return value

    def worker() -> None:
        conn = db._conn()
        conn.create_function("slow", 1, slow)
        seen["conn"] = conn
        seen["rows"] = [tuple(r) for r in db._query("SELECT slow(7)")]

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(10)
    db.close()  # from "the GUI thread", mid-statement
    seen["open during"] = _is_open(seen["conn"])
    release.set()
    thread.join(10)
    assert seen["rows"] == [(7,)]
    assert seen["open during"] is True
    assert not _is_open(seen["conn"])  # closed by its own thread when done


def _is_open(conn: object) -> bool:
    assert isinstance(conn, sqlite3.Connection)
    try:
        _ = conn.total_changes  # raises once closed; runs no statement beside the worker's
    except sqlite3.ProgrammingError:
        return False
    return True


def test_a_library_whose_tables_refuse_a_migration_step_is_named_and_left_as_it_was(
    db_path: Path,
) -> None:
    """A file another build made (its version says 2, its tables already have a later step's
    column): one clear problem, not a traceback, and the version is not moved."""
    Database(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute("PRAGMA user_version = 2")
    raw.close()
    with pytest.raises(EnvironmentProblem) as info:
        Database(db_path)
    assert info.value.kind is ProblemKind.DAMAGED
    assert "do not match its version 2" in str(info.value)
    assert "nothing was changed" in str(info.value)
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    raw.close()
