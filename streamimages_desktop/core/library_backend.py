"""Opening a library's two halves, its rows and its originals, for whichever kind it is.

The local library is SQLite plus a folder of originals; a team library is PostgreSQL plus an
S3-compatible bucket (core/team_store.py, core/s3_blobs.py, imported only when one is
opened, so the local library never loads psycopg or boto3). Everything above this module
(the manager, the importer, the trash) sees the same `Store` and blob-store methods.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from streamimages_desktop.core import backups, failures, housekeeping, paths
from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.library_location import (
    LIBRARY_FILE,
    TEAMS_FOLDER,
    LocalLibrary,
    Location,
    TeamLibrary,
    location_of,
    machine_folder,
)
from streamimages_desktop.core.logs import logger
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.store import Store

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

log = logger(__name__)


class Backend:
    """An open library: its rows, its originals and this machine's folder for it.

    `state_dir` holds what is this machine's alone: the library lock that orders an import
    against the orphan collector, the housekeeping marker, the OBS hand-off folder. For the
    local library it is the library folder itself.
    """

    def __init__(
        self,
        location: Location,
        store: Store,
        blobs: Any,  # BlobStore or S3BlobStore: the same methods, each taking a visibility
        state_dir: Path,
        cache_dir: Path,
        warnings: list[str] | None = None,
    ) -> None:
        self.location = location
        self.store = store
        self.blobs = blobs
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self.warnings = warnings if warnings is not None else []
        self._feed: Any = None  # the ChangeFeed, made on first use

    def __repr__(self) -> str:
        return f"Backend({self.location.describe()})"

    @property
    def is_team(self) -> bool:
        return self.location.is_team

    @property
    def may_housekeep(self) -> bool:
        """Whether this login may collect orphans: on a team library only a member who sees
        every row and may edit (anyone else would take rows hidden from them for orphans)."""
        if not self.is_team:
            return True
        return getattr(self.store, "level", None) == "all" and bool(
            getattr(self.store, "can_edit", False)
        )

    def change_feed(self) -> Any:
        """The team library's ChangeFeed (one dedicated LISTEN connection, made on first use);
        None for the local library, whose changes are seen by polling data_version()."""
        if not isinstance(self.location, TeamLibrary):
            return None
        if self._feed is None:
            from streamimages_desktop.core.team_changes import ChangeFeed

            self._feed = ChangeFeed(self.location.database_url)
        return self._feed

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None
        self.store.close()


def cache_dir_of(settings: Settings) -> Path:
    """This machine's rendition cache for the library `settings` point at."""
    location = location_of(settings)
    if isinstance(location, TeamLibrary):
        return settings.image_cache_dir / TEAMS_FOLDER / location.key
    return settings.image_cache_dir


def open_backend(settings: Settings, now: datetime) -> Backend:
    """Open the library `settings` point at; raises EnvironmentProblem or UserError.

    `now` dates a local library's daily snapshot (a team library's backups are the server's).
    """
    location = location_of(settings)
    if isinstance(location, TeamLibrary):
        return _open_team(settings, location)
    return _open_local(settings, location, now)


def _open_local(settings: Settings, location: LocalLibrary, now: datetime) -> Backend:
    root = location.folder
    warnings: list[str] = []
    try:
        existed = root.is_dir()
        paths.ensure_private_dir(root)
        blobs = BlobStore(root / "originals")
    except OSError as exc:
        raise failures.from_os(exc, "library folder", root) from None
    warning = housekeeping.folder_warning(root) if existed else None
    if warning is not None:
        log.info("%s", warning)
        warnings.append(warning)
    housekeeping.check_library_file(root / LIBRARY_FILE, blobs)
    store = Store(root / LIBRARY_FILE)
    if not store.read_only:
        backups.snapshot_if_due(
            store.path,
            now,
            settings.library_backup_interval_hours * 3600.0,
            settings.library_backups_kept,
        )
    return Backend(location, store, blobs, root, settings.image_cache_dir, warnings)


def _open_team(settings: Settings, location: TeamLibrary) -> Backend:
    """Rows on the PostgreSQL server, originals in the bucket; this machine keeps only its
    renditions (in a cache folder of the team library's own, so the local library's orphan
    collector never takes them) and its lock and OBS files."""
    from streamimages_desktop.core.s3_blobs import S3BlobStore
    from streamimages_desktop.core.team_store import TeamStore

    state = machine_folder(settings)
    try:
        paths.ensure_private_dir(state.parent.parent)
        paths.ensure_private_dir(state.parent)
        paths.ensure_private_dir(state)
    except OSError as exc:
        raise failures.from_os(exc, "team library folder", state) from None
    blobs = S3BlobStore(
        location.bucket,
        location.prefix,
        endpoint_url=location.endpoint or None,
        access_key=location.access_key,
        secret_key=location.secret_key,
    )
    store = TeamStore(location.database_url)
    return Backend(location, store, blobs, state, cache_dir_of(settings))
