"""Tidying a library after crashes: orphan originals, stale renditions, abandoned temp files.

A SIGKILL between writing a blob and inserting its row (or between deleting a row and its
blob) leaves a file nobody uses. The collector removes such files once they are older than a
grace period, holding the library lock exclusively; an import holds it shared from its blob
write to its row insert, so a file is never collected while its row is on the way.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from pathlib import Path

from streamimages_desktop.core.atomic import TEMP_GRACE_SECONDS, create_private_file
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.errors import LibraryError, StreamImagesError
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.process_lock import file_lock
from streamimages_desktop.core.record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any, Final

    from streamimages_desktop.core.disk_cache import DiskCache
    from streamimages_desktop.core.store import Store

log = logger(__name__)

LOCK_FILE: Final = ".library.lock"
MARKER_FILE: Final = ".housekeeping"
ORPHAN_GRACE_SECONDS: Final = TEMP_GRACE_SECONDS
HOUSEKEEPING_INTERVAL_SECONDS: Final = 3600.0
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"


class OrphanReport(Record):
    """What one collection removed; `skipped` when another process was collecting already."""

    originals: int = 0
    renditions: int = 0
    temp_files: int = 0
    skipped: bool = False


def needs_housekeeping(root: Path, now: float | None = None) -> bool:
    """Whether the last collection in this library is over an hour old (or never ran)."""
    try:
        last = (root / MARKER_FILE).stat().st_mtime
    except OSError:
        return True
    return (time.time() if now is None else now) - last >= HOUSEKEEPING_INTERVAL_SECONDS


def collect_orphans(
    root: Path,
    blobs: Any,  # BlobStore, or a team library's S3BlobStore
    store: Store,
    disk_cache: DiskCache,
    grace: float = ORPHAN_GRACE_SECONDS,
    *,
    wait: float | None = None,
) -> OrphanReport:
    """Remove temp files of dead writers, originals no row uses and renditions of no row.

    Only what is older than `grace` seconds. Skips (report.skipped) when another process holds
    the lock and `wait` is None. Files that cannot be removed stay for the next run.
    """
    with file_lock(root / LOCK_FILE, wait=wait) as held:
        if not held:
            return OrphanReport(skipped=True)
        temp_files = blobs.clean_leftovers(grace)
        keys = store.all_image_keys()
        settled = time.time() - grace
        if isinstance(blobs, BlobStore):
            originals = _collect_files(blobs, {sha for _id, sha in keys}, settled)
        else:
            originals = _collect_objects(blobs, store, settled)
        try:
            renditions = disk_cache.discard_images_except({i for i, _sha in keys}, grace)
        except LibraryError as exc:
            log.warning("stale renditions not removed: %s", exc)
            renditions = 0
        _touch(root / MARKER_FILE)
    return OrphanReport(originals, renditions, temp_files)


def _collect_files(blobs: BlobStore, used: set[str], settled: float) -> int:
    """Original files of the local library that no row uses, older than `settled`."""
    originals = 0
    for sha, path, mtime in blobs.stored():
        if sha in used or mtime > settled:
            continue
        try:
            path.unlink()
            originals += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("orphan original %s not removed: %s", path, exc)
    return originals


def _collect_objects(blobs: Any, store: Store, settled: float) -> int:
    """A team library's objects that no row of their visibility uses, older than `settled`
    (an upload whose row never committed, the old copy of a visibility change). Other
    machines' imports are not under this machine's lock: the grace period covers them, and
    each object is asked about once more just before it goes."""
    used = store.all_original_keys()
    originals = 0
    for sha, visibility, fmt, mtime in blobs.stored():
        if (sha, visibility) in used or mtime > settled:
            continue
        try:
            if not store.sha_in_use(sha, visibility):
                blobs.remove(sha, fmt, visibility)
                originals += 1
        except (OSError, StreamImagesError) as exc:
            log.warning("orphan original %s (%s) not removed: %s", sha, visibility, exc)
    return originals


def _touch(marker: Path) -> None:
    with contextlib.suppress(OSError):
        create_private_file(marker)
        os.utime(marker)


def check_library_file(db_path: Path, blobs: BlobStore) -> None:
    """Refuse a library file that is empty or unreadable while originals exist.

    SQLite would silently treat an empty file as a new library, orphaning every original.
    A fresh folder (no file, or no originals) is fine: a new library is made.
    """
    try:
        size = db_path.stat().st_size
    except FileNotFoundError:
        size = None
    except OSError as exc:
        raise _unreadable(db_path, exc) from None
    if size is None:
        problem = "is missing"
    elif size == 0:
        problem = "is empty"
    else:
        try:
            with open(db_path, "rb") as f:
                f.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise _unreadable(db_path, exc) from None
        return  # a garbled file: the database names it damaged and points at check --repair
    if _any_original(blobs):
        raise _damaged(db_path, f"{problem} but the library holds originals")


def _damaged(db_path: Path, problem: str) -> LibraryError:
    return LibraryError(
        f"the library file {db_path} {problem}: restore it from a backup, "
        "or run `streamimages check --repair`"
    )


def _unreadable(db_path: Path, exc: OSError) -> LibraryError:
    if isinstance(exc, PermissionError):
        return LibraryError(f"the library file {db_path} cannot be read: check its permissions")
    return _damaged(db_path, f"cannot be read ({exc.strerror or exc})")


def _any_original(blobs: BlobStore) -> bool:
    return next(iter(blobs.stored()), None) is not None


def folder_warning(root: Path) -> str | None:
    """A warning when others may read the library folder (it existed before, made by hand)."""
    try:
        mode = root.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"the library folder {root} can be read by other users (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 700 {root}` to keep it private"
        )
    return None
