"""Snapshots of the library database with SQLite's online backup API, taken at start-up.

`<library>/backups/library-YYYYmmdd-HHMMSS.sqlite3`, owner-only, written atomically; at most
one per interval, the newest `keep` kept. The folder's mtime is set to the snapshot's time, so
deciding that none is due costs one stat.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from streamimages_desktop.core.atomic import TEMP_SUFFIX, fsync_dir
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.paths import ensure_private_dir
from streamimages_desktop.core.schema import SCHEMA_VERSION

log = logger(__name__)

BACKUPS_DIR = "backups"
_NAME_RE = re.compile(r"library-(\d{8}-\d{6})\.sqlite3")
_STALE_TEMP_SECONDS = 3600.0


def backups_dir(library_file: Path) -> Path:
    return library_file.parent / BACKUPS_DIR


def snapshot_name(when: datetime) -> str:
    return f"library-{when.astimezone(UTC):%Y%m%d-%H%M%S}.sqlite3"


def snapshots(folder: Path) -> list[Path]:
    """The snapshots in `folder`, newest first (the names sort by time)."""
    try:
        names = [e.name for e in os.scandir(folder) if _NAME_RE.fullmatch(e.name)]
    except OSError:
        return []
    return [folder / n for n in sorted(names, reverse=True)]


def snapshot_due(folder: Path, now: datetime, interval_seconds: float) -> bool:
    """One stat: due when the folder is missing or was last stamped an interval ago or more
    (or in the future, after the clock was set back)."""
    try:
        stamped = folder.stat().st_mtime
    except OSError:
        return True
    age = now.timestamp() - stamped
    return not 0 <= age < interval_seconds


def take_snapshot(library_file: Path, now: datetime, keep: int) -> Path:
    """Copy the library with the backup API into a temp file, fsync, rename; prune to `keep`.

    The copy is switched to a rollback journal, so a snapshot is one self-contained file.
    Raises sqlite3.Error or OSError; nothing half-written is left under a snapshot's name.
    """
    folder = ensure_private_dir(backups_dir(library_file))
    target = folder / snapshot_name(now)
    tmp = folder / f".{target.stem}-{os.getpid()}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        source = sqlite3.connect(f"{library_file.absolute().as_uri()}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(tmp)
            try:
                source.backup(dest)
                # A damaged library must never push a good snapshot out.
                verdict = dest.execute("PRAGMA quick_check(1)").fetchone()[0]
                if verdict != "ok":
                    raise sqlite3.DatabaseError(f"the library looks damaged ({verdict})")
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
        finally:
            source.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(folder)
    prune(folder, keep)
    stamp = now.timestamp()
    os.utime(folder, (stamp, stamp))
    return target


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` snapshots, and temp files of crashed snapshots."""
    doomed = snapshots(folder)[keep:]
    for path in doomed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    settled = time.time() - _STALE_TEMP_SECONDS
    for temp in folder.glob(f".library-*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if temp.stat().st_mtime < settled:
                temp.unlink()
    return doomed


def snapshot_if_due(
    library_file: Path, now: datetime, interval_seconds: float, keep: int
) -> Path | None:
    """The start-up hook: a new snapshot if one is due (never raises: a failed snapshot is
    logged and start-up goes on); None when none was due, disabled (keep 0) or it failed."""
    folder = backups_dir(library_file)
    if keep <= 0 or not snapshot_due(folder, now, interval_seconds):
        return None
    try:
        return take_snapshot(library_file, now, keep)
    except (OSError, sqlite3.Error) as exc:
        log.warning("library snapshot in %s not taken: %s", folder, exc)
        return None


def good_snapshot(path: Path) -> bool:
    """A snapshot passes integrity_check and has a schema this version reads."""
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        ok = [r[0] for r in conn.execute("PRAGMA integrity_check(1)")] == ["ok"]
        return ok and 1 <= version <= SCHEMA_VERSION
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def restore_newest_snapshot(library_file: Path, now: datetime) -> tuple[Path, Path | None] | None:
    """Put the newest good snapshot in place of the library; None when there is none.

    The copy is made and fsynced first, the damaged file is kept under a `.damaged-` name, its
    -wal and -shm are moved with it (a stale WAL must never be replayed into the restored
    file), then one rename puts the copy in place.
    """
    snapshot = next((s for s in snapshots(backups_dir(library_file)) if good_snapshot(s)), None)
    if snapshot is None:
        return None
    folder = library_file.parent
    tmp = folder / f".{library_file.name}-restore-{os.getpid()}.part"
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, open(snapshot, "rb") as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        kept: Path | None = None
        if library_file.exists():
            kept = folder / f"{library_file.name}.damaged-{now.astimezone(UTC):%Y%m%d-%H%M%S}"
            os.link(library_file, kept)  # so the library's name never points at nothing
        for suffix in ("-wal", "-shm", "-journal"):
            side = library_file.with_name(library_file.name + suffix)
            if side.exists():
                os.replace(side, Path(f"{kept}{suffix}") if kept else side.with_suffix(".old"))
        os.replace(tmp, library_file)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(folder)
    return snapshot, kept
