"""Setting up a team library and its members: one call each for `team init`, `add-member`,
`set-level`, `remove-member` and `members`.

Both halves are the servers' own: a PostgreSQL role per member (row-level security keeps rows
above their level away from it, core/team_members.py) and storage keys per member (an IAM
policy keeps the originals above their level away from them, core/team_storage.py). These
calls run with the owner's settings: the database URL of the role that owns the team, and
storage keys that may manage identities. A member's own settings are refused before anything
changes (their role does not own the team's tables).

Each change is made on both halves or neither: the database half runs in a transaction that
commits only after the storage half succeeded, and a storage half already done is put back if
that commit fails.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from streamimages_desktop.core.atomic import atomic_write
from streamimages_desktop.core.errors import (
    EnvironmentProblem,
    ProblemKind,
    StreamImagesError,
    UserError,
)
from streamimages_desktop.core.library_location import TeamLibrary, location_of
from streamimages_desktop.core.settings import Settings, toml_value
from streamimages_desktop.core.units import count_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from streamimages_desktop.core.team_members import Member
    from streamimages_desktop.core.team_storage import StorageAdmin

LEVELS = ("all", "subscribers", "public")


def _team(settings: Settings) -> TeamLibrary:
    location = location_of(settings)
    if not isinstance(location, TeamLibrary):
        raise UserError(
            "no team library: set STREAM_IMAGES_DATABASE_URL (or --library-url) and "
            "STREAM_IMAGES_BLOB_URL"
        )
    return location


def _storage_admin(team: TeamLibrary) -> StorageAdmin:
    from streamimages_desktop.core.team_storage import StorageAdmin

    return StorageAdmin(team.endpoint, team.bucket, team.prefix, team.access_key, team.secret_key)


def init_team(settings: Settings, *, max_per_stream: int) -> list[str]:
    """Create (or bring up to date) the team's tables, roles, policies and bucket; idempotent.

    Returns what was done, one line each, for the command to print.
    """
    from streamimages_desktop.core import team_members, team_storage

    team = _team(settings)
    admin = _storage_admin(team)
    made = team_storage.ensure_bucket(admin)  # first: a wrong key changes nothing in the database
    team_members.team_init(team.database_url, max_per_stream=max_per_stream)
    return [
        f"{team.describe()}: tables, roles and row-level security ready",
        f"originals: s3://{team.bucket}/{team.prefix}"
        f" ({'bucket created' if made else 'bucket exists'})",
        f"each stream holds at most {count_of(max_per_stream, 'image')}, for every member",
    ]


@dataclass(frozen=True)
class MemberCredentials:
    """What a new member needs to open the team library; shown once, never stored here."""

    name: str
    level: str
    can_edit: bool
    database_url: str
    blob_url: str
    endpoint: str
    access_key: str
    secret_key: str

    def settings_toml(self) -> str:
        """The member's settings.toml: their own login and keys (keep it owner-only)."""
        edits = "may edit" if self.can_edit else "may not edit"
        values = {
            "STREAM_IMAGES_DATABASE_URL": self.database_url,
            "STREAM_IMAGES_BLOB_URL": self.blob_url,
            "STREAM_IMAGES_BLOB_ENDPOINT": self.endpoint,
            "STREAM_IMAGES_BLOB_ACCESS_KEY": self.access_key,
            "STREAM_IMAGES_BLOB_SECRET_KEY": self.secret_key,
        }
        lines = [f"# StreamImages team library: {self.name}, level {self.level}, {edits}"]
        lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
        return "\n".join(lines) + "\n"


def _login_url(database_url: str, user: str, password: str) -> str:
    parts = urlsplit(database_url)
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}{port}"))


def add_member(settings: Settings, name: str, level: str, *, can_edit: bool) -> MemberCredentials:
    """A member's database role and storage keys, both or neither.

    The storage keys are made first; if the database then refuses (a taken name, a lost
    connection), the keys are removed again, so no half-made member is left behind.
    """
    from streamimages_desktop.core import team_members, team_storage

    if level not in LEVELS:
        raise UserError(f"invalid level {level!r}: use one of {', '.join(LEVELS)}")
    team = _team(settings)
    admin = _storage_admin(team)
    team_members.validate_member_name(name)
    team_members.require_owner(team.database_url)  # a member's settings: refused, nothing made
    access_key, secret_key = team_storage.create_member_credentials(admin, name, level, can_edit)
    try:
        password = team_members.add_member(team.database_url, name, level, can_edit)  # type: ignore[arg-type]
    except BaseException:
        with contextlib.suppress(StreamImagesError):
            team_storage.remove_member(admin, name)
        raise
    blob_url = f"s3://{team.bucket}/{team.prefix}"
    return MemberCredentials(
        name=name,
        level=level,
        can_edit=can_edit,
        database_url=_login_url(team.database_url, name, password),
        blob_url=blob_url,
        endpoint=team.endpoint,
        access_key=access_key,
        secret_key=secret_key,
    )


def _check_level(level: str | None) -> None:
    if level is not None and level not in LEVELS:
        raise UserError(f"invalid level {level!r}: use one of {', '.join(LEVELS)}")


def _edits(can_edit: bool) -> str:
    return "may edit" if can_edit else "may not edit"


def set_member_level(
    settings: Settings, name: str, level: str | None, *, can_edit: bool | None
) -> str:
    """Change a member's level and/or edit right (None keeps it) in the database and in the
    storage's policy together; their password and keys stay, so their settings file still
    works. Returns the line to print."""
    from streamimages_desktop.core import team_members, team_storage

    _check_level(level)
    if level is None and can_edit is None:
        raise UserError("nothing to change: give --level, --can-edit or --no-can-edit")
    team = _team(settings)
    admin = _storage_admin(team)
    stored: list[Member] = []  # the storage policy was changed away from this (old) access

    def storage_half(old: Member, new: Member) -> None:
        try:
            team_storage.set_member_access(admin, new.name, new.level, new.can_edit)
        except UserError:
            raise  # no such storage member: nothing was changed there
        except EnvironmentProblem as exc:
            if exc.kind is not ProblemKind.UNREACHABLE:  # unreached: nothing changed there
                _restore_access(admin, old)  # a half-applied policy change goes back
            raise
        stored.append(old)

    try:
        old, new = team_members.change_member(
            team.database_url,
            name,
            level,  # type: ignore[arg-type]  # checked above
            can_edit,
            before_commit=storage_half,
        )
    except BaseException:
        if stored:  # the database refused to commit: the storage goes back as well
            _restore_access(admin, stored[0])
        raise
    return (
        f"{name}: level {old.level} -> {new.level}, {_edits(old.can_edit)} -> "
        f"{_edits(new.can_edit)} (database and storage; same login and keys)"
    )


def _restore_access(admin: StorageAdmin, old: Member) -> None:
    from streamimages_desktop.core import team_storage

    with contextlib.suppress(StreamImagesError):
        team_storage.set_member_access(admin, old.name, old.level, old.can_edit)


def remove_member(settings: Settings, name: str) -> str:
    """Take a member out of the team: their database login and their storage keys both go
    (neither, if either half fails), their open database sessions end; the images they made
    stay. Returns the line to print."""
    from streamimages_desktop.core import team_members, team_storage

    team = _team(settings)
    admin = _storage_admin(team)
    keys_gone: list[bool] = []

    def storage_half(member: Member) -> None:
        team_storage.remove_member(admin, member.name)
        keys_gone.append(True)

    try:
        removal = team_members.remove_member(team.database_url, name, before_commit=storage_half)
    except Exception as exc:
        if keys_gone:  # the keys cannot come back: say what is left, whatever the failure
            said = str(exc) if isinstance(exc, StreamImagesError) else type(exc).__name__
            raise EnvironmentProblem(
                f"{said} ({name}'s storage keys are removed, their database login is not:"
                " run remove-member again)",
                getattr(exc, "kind", ProblemKind.IO),
            ) from None
        raise
    ended = removal.sessions_ended
    sessions = (
        "their open database sessions could not be ended (they can read nothing now)"
        if ended is None
        else f"ended {count_of(ended, 'open session')}"
    )
    return f"removed {name}: database login and storage keys; {sessions}; their images stay"


def list_members(settings: Settings) -> list[Member]:
    """The team's members with level and edit right (the owner first); never a secret."""
    from streamimages_desktop.core import team_members

    return team_members.list_members(_team(settings).database_url)


def write_private(path: Path, text: str) -> None:
    """Write a member's settings owner-only (0600), atomically."""
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        from streamimages_desktop.core.failures import from_os

        raise from_os(exc, "settings file", path) from None
