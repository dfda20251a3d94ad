"""OS and SQLite failures classified by errno and result code, made for real where we can."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from streamimages_desktop.core import failures
from streamimages_desktop.core.errors import (
    EnvironmentProblem,
    LibraryError,
    ProblemKind,
    UserError,
)
from streamimages_desktop.core.models import InvalidStreamId
from streamimages_desktop.core.settings import SettingsError


def raised(action: object) -> OSError:
    try:
        action()  # type: ignore[operator]
    except OSError as exc:
        return exc
    raise AssertionError("no OSError")


def test_a_file_where_a_folder_belongs_is_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    below = raised(lambda: (tmp_path / "file" / "sub").mkdir())
    over = raised(lambda: (tmp_path / "file").mkdir())
    assert (below.errno, over.errno) == (errno.ENOTDIR, errno.EEXIST)
    for exc in (below, over):
        problem = failures.from_os(exc, "cache folder", tmp_path / "file")
        assert problem.kind is ProblemKind.IN_THE_WAY
        assert str(problem) == (
            f"cannot use the cache folder {tmp_path / 'file'}: "
            "a file is in the way (a folder is needed there)"
        )


def test_a_folder_where_a_file_belongs_is_in_the_way(tmp_path: Path) -> None:
    exc = raised(lambda: (tmp_path).open("w"))
    assert exc.errno == errno.EISDIR
    assert failures.os_kind(exc) is ProblemKind.IN_THE_WAY
    assert failures.os_reason(exc) == "a folder is in the way (a file is needed there)"


def test_a_symlink_loop_is_a_link_loop(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    exc = raised(lambda: (tmp_path / "a").read_bytes())
    assert exc.errno == errno.ELOOP
    assert failures.os_kind(exc) is ProblemKind.LINK_LOOP
    assert failures.os_reason(exc) == (
        "a symbolic link loop is in the way (its links point at each other)"
    )


def test_a_missing_file_is_missing(tmp_path: Path) -> None:
    exc = raised(lambda: (tmp_path / "gone.png").read_bytes())
    problem = failures.from_os(exc, "file", tmp_path / "gone.png")
    assert problem.kind is ProblemKind.MISSING
    assert str(problem) == f"cannot use the file {tmp_path / 'gone.png'}: no such file or folder"


def test_a_full_device_is_full() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    exc = raised(lambda: Path("/dev/full").write_bytes(b"x" * 4096))
    assert exc.errno == errno.ENOSPC
    assert failures.os_kind(exc) is ProblemKind.FULL
    assert failures.os_reason(exc) == "disk full"


def test_an_immutable_file_is_refused_even_to_root(tmp_path: Path) -> None:
    target = tmp_path / "locked"
    target.write_text("x")
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i does not work here")
    try:
        exc = raised(lambda: target.write_text("y"))
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)
    assert exc.errno == errno.EPERM
    assert failures.os_kind(exc) is ProblemKind.PERMISSION


@pytest.mark.parametrize(
    ("code", "kind"),
    [  # the ones the sandbox cannot make for real (it runs as root on a writable disk)
        (errno.EDQUOT, ProblemKind.FULL),
        (errno.EROFS, ProblemKind.READ_ONLY),
        (errno.EACCES, ProblemKind.PERMISSION),
        (errno.EBUSY, ProblemKind.BUSY),
        (errno.EIO, ProblemKind.IO),
        (errno.ENAMETOOLONG, ProblemKind.IO),  # nothing more specific: the system's words
    ],
)
def test_every_errno_has_its_kind(code: int, kind: ProblemKind) -> None:
    exc = OSError(code, os.strerror(code))
    assert failures.os_kind(exc) is kind
    assert failures.os_reason(exc)  # always some words


def _sqlite_error(sql: str) -> sqlite3.Error:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(sql)
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("no sqlite3.Error")


def test_a_missing_fts5_is_the_environment_but_other_modules_are_bugs(tmp_path: Path) -> None:
    other = _sqlite_error("CREATE VIRTUAL TABLE t USING no_such_module")
    assert other.sqlite_errorcode == sqlite3.SQLITE_ERROR
    assert failures.from_sqlite(other, tmp_path / "lib") is None
    # An SQLite built without FTS5 says exactly this, with the same generic code.
    fts5 = sqlite3.OperationalError("no such module: fts5")
    fts5.sqlite_errorcode = sqlite3.SQLITE_ERROR
    problem = failures.from_sqlite(fts5, tmp_path / "lib")
    assert problem is not None and problem.kind is ProblemKind.UNSUPPORTED
    assert str(problem) == "this Python's SQLite lacks FTS5, which the library needs"


def test_extended_result_codes_use_their_primary_code(tmp_path: Path) -> None:
    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorcode = sqlite3.SQLITE_IOERR_WRITE  # 778 = IOERR | (3 << 8)
    problem = failures.from_sqlite(exc, tmp_path / "lib")
    assert problem is not None and problem.kind is ProblemKind.IO


def test_an_error_without_a_code_is_a_bug(tmp_path: Path) -> None:
    assert failures.from_sqlite(sqlite3.ProgrammingError("closed"), tmp_path / "lib") is None


def test_the_families() -> None:
    assert LibraryError is EnvironmentProblem
    assert issubclass(InvalidStreamId, UserError) and issubclass(InvalidStreamId, ValueError)
    assert issubclass(SettingsError, UserError) and issubclass(SettingsError, ValueError)
    assert EnvironmentProblem("x").kind is ProblemKind.IO
