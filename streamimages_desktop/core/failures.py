"""What the environment did, read from SQLite's result code and the OS's errno, never its text.

SQLite and the operating system phrase their errors in English that may change between
versions and locales; their codes do not. `from_sqlite` and `from_os` turn a failure into an
EnvironmentProblem whose `kind` code can act on and whose message the user can read.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from streamimages_desktop.core import paths
from streamimages_desktop.core.atomic import SpecialFileInTheWay
from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind

_SQLITE_KINDS: dict[int, ProblemKind] = {
    sqlite3.SQLITE_FULL: ProblemKind.FULL,
    sqlite3.SQLITE_READONLY: ProblemKind.READ_ONLY,
    sqlite3.SQLITE_BUSY: ProblemKind.BUSY,
    sqlite3.SQLITE_LOCKED: ProblemKind.BUSY,
    sqlite3.SQLITE_CANTOPEN: ProblemKind.MISSING,
    sqlite3.SQLITE_IOERR: ProblemKind.IO,
    sqlite3.SQLITE_CORRUPT: ProblemKind.DAMAGED,
    sqlite3.SQLITE_NOTADB: ProblemKind.DAMAGED,
    sqlite3.SQLITE_PERM: ProblemKind.PERMISSION,
    sqlite3.SQLITE_NOLFS: ProblemKind.FULL,  # the file would outgrow what the OS supports
}

_OS_KINDS: dict[int, ProblemKind] = {
    errno.ENOSPC: ProblemKind.FULL,
    errno.EDQUOT: ProblemKind.FULL,
    errno.EFBIG: ProblemKind.FULL,
    errno.EROFS: ProblemKind.READ_ONLY,
    errno.EACCES: ProblemKind.PERMISSION,
    errno.EPERM: ProblemKind.PERMISSION,
    errno.ENOENT: ProblemKind.MISSING,
    errno.ENOTDIR: ProblemKind.IN_THE_WAY,
    errno.EEXIST: ProblemKind.IN_THE_WAY,  # mkdir met a file where a folder belongs
    errno.EISDIR: ProblemKind.IN_THE_WAY,
    errno.ELOOP: ProblemKind.LINK_LOOP,
    errno.EBUSY: ProblemKind.BUSY,
    errno.ETXTBSY: ProblemKind.BUSY,
    errno.EAGAIN: ProblemKind.BUSY,
    errno.EIO: ProblemKind.IO,
}

_OS_REASONS: dict[ProblemKind, str] = {
    ProblemKind.FULL: "disk full",
    ProblemKind.READ_ONLY: "the file system is read-only",
    ProblemKind.PERMISSION: "permission denied",
    ProblemKind.MISSING: "no such file or folder",
    ProblemKind.IN_THE_WAY: "a file is in the way (a folder is needed there)",
    ProblemKind.LINK_LOOP: "a symbolic link loop is in the way (its links point at each other)",
    ProblemKind.BUSY: "in use by another program; try again",
}

# SQLite reports a missing compile-time module with the generic SQLITE_ERROR code, so this is
# the one failure recognised by its text: the exact message sqlite3 gives for FTS5.
_NO_FTS5 = "no such module: fts5"


def sqlite_kind(exc: sqlite3.Error) -> ProblemKind | None:
    """The ProblemKind of a SQLite failure by its primary result code; None for a bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    if code == sqlite3.SQLITE_ERROR and str(exc) == _NO_FTS5:
        return ProblemKind.UNSUPPORTED
    return _SQLITE_KINDS.get(code & 0xFF)


def from_sqlite(exc: sqlite3.Error, path: Path, what: str = "library") -> EnvironmentProblem | None:
    """An EnvironmentProblem naming the `what` at `path`, or None if `exc` is a bug (bad SQL,
    a broken constraint, a misuse of the API) that must propagate."""
    kind = sqlite_kind(exc)
    if kind is None:
        return None
    if kind is ProblemKind.MISSING and path.parent.is_dir():
        kind = ProblemKind.PERMISSION  # CANTOPEN in an existing folder: it refused us
    messages = {
        ProblemKind.FULL: f"the disk is full: could not write the {what} {path}",
        ProblemKind.READ_ONLY: f"the {what} {path} is read-only; check its permissions",
        ProblemKind.BUSY: f"the {what} {path} is busy (locked by another program); try again",
        ProblemKind.MISSING: f"cannot open the {what} {path}; check that the folder exists",
        ProblemKind.PERMISSION: f"cannot open the {what} {path}; check its permissions",
        ProblemKind.DAMAGED: (
            f"the library {path} is damaged: run `streamimages check --repair`"
            if what == "library"
            else f"{path} is not a StreamImages {what}, or it is damaged"
        ),
        ProblemKind.UNSUPPORTED: f"this Python's SQLite lacks FTS5, which the {what} needs",
    }
    default = f"a disk error stopped reading or writing the {what} {path}"
    return EnvironmentProblem(messages.get(kind, default), kind)


def os_kind(exc: OSError) -> ProblemKind:
    """The ProblemKind of an OS failure by its errno (IO when the errno says nothing more)."""
    return _OS_KINDS.get(exc.errno or 0, ProblemKind.IO)


def os_reason(exc: OSError) -> str:
    """A short phrase for an OS failure: ours for the kinds we know, else the system's."""
    if isinstance(exc, SpecialFileInTheWay):
        return exc.REASON
    if exc.errno == errno.EISDIR:
        return "a folder is in the way (a file is needed there)"
    return _OS_REASONS.get(os_kind(exc)) or exc.strerror or str(exc) or type(exc).__name__


def from_os(exc: OSError, what: str, path: Path) -> EnvironmentProblem:
    """An EnvironmentProblem for an OS failure while using the `what` at `path`."""
    kind = os_kind(exc)
    reason = os_reason(exc)
    if kind in (ProblemKind.IN_THE_WAY, ProblemKind.LINK_LOOP) and not isinstance(
        exc, SpecialFileInTheWay
    ):
        reason = paths.in_the_way(path) or reason  # name what really stands there
    return EnvironmentProblem(f"cannot use the {what} {path}: {reason}", kind)
