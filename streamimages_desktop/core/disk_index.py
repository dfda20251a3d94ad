"""The rendition cache on disk: file names, the SQLite index schema, and the startup sweep."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path

from streamimages_desktop.core.atomic import TEMP_SUFFIX
from streamimages_desktop.core.errors import LibraryError

log = logging.getLogger(__name__)

INDEX_NAME = "index.sqlite3"
FILES_DIR = "renditions"
SCHEMA_VERSION = 1
# A file the index does not know may be another process's put between its rename and its
# INSERT (or its temp file before the rename); the sweep leaves such young files alone.
SWEEP_GRACE_SECONDS = 600.0
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


def open_index(root: Path, files: Path) -> sqlite3.Connection:
    """Open the index; a damaged or unknown one is replaced with its files (it is only a cache)."""
    path = root / INDEX_NAME
    try:
        return _connect(path)
    except sqlite3.DatabaseError as exc:
        log.warning("rendition cache index %s unusable (%s); starting afresh", path, exc)
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()
    for shard in shards(files):
        shutil.rmtree(shard, ignore_errors=True)
    try:
        return _connect(path)
    except sqlite3.Error as exc:
        raise LibraryError(f"cannot open the rendition cache index {path}: {exc}") from None


def _connect(path: Path) -> sqlite3.Connection:
    fresh = not path.exists()
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    try:
        if fresh:
            os.chmod(path, 0o600)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"index schema {version}, expected {SCHEMA_VERSION}")
        db.executescript(
            f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        )
        db.execute("SELECT items, bytes FROM totals").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def sweep(db: sqlite3.Connection, files: Path, grace: float = SWEEP_GRACE_SECONDS) -> set[Row]:
    """Reconcile files with the index at start; return the rows whose file is gone.

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
