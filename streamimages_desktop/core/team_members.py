"""The team and its members: the schema, the limit, and one PostgreSQL login role per member.

A member's level decides what its role can read at all, enforced by row-level security in the
database (core/team_schema.py), so even raw SQL with the member's own password never shows a
row above it: `all` sees every visibility, `subscribers` subscribers and public, `public`
public only. Only a member who `can_edit` is granted writes, and only on rows at its level.
`streams.image_count` counts hidden rows too, so that column is never granted.

The owner is the admin role that ran `team_init` (level `all`, can edit); it owns the tables.
Only the owner (or a role with its privileges, such as a superuser) manages members: a change
of level or edit right keeps the member's login, and takes effect at their next statement
(row-level security reads `team_members` every time; grants are checked every time); a
removal revokes, drops the login role and ends the member's open sessions. Both run inside
one transaction that commits after the caller's other half (the storage keys) is done.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import errors as pg
from psycopg import sql

from streamimages_desktop.core.errors import UserError
from streamimages_desktop.core.team_failures import connect, describe, from_psycopg
from streamimages_desktop.core.team_schema import migrate

Level = Literal["all", "subscribers", "public"]
LEVELS: tuple[Level, ...] = ("all", "subscribers", "public")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

# Readable by every member (images and team_members through row-level security).
_TABLES = "images, team_members, team_changes, team_settings, team_schema_version"
_STREAM_READ = "id, title, owner, created, trashed"
_STREAM_WRITE = "id, title, owner, created, trashed"
_SEQUENCE = "images_seq_seq"
# Advisory lock: one change of members at a time (two GRANTs on one table at once would fail
# with "tuple concurrently updated" instead of waiting).
_MEMBERS_LOCK = 0x5354524E
_LOCK_MEMBERS = "SELECT pg_advisory_xact_lock(%s)"


def _revokes(role: str) -> list[sql.Composed]:
    """Every privilege `_grants` may give, taken back (a removed role must hold none)."""
    who = sql.Identifier(role)
    return [
        sql.SQL(f"REVOKE ALL ON {_TABLES}, streams FROM {{}}").format(who),
        sql.SQL(f"REVOKE ALL ON SEQUENCE {_SEQUENCE} FROM {{}}").format(who),
    ]


def _grants(role: str, can_edit: bool) -> list[sql.Composed]:
    who = sql.Identifier(role)
    statements = [
        *_revokes(role),
        sql.SQL(f"GRANT SELECT ON {_TABLES} TO {{}}").format(who),
        sql.SQL(f"GRANT SELECT ({_STREAM_READ}) ON streams TO {{}}").format(who),
    ]
    if can_edit:
        statements += [
            sql.SQL("GRANT INSERT, UPDATE, DELETE ON images TO {}").format(who),
            sql.SQL(
                f"GRANT INSERT ({_STREAM_WRITE}), UPDATE (title, trashed) ON streams TO {{}}"
            ).format(who),
            sql.SQL("GRANT DELETE ON streams TO {}").format(who),
            sql.SQL(f"GRANT USAGE ON SEQUENCE {_SEQUENCE} TO {{}}").format(who),
        ]
    return statements


def team_init(admin_url: str, *, max_per_stream: int) -> None:
    """Create (or bring up to date) the team schema, its policies and its limit; idempotent.

    The role in `admin_url` becomes the owner: a member at level `all` who can edit. Running it
    again migrates, sets the limit and re-applies every member's grants.
    """
    if max_per_stream < 1:
        raise UserError(f"max_per_stream must be at least 1, not {max_per_stream}")
    where = describe(admin_url)
    with connect(admin_url) as conn:
        try:
            migrate(conn)
            with conn.transaction():
                conn.execute(_LOCK_MEMBERS, (_MEMBERS_LOCK,))
                conn.execute(
                    "INSERT INTO team_settings VALUES (1, %s)"
                    " ON CONFLICT (id) DO UPDATE SET max_per_stream = excluded.max_per_stream",
                    (max_per_stream,),
                )
                conn.execute(
                    "INSERT INTO team_members VALUES (current_user, 'all', true)"
                    " ON CONFLICT (role_name) DO NOTHING"
                )
                members = conn.execute(
                    "SELECT role_name, can_edit FROM team_members WHERE role_name <> current_user"
                ).fetchall()
                for role, can_edit in members:
                    for statement in _grants(str(role), bool(can_edit)):
                        conn.execute(statement)
        except psycopg.Error as exc:
            raise (from_psycopg(exc, where) or exc) from None


def validate_member_name(name: str) -> None:
    """A member's name is their database role's: refused in one line unless it is plain."""
    if not _NAME_RE.fullmatch(name):
        raise UserError(
            f"invalid member name {name!r}: use 1-63 lowercase letters, digits or '_',"
            " starting with a letter"
        )


def add_member(admin_url: str, name: str, level: Level, can_edit: bool) -> str:
    """Create the member's LOGIN role and team row; returns its generated password (shown once).

    UserError for a bad name or level, or a role of that name that exists already.
    """
    validate_member_name(name)
    if level not in LEVELS:
        raise UserError(f"invalid level {level!r}: use one of {', '.join(LEVELS)}")
    password = secrets.token_urlsafe(24)
    where = describe(admin_url)
    with connect(admin_url) as conn:
        try:
            with conn.transaction():
                conn.execute(_LOCK_MEMBERS, (_MEMBERS_LOCK,))
                if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                    raise UserError(f"a database role named {name} exists already")
                # The server keeps only a SCRAM verifier, computed here: no clear text is sent.
                verifier = conn.pgconn.encrypt_password(
                    password.encode(), name.encode(), b"scram-sha-256"
                ).decode()
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(name), sql.Literal(verifier)
                    )
                )
                conn.execute(
                    "INSERT INTO team_members VALUES (%s, %s, %s)", (name, level, can_edit)
                )
                for statement in _grants(name, can_edit):
                    conn.execute(statement)
        except psycopg.Error as exc:
            raise (from_psycopg(exc, where) or exc) from None
    return password


def member_level(conn: psycopg.Connection[Any]) -> tuple[Level, bool] | None:
    """The connected role's (level, can_edit), or None when it is no member of this team."""
    row = conn.execute(
        "SELECT level, can_edit FROM team_members WHERE role_name = current_user"
    ).fetchone()
    if row is None:
        return None
    level = str(row[0])
    if level not in LEVELS:
        return None
    return level, bool(row[1])


@dataclass(frozen=True)
class Member:
    """One member of the team as the owner sees them (never a password)."""

    name: str
    level: Level
    can_edit: bool
    is_owner: bool = False


@dataclass(frozen=True)
class Removal:
    """A removed member and how many of their open sessions were ended (None: not allowed to
    end them; with the privileges revoked those sessions can read nothing of the team)."""

    member: Member
    sessions_ended: int | None


@contextlib.contextmanager
def _failures_named(where: str) -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise (from_psycopg(exc, where) or exc) from None


def _require_owner(conn: psycopg.Connection[Any], where: str) -> tuple[str, str]:
    """(the owner's role name, the connected role's name); UserError unless the connected
    role has the owner's privileges (a member's own settings sign in as a role that does not)."""
    row = conn.execute(
        "SELECT pg_get_userbyid(c.relowner), pg_has_role(current_user, c.relowner, 'USAGE'),"
        " current_user FROM pg_class c WHERE c.oid = to_regclass('team_members')"
    ).fetchone()
    if row is None:
        raise UserError(f"the {where} holds no team library: run `streamimages team init` first")
    owner, allowed, me = str(row[0]), bool(row[1]), str(row[2])
    if not allowed:
        raise UserError(
            f"only the team's owner ({owner}) manages members; these settings sign in as {me}:"
            " use the owner's settings"
        )
    return owner, me


def require_owner(admin_url: str) -> None:
    """UserError unless `admin_url` signs in as the team's owner (checked before any change)."""
    where = describe(admin_url)
    with connect(admin_url, autocommit=True) as conn, _failures_named(where):
        _require_owner(conn, where)


def _locked_member(
    conn: psycopg.Connection[Any], name: str, admins: tuple[str, str]
) -> tuple[Member, int]:
    """The member `name` (their team row locked until commit; the caller holds the members'
    lock) and their role's oid (0 when the
    role is gone already); UserError for no such member or for the owner or a superuser."""
    row = conn.execute(
        "SELECT m.level, m.can_edit, coalesce(r.oid, 0), coalesce(r.rolsuper, false)"
        " FROM team_members m LEFT JOIN pg_roles r ON r.rolname = m.role_name"
        " WHERE m.role_name = %s FOR UPDATE OF m",
        (name,),
    ).fetchone()
    if row is None:
        raise UserError(
            f"the team has no member named {name} (`streamimages team members` lists them)"
        )
    if name in admins or bool(row[3]):
        raise UserError(f"{name} is the team's owner (or a superuser): not a member to change")
    return Member(name, _level(row[0]), bool(row[1])), int(row[2])


def _level(value: object) -> Level:
    for level in LEVELS:
        if value == level:
            return level
    raise UserError(f"a team member's level {value!r} is unknown to this version")


def change_member(
    admin_url: str,
    name: str,
    level: Level | None,
    can_edit: bool | None,
    *,
    before_commit: Callable[[Member, Member], None],
) -> tuple[Member, Member]:
    """Set a member's level and/or edit right (None keeps it); returns (old, new).

    `before_commit(old, new)` runs inside the transaction, after the change is written and
    before it commits: if it raises, nothing here changes. The login and password stay.
    """
    validate_member_name(name)
    if level is not None and level not in LEVELS:
        raise UserError(f"invalid level {level!r}: use one of {', '.join(LEVELS)}")
    where = describe(admin_url)
    with (
        connect(admin_url, autocommit=True) as conn,
        _failures_named(where),
        conn.transaction(),
    ):
        admins = _require_owner(conn, where)
        conn.execute(_LOCK_MEMBERS, (_MEMBERS_LOCK,))
        old, _oid = _locked_member(conn, name, admins)
        new = Member(name, level or old.level, old.can_edit if can_edit is None else can_edit)
        conn.execute(
            "UPDATE team_members SET level = %s, can_edit = %s WHERE role_name = %s",
            (new.level, new.can_edit, name),
        )
        for statement in _grants(name, new.can_edit):
            conn.execute(statement)
        before_commit(old, new)
    return old, new


def remove_member(admin_url: str, name: str, *, before_commit: Callable[[Member], None]) -> Removal:
    """Take a member out of the team: revoke their privileges, delete their team row and drop
    their login role, then end their open sessions. The rows they made stay (a row names no
    role). `before_commit(member)` runs inside the transaction; if it raises, nothing here
    changes.
    """
    validate_member_name(name)
    where = describe(admin_url)
    with connect(admin_url, autocommit=True) as conn, _failures_named(where):
        with conn.transaction():
            admins = _require_owner(conn, where)
            conn.execute(_LOCK_MEMBERS, (_MEMBERS_LOCK,))
            member, oid = _locked_member(conn, name, admins)
            for statement in _revokes(name):
                conn.execute(statement)
            conn.execute("DELETE FROM team_members WHERE role_name = %s", (name,))
            if oid:
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
            before_commit(member)
        return Removal(member, _end_sessions(conn, oid) if oid else 0)


def _end_sessions(conn: psycopg.Connection[Any], oid: int) -> int | None:
    """Terminate the backends of the (now dropped) role `oid`; None when not allowed (only a
    superuser or pg_signal_backend may signal a dropped role's backends)."""
    try:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usesysid = %s",
            (oid,),
        ).fetchall()
    except pg.InsufficientPrivilege:
        return None
    return sum(1 for (ended,) in rows if ended)


def list_members(admin_url: str) -> list[Member]:
    """Every member of the team, the owner first, then by name (as the owner sees them)."""
    where = describe(admin_url)
    with connect(admin_url, autocommit=True) as conn, _failures_named(where):
        owner, _me = _require_owner(conn, where)
        rows = conn.execute(
            "SELECT role_name, level, can_edit FROM team_members"
            " ORDER BY role_name <> %s, role_name",
            (owner,),
        ).fetchall()
    return [Member(str(n), _level(lv), bool(e), str(n) == owner) for n, lv, e in rows]
