"""`streamimages check`: find damage in the library and, with `--repair`, undo what can be undone.

Checked: SQLite's `PRAGMA integrity_check`; the full-text index against the images table
(FTS5 'integrity-check' with rank 1, which compares it with its content table); the counts
kept by triggers (each stream's totals and image count) against a recount; every row's
original file (size always, SHA-256 with `full`, as hashing every original reads the whole
library); the cached renditions of every row. Works on the raw file, so it runs where the
library will not open. Nothing damaged is ever deleted: a restore keeps the damaged file.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from streamimages_desktop.core import backups, imaging, read_only
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.database import Database
from streamimages_desktop.core.disk_cache import DiskCache, RenditionKey
from streamimages_desktop.core.errors import LibraryError, StreamImagesError
from streamimages_desktop.core.schema import MISCOUNTED, RECOUNT, SCHEMA_VERSION

FTS_TABLES = ("images_fts", "images_words")  # trigram substrings, word prefixes
ORIGINALS_DIR = "originals"
MAX_INTEGRITY_LINES = 20
_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
DATABASE, FULL_TEXT, ORIGINAL, RENDITION = "database", "full-text index", "original", "rendition"
COUNTS = "stream counts"


@dataclass(frozen=True)
class Finding:
    """One piece of damage: `area` is one of the constants above, `text` one line."""

    area: str
    text: str


@dataclass(frozen=True)
class Thumb:
    """A row whose original is there but whose thumbnail is not cached (repair makes it)."""

    image_id: str
    sha256: str
    format: str


@dataclass
class CheckReport:
    library: Path
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: int = 0
    hashed: bool = False
    read_only: bool = False
    thumbs_to_make: list[Thumb] = field(default_factory=list)

    def damaged(self, area: str | None = None) -> bool:
        return any(area in (None, f.area) for f in self.findings)

    def summary(self) -> str:
        how = "sizes and SHA-256" if self.hashed else "sizes; --full hashes them"
        found = len(self.findings)
        result = "no damage found" if not found else f"{found} problem{'s' * (found != 1)} found"
        return f"checked {self.images} image{'s' * (self.images != 1)} ({how}): {result}"


@dataclass
class RepairReport:
    steps: list[str]
    after: CheckReport


# -- check ------------------------------------------------------------------------------------


def check(library_file: Path, cache: DiskCache | None, *, full: bool = False) -> CheckReport:
    """Every check that the state of the files allows; never raises for damage it finds."""
    report = CheckReport(library_file, hashed=full)
    conn = _open(library_file, report)
    if conn is None:
        return report
    try:
        _integrity(conn, report)
        _full_text(report)
        _counts(conn, report)
        try:
            rows = conn.execute("SELECT id, sha256, format, bytes FROM images ORDER BY seq")
            rows_read = rows.fetchall()
        except sqlite3.DatabaseError as exc:
            report.findings.append(Finding(DATABASE, f"cannot read the images: {exc}"))
            return report
    finally:
        conn.close()
    originals = library_file.parent / ORIGINALS_DIR
    blobs = BlobStore(originals) if originals.is_dir() else None
    for image_id, sha, fmt, size in rows_read:
        report.images += 1
        if _original(blobs, str(image_id), sha, fmt, size, full, report) and cache is not None:
            _renditions(cache, str(image_id), sha, fmt, report)
    if cache is None:
        report.notes.append("renditions not checked: the rendition cache is unusable")
    elif report.thumbs_to_make:
        report.notes.append(
            f"{len(report.thumbs_to_make)} thumbnails not cached (check --repair makes them)"
        )
    return report


def _count_originals(library_file: Path) -> int:
    root = library_file.parent / ORIGINALS_DIR
    return sum(1 for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def _open(library_file: Path, report: CheckReport) -> sqlite3.Connection | None:
    """A connection for checking (read-only where the library is), or None with the finding."""
    if not library_file.is_file() or library_file.stat().st_size == 0:
        originals = _count_originals(library_file)
        state = "is missing" if not library_file.exists() else "is empty (0 bytes)"
        if originals:
            report.findings.append(
                Finding(
                    DATABASE,
                    f"the library {library_file} {state} while {originals} originals exist",
                )
            )
        else:
            report.notes.append(f"the library {library_file} {state}: no images yet")
        return None
    # Read-only even where it could write: a read-write connection to a file SQLite does not
    # recognise deletes its -wal on close (see read_only.probe).
    report.read_only = not read_only.is_writable(library_file)
    if report.read_only:
        report.notes.append(f"the library {library_file} is read-only: checked as it is")
    try:
        conn = read_only.connect_read_only(library_file)
    except (sqlite3.Error, LibraryError) as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        state = "is damaged" if code in _DAMAGE_CODES else "cannot be opened"
        report.findings.append(Finding(DATABASE, f"the library {library_file} {state}: {exc}"))
        return None
    conn.text_factory = lambda raw: raw.decode("utf-8", "backslashreplace")
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        report.findings.append(Finding(DATABASE, f"the library {library_file} is damaged: {exc}"))
        return None
    if version != SCHEMA_VERSION:
        conn.close()
        report.findings.append(
            Finding(
                DATABASE,
                f"the library {library_file} has schema {version}, expected {SCHEMA_VERSION}",
            )
        )
        return None
    return conn


def _integrity(conn: sqlite3.Connection, report: CheckReport) -> None:
    try:
        lines = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({MAX_INTEGRITY_LINES})")]
    except sqlite3.DatabaseError as exc:
        lines = [str(exc)]
    if lines != ["ok"]:
        report.findings.extend(
            Finding(DATABASE, f"the library {report.library} is damaged: {line}") for line in lines
        )


def _full_text(report: CheckReport) -> None:
    """The FTS5 check is an INSERT, so it needs a read-write connection (opened only now that
    SQLite has recognised the file)."""
    if report.read_only:
        report.notes.append("the full-text index was not checked: the library is read-only")
        return
    conn = sqlite3.connect(report.library, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        for table in FTS_TABLES:
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        report.findings.append(
            Finding(FULL_TEXT, f"the full-text index does not match the images: {exc}")
        )
    finally:
        conn.close()


def _counts(conn: sqlite3.Connection, report: CheckReport) -> None:
    """`stats`, `streams` and the stream limit trust these counts instead of counting rows."""
    try:
        wrong = int(conn.execute(MISCOUNTED).fetchone()[0])
    except sqlite3.DatabaseError as exc:
        report.findings.append(Finding(COUNTS, f"cannot recount the streams: {exc}"))
        return
    if wrong:
        report.findings.append(
            Finding(COUNTS, f"{wrong} kept stream count{'s' * (wrong != 1)} differ from a recount")
        )


def _original(
    blobs: BlobStore | None,
    image_id: str,
    sha: str,
    fmt: str,
    size: int,
    full: bool,
    report: CheckReport,
) -> bool:
    """Check one row's original; True when it is there and right."""
    if blobs is None:
        report.findings.append(Finding(ORIGINAL, f"image {image_id}: the originals folder is gone"))
        return False
    try:
        path = blobs.path_for(sha, fmt)
    except ValueError as exc:
        report.findings.append(Finding(ORIGINAL, f"image {image_id}: the row is damaged: {exc}"))
        return False
    try:
        found = path.stat().st_size
        if found != size:
            report.findings.append(
                Finding(
                    ORIGINAL,
                    f"image {image_id}: original {path} has {found} bytes, the row says {size}",
                )
            )
            return False
        if full:
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            if digest != sha:
                report.findings.append(
                    Finding(
                        ORIGINAL,
                        f"image {image_id}: original {path} has SHA-256 {digest}, "
                        "not the one the row says",
                    )
                )
                return False
    except FileNotFoundError:
        report.findings.append(Finding(ORIGINAL, f"image {image_id}: original {path} is missing"))
        return False
    except OSError as exc:
        report.findings.append(Finding(ORIGINAL, f"image {image_id}: cannot read {path}: {exc}"))
        return False
    return True


def _renditions(cache: DiskCache, image_id: str, sha: str, fmt: str, report: CheckReport) -> None:
    """Read each cached rendition: the cache itself drops one whose size or checksum is wrong
    (counted as corrupt), so a miss that raised the count was damage, any other a plain miss."""
    for rendition in ("thumb", "display"):
        try:
            key = RenditionKey(image_id, rendition, sha)
        except ValueError as exc:
            report.findings.append(Finding(RENDITION, f"image {image_id}: {exc}"))
            return
        corrupt_before = cache.stats().corrupt
        if cache.get(key) is not None:
            continue
        if cache.stats().corrupt > corrupt_before:
            report.findings.append(
                Finding(
                    RENDITION,
                    f"image {image_id}: the cached {rendition} was missing or damaged "
                    "(dropped; check --repair makes it again)",
                )
            )
        if rendition == "thumb":
            report.thumbs_to_make.append(Thumb(image_id, sha, fmt))


# -- repair -----------------------------------------------------------------------------------


def repair(
    library_file: Path,
    cache: DiskCache | None,
    *,
    full: bool = False,
    now: datetime | None = None,
) -> RepairReport:
    """Restore the newest good snapshot if the database is damaged, rebuild the full-text
    index and recount the streams, make the missing thumbnails; each step is one line. Raises
    LibraryError when the library is read-only. Close other StreamImages programs first: a
    restore replaces the file.
    """
    if library_file.exists() and not read_only.is_writable(library_file):
        raise LibraryError(read_only.read_only_message(library_file))
    steps: list[str] = []
    report = check(library_file, cache, full=full)
    if report.damaged(DATABASE):
        restored = backups.restore_newest_snapshot(library_file, now or datetime.now(UTC))
        if restored is None:
            steps.append(
                f"no good snapshot in {backups.backups_dir(library_file)}: "
                "the damaged library is left as it is"
            )
            return RepairReport(steps, report)
        snapshot, kept = restored
        kept_text = f" (the damaged file is kept as {kept.name})" if kept else ""
        steps.append(f"restored {library_file.name} from {snapshot}{kept_text}")
    try:
        database = Database(library_file)  # migrates a restored older snapshot, sets WAL
        try:
            with database.transaction() as conn:
                for table in FTS_TABLES:
                    conn.execute(f"INSERT INTO {table}({table}) VALUES('rebuild')")
                for statement in RECOUNT:
                    conn.execute(statement)
        finally:
            database.close()
        steps.append("rebuilt the full-text index and recounted the streams")
    except StreamImagesError as exc:
        steps.append(f"the full-text index was not rebuilt: {exc}")
    report = check(library_file, cache, full=full)
    steps.extend(_make_thumbs(library_file, cache, report.thumbs_to_make))
    return RepairReport(steps, check(library_file, cache, full=full))


def _make_thumbs(library_file: Path, cache: DiskCache | None, thumbs: list[Thumb]) -> list[str]:
    if cache is None:
        return ["thumbnails not made: the rendition cache is unusable"]
    blobs = BlobStore(library_file.parent / ORIGINALS_DIR)
    lines, made = [], 0
    for thumb in thumbs:
        try:
            data = imaging.render(blobs.read(thumb.sha256, thumb.format), imaging.THUMB_SIZE)
        except (OSError, StreamImagesError) as exc:
            lines.append(f"no thumbnail for image {thumb.image_id}: {exc}")
            continue
        cache.put(RenditionKey(thumb.image_id, "thumb", thumb.sha256), data)
        made += 1
    return [f"made {made} missing thumbnail{'s' * (made != 1)}", *lines]
