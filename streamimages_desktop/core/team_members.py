"""The team and its members: the schema, the limit, and one PostgreSQL login role per member.

A member's level decides what its role can read at all, enforced by row-level security in the
database (core/team_schema.py), so even raw SQL with the member's own password never shows a
row above it: `all` sees every visibility, `subscribers` subscribers and public, `public`
public only. Only a member who `can_edit` is granted writes, and only on rows at its level.
`streams.image_count` counts hidden rows too, so that column is never granted.

The owner is the admin role that ran `team_init` (level `all`, can edit); it owns the tables.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Literal

import psycopg
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


def _grants(role: str, can_edit: bool) -> list[sql.Composed]:
    who = sql.Identifier(role)
    statements = [
        sql.SQL(f"REVOKE ALL ON {_TABLES}, streams FROM {{}}").format(who),
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
            sql.SQL("GRANT USAGE ON SEQUENCE images_seq_seq TO {}").format(who),
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
