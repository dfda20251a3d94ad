"""The rendition cache on disk: file names, the SQLite index, its repair, and the daily sweep.

Only real damage (SQLITE_CORRUPT, SQLITE_NOTADB, or an index this code did not write) ever
replaces the index, and then it is rebuilt from the rendition files that exist: a busy, full or
read-only index is the environment's state, never a reason to delete what other processes use.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from streamimages_desktop.core.atomic import TEMP_SUFFIX, random_hex
from streamimages_desktop.core.logs import logger

try:  # POSIX; elsewhere two processes repairing at once only do the work twice
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logger(__name__)

INDEX_NAME = "index.sqlite3"
FILES_DIR = "renditions"
REPAIR_LOCK = "index.lock"
SWEEP_MARKER = "last-sweep"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10.0
# A file the index does not know may be another process's put between its rename and its
# INSERT (or its temp file before the rename); the sweep leaves such young files alone.
SWEEP_GRACE_SECONDS = 600.0
SWEEP_INTERVAL_SECONDS = 86_400.0  # the folder walk runs at most once a day, not every start
_TABLES = frozenset({"renditions", "totals", "renditions_added", "renditions_removed"})
# A rendition word, optionally size-keyed: "thumb", "display", "thumb@400", "display@2048".
RENDITION_RE = re.compile(r"(?:thumb|display)(?:@[1-9][0-9]{1,4})?")
_FILE_RE = re.compile(
    rf"([0-9a-f]{{32}})-({RENDITION_RE.pattern})-([0-9a-f]{{64}})-([0-9a-f]{{16}})\.jpg"
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS renditions(
    image_id TEXT NOT NULL,
    rendition TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    token TEXT NOT NULL,        -- random hex in the file name: each put writes a new file
    bytes INTEGER NOT NULL,
    checksum INTEGER NOT NULL,  -- CRC-32 of the file
    stored_at REAL NOT NULL,    -- clock() at put, for the TTL
    last_used INTEGER NOT NULL, -- a counter, for LRU order
    PRIMARY KEY (image_id, rendition, sha256)
);
CREATE INDEX IF NOT EXISTS renditions_lru ON renditions(last_used);
CREATE TABLE IF NOT EXISTS totals(
    id INTEGER PRIMARY KEY CHECK (id = 0), items INTEGER NOT NULL, bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals SELECT 0, COUNT(*), COALESCE(SUM(bytes), 0) FROM renditions;
CREATE TRIGGER IF NOT EXISTS renditions_added AFTER INSERT ON renditions BEGIN
    UPDATE totals SET items = items + 1, bytes = bytes + NEW.bytes;
END;
CREATE TRIGGER IF NOT EXISTS renditions_removed AFTER DELETE ON renditions BEGIN
    UPDATE totals SET items = items - 1, bytes = bytes - OLD.bytes;
END;
"""

Row = tuple[str, str, str, str]  # image_id, rendition, sha256, token


class Trouble(enum.Enum):
    """What an SQLite error says about the index, by its result code (never its wording)."""

    DAMAGED = "damaged"
    UNWRITABLE = "read-only or not writable"
    BUSY = "busy (held by another program)"
    FULL = "on a full disk"
    OTHER = "failing"


_BY_CODE = {
    sqlite3.SQLITE_CORRUPT: Trouble.DAMAGED,
    sqlite3.SQLITE_NOTADB: Trouble.DAMAGED,
    sqlite3.SQLITE_READONLY: Trouble.UNWRITABLE,
    sqlite3.SQLITE_PERM: Trouble.UNWRITABLE,
    sqlite3.SQLITE_CANTOPEN: Trouble.UNWRITABLE,
    sqlite3.SQLITE_AUTH: Trouble.UNWRITABLE,
    sqlite3.SQLITE_BUSY: Trouble.BUSY,
    sqlite3.SQLITE_LOCKED: Trouble.BUSY,
    sqlite3.SQLITE_FULL: Trouble.FULL,
}


class ForeignIndex(sqlite3.DatabaseError):
    """A readable SQLite file that is not an index this version wrote: rebuilt like damage."""


def trouble(exc: sqlite3.Error) -> Trouble:
    if isinstance(exc, ForeignIndex):
        return Trouble.DAMAGED
    code = getattr(exc, "sqlite_errorcode", None)
    return Trouble.OTHER if code is None else _BY_CODE.get(code & 0xFF, Trouble.OTHER)


def file_name(image_id: str, rendition: str, sha: str, token: str) -> str | None:
    """The file name of one entry, or None if a value is not one this code writes.

    Names are only ever built from validated hex and a fixed rendition word, never a path.
    """
    name = f"{image_id}-{rendition}-{sha}-{token}.jpg"
    return name if _FILE_RE.fullmatch(name) else None


def shards(files: Path) -> list[Path]:
    """The two-hex-digit folders under `files` (image ids spread over 256 of them)."""
    try:
        return [Path(e.path) for e in os.scandir(files) if e.is_dir() and len(e.name) == 2]
    except OSError:
        return []


def open_index(root: Path, files: Path, timeout: float, now: float) -> sqlite3.Connection:
    """Open the index. Damage rebuilds it from the files; any other sqlite3.Error propagates.

    A new, empty index over existing files (deleted or zero-length) adopts those files too.
    `now` is the cache clock's time, for the age of adopted files.
    """
    path = root / INDEX_NAME
    try:
        db, created = _connect(path, timeout)
    except sqlite3.Error as exc:
        if trouble(exc) is not Trouble.DAMAGED:
            raise
        return repair(root, files, timeout, now, exc)
    if created and shards(files):
        try:
            with _transaction(db):
                adopt(db, files, now)
        except BaseException:
            db.close()
            raise
    return db


def repair(
    root: Path, files: Path, timeout: float, now: float, cause: sqlite3.Error
) -> sqlite3.Connection:
    """Replace a damaged index by one rebuilt from the rendition files that exist.

    Under an inter-process lock; an index another process repaired meanwhile is used as is.
    Raises OSError or sqlite3.Error if the folder cannot take a new index.
    """
    path = root / INDEX_NAME
    with _repair_lock(root):
        again = _checked(path, timeout)  # another process may have repaired it meanwhile
        if again is not None:
            return again
        log.warning("rendition cache index %s is damaged (%s); rebuilding it", path, cause)
        fresh = path.with_name(f".{INDEX_NAME}-{random_hex(4)}{TEMP_SUFFIX}")
        try:
            db = sqlite3.connect(fresh, isolation_level=None)
            try:
                os.chmod(fresh, 0o600)
                db.executescript(f"BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION};")
                count = adopt(db, files, now)
                db.execute("COMMIT")
            finally:
                db.close()
            # A stale WAL would be replayed into the new file: it goes before the rename.
            for suffix in ("-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    path.with_name(path.name + suffix).unlink()
            os.replace(fresh, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                fresh.unlink()
        log.warning("rendition cache index %s rebuilt with %d existing renditions", path, count)
        db, _created = _connect(path, timeout)
        return db


def _checked(path: Path, timeout: float) -> sqlite3.Connection | None:
    """The index if it opens and passes quick_check; None if it is damaged."""
    try:
        db, _created = _connect(path, timeout)
    except sqlite3.Error as exc:
        if trouble(exc) is not Trouble.DAMAGED:
            raise
        return None
    try:
        if db.execute("PRAGMA quick_check").fetchall() == [("ok",)]:
            return db
    except sqlite3.Error as exc:
        if trouble(exc) is not Trouble.DAMAGED:
            db.close()
            raise
    db.close()
    return None


def adopt(db: sqlite3.Connection, files: Path, now: float) -> int:
    """Index every rendition file that no row names and that looks whole; returns how many.

    A file is whole if it starts and ends like a JPEG; others are deleted (a put renames only
    complete files into place, so a broken one is damage, not a write in progress). Least
    recently modified first in the LRU order; the age of a file counts against its TTL.
    """
    known = {token for (token,) in db.execute("SELECT token FROM renditions")}
    found: list[tuple[float, Row, int, int]] = []
    wall = time.time()
    for shard in shards(files):
        with contextlib.suppress(OSError), os.scandir(shard) as entries:
            for entry in entries:
                match = _FILE_RE.fullmatch(entry.name)
                if not match or entry.name[:2] != shard.name or match.group(4) in known:
                    continue
                try:
                    mtime = entry.stat(follow_symlinks=False).st_mtime
                    with open(entry.path, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                if not looks_whole(data):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                    continue
                row = (match.group(1), match.group(2), match.group(3), match.group(4))
                found.append((mtime, row, len(data), zlib.crc32(data)))
    found.sort()
    # The newest file of a key wins; older twins stay unindexed strays for the sweep.
    newest = {(row[0], row[1], row[2]): entry for entry in found for row in [entry[1]]}
    (base,) = db.execute("SELECT COALESCE(MAX(last_used), 0) FROM renditions").fetchone()
    taken = {
        (a, b, c) for a, b, c in db.execute("SELECT image_id, rendition, sha256 FROM renditions")
    }
    adopted = 0
    for mtime, row, size, digest in sorted(newest.values()):
        if row[:3] in taken:
            continue
        adopted += 1
        db.execute(
            "INSERT INTO renditions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*row, size, digest, now - max(0.0, wall - mtime), base + adopted),
        )
    return adopted


def looks_whole(data: bytes) -> bool:
    """Starts with a JPEG start-of-image and ends with its end-of-image marker."""
    return len(data) >= 4 and data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"


def _connect(path: Path, timeout: float) -> tuple[sqlite3.Connection, bool]:
    """A connection to the index and whether its schema was created now.

    An index already at SCHEMA_VERSION is only read here, so opening never waits on a writer.
    """
    exists = path.exists()
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    try:
        if not exists:
            os.chmod(path, 0o600)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise ForeignIndex(f"index schema {version}, expected {SCHEMA_VERSION}")
        created = version == 0
        if created:  # idempotent: two processes creating it at once both succeed
            db.executescript(
                f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
        if not names >= _TABLES:
            raise ForeignIndex(f"index lacks {sorted(_TABLES - names)}")
    except BaseException:
        db.close()
        raise
    return db, created


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def _repair_lock(root: Path) -> Iterator[None]:
    """Held by one process at a time while it checks and rebuilds the index."""
    fd = os.open(root / REPAIR_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def sweep_due(root: Path, wall: float | None = None) -> bool:
    """True if the folder walk has not run for a day (or its marker is missing or odd)."""
    now = time.time() if wall is None else wall
    try:
        ran = (root / SWEEP_MARKER).stat().st_mtime
    except OSError:
        return True
    return not 0 <= now - ran < SWEEP_INTERVAL_SECONDS


def mark_swept(root: Path) -> None:
    """Record that the sweep ran now (best effort: a failure only means sweeping again)."""
    marker = root / SWEEP_MARKER
    with contextlib.suppress(OSError):
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
        os.utime(marker)


def sweep(db: sqlite3.Connection, files: Path, grace: float = SWEEP_GRACE_SECONDS) -> set[Row]:
    """Reconcile files with the index; return the rows whose file is gone.

    Deletes temp files of interrupted writes and files named like ours that no row knows,
    unless they are younger than `grace` seconds: another process sharing the folder may be
    between writing such a file and indexing it. Files named otherwise are never touched.
    """
    known: set[Row] = {
        (str(a), str(b), str(c), str(d))
        for a, b, c, d in db.execute("SELECT image_id, rendition, sha256, token FROM renditions")
    }
    found: set[Row] = set()
    settled = time.time() - grace
    for shard in shards(files):
        try:
            entries = list(os.scandir(shard))
        except OSError:  # removed meanwhile by a clear() in another process
            continue
        for entry in entries:
            match = _FILE_RE.fullmatch(entry.name)
            if match:
                image_id, rendition, sha, token = match.groups()
                row = (image_id, rendition, sha, token)
                if row in known and entry.name[:2] == shard.name:
                    found.add(row)
                    continue
            elif not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime <= settled:
                    os.unlink(entry.path)
    return known - found
