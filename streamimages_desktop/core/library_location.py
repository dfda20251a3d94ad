"""Which library the settings point at: the local folder, or a team library on servers.

A team library is a URL pair (STREAM_IMAGES_DATABASE_URL and STREAM_IMAGES_BLOB_URL, or
--library-url for the first); anything else is the local library in STREAM_IMAGES_DIR. The
words the window's title and status bar show come from `describe()`, which never prints a
password.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from streamimages_desktop.core.errors import UserError
from streamimages_desktop.core.record import Record
from streamimages_desktop.core.settings import Settings

_DATABASE_SCHEMES = ("postgresql", "postgres")
# S3's own rule for bucket names: 3-63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


LIBRARY_FILE = "library.sqlite3"  # a local library's rows, in its folder
TEAMS_FOLDER = "teams"  # under STREAM_IMAGES_DIR: this machine's folder of each team library


class LibraryUrlError(UserError, ValueError):
    """A team library URL that cannot be used; the message says which and why."""


class LocalLibrary(Record):
    """The embedded default: SQLite and a folder of originals, no server."""

    folder: Path

    def describe(self) -> str:
        return f"local library {self.folder}"

    @property
    def is_team(self) -> bool:
        return False


class TeamLibrary(Record):
    """A team library: rows in PostgreSQL, originals in an S3-compatible bucket."""

    database_url: str
    bucket: str
    prefix: str
    endpoint: str
    access_key: str
    secret_key: str

    def describe(self) -> str:
        """ "team library ann@db.example:5432/streams": who, where, never the password."""
        parts = urlsplit(self.database_url)
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        database = parts.path.lstrip("/") or "postgres"
        return f"team library {user}{parts.hostname or 'localhost'}{port}/{database}"

    @property
    def is_team(self) -> bool:
        return True

    @property
    def key(self) -> str:
        """A short name for this machine's state of the library (its lock and OBS folder)."""
        parts = urlsplit(self.database_url)
        where = f"{parts.hostname}:{parts.port}/{parts.path}|{self.bucket}/{self.prefix}"
        import hashlib  # here: only a team library needs its key

        return hashlib.sha256(where.encode()).hexdigest()[:16]


Location = LocalLibrary | TeamLibrary


def parse_database_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in _DATABASE_SCHEMES or not parts.hostname:
        raise LibraryUrlError(
            f"STREAM_IMAGES_DATABASE_URL must look like postgresql://user:password@host/database,"
            f" not {_without_password(url)!r}"
        )
    return url


DEFAULT_PREFIX = "library"


def parse_blob_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of s3://bucket/prefix; s3://bucket alone keeps its originals under
    DEFAULT_PREFIX, so the visibility folders never sit at the bucket's top."""
    parts = urlsplit(url)
    bucket = parts.netloc
    if parts.scheme != "s3" or not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise LibraryUrlError(
            f"STREAM_IMAGES_BLOB_URL must look like s3://bucket/prefix with a bucket name of 3-63"
            f" lower-case letters, digits, dots or hyphens, not {url!r}"
        )
    prefix = parts.path.strip("/") or DEFAULT_PREFIX
    if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", prefix) or any(
        segment in (".", "..") for segment in prefix.split("/")
    ):
        raise LibraryUrlError(
            f"the prefix of STREAM_IMAGES_BLOB_URL {url!r} may hold only letters, digits,"
            " '.', '_', '-' and '/'"
        )
    return bucket, prefix


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def machine_folder(settings: Settings) -> Path:
    """This machine's own folder for the library `settings` name: the local library's folder,
    or STREAM_IMAGES_DIR/teams/<key> for a team library. Its lock, housekeeping marker, OBS
    files and the window's single-instance lock live there, so a window on a team library
    and one on the local library do not exclude each other."""
    location = location_of(settings)
    if isinstance(location, TeamLibrary):
        return settings.stream_images_dir / TEAMS_FOLDER / location.key
    return location.folder


def location_of(settings: Settings) -> Location:
    """The library these settings open; a half-given team library is refused, not guessed."""
    database = settings.stream_images_database_url.strip()
    blob = settings.stream_images_blob_url.strip()
    if not database and not blob:
        return LocalLibrary(settings.stream_images_dir)
    if not database or not blob:
        missing = "STREAM_IMAGES_BLOB_URL" if database else "STREAM_IMAGES_DATABASE_URL"
        raise LibraryUrlError(f"a team library needs both URLs: {missing} is not set")
    bucket, prefix = parse_blob_url(blob)
    return TeamLibrary(
        database_url=parse_database_url(database),
        bucket=bucket,
        prefix=prefix,
        endpoint=settings.stream_images_blob_endpoint.strip(),
        access_key=settings.stream_images_blob_access_key,
        secret_key=settings.stream_images_blob_secret_key,
    )
