"""The one place that decides who sees what; every image query is built from here."""

from __future__ import annotations

from streamimages_desktop.core.errors import AccessDenied
from streamimages_desktop.core.models import Role, Viewer, Visibility

_ALLOWED: dict[Role, frozenset[Visibility]] = {
    Role.OWNER: frozenset(Visibility),
    Role.SUBSCRIBER: frozenset({Visibility.PUBLIC, Visibility.SUBSCRIBERS}),
    Role.VIEWER: frozenset({Visibility.PUBLIC}),
}


_RANK: dict[Role, int] = {Role.VIEWER: 0, Role.SUBSCRIBER: 1, Role.OWNER: 2}
LEVEL_ROLE: dict[str, Role] = {
    "all": Role.OWNER,
    "subscribers": Role.SUBSCRIBER,
    "public": Role.VIEWER,
}
"""The highest role a team member of each access level may look as (core/team_members.py)."""


def lowest_of(first: Role, second: Role) -> Role:
    """The role of the two that sees less (a member's chosen role capped by their level)."""
    return first if _RANK[first] <= _RANK[second] else second


def allowed_visibilities(viewer: Viewer) -> frozenset[Visibility]:
    """The visibilities `viewer` may see."""
    return _ALLOWED[viewer.role]


def can_see(viewer: Viewer, visibility: Visibility) -> bool:
    return visibility in _ALLOWED[viewer.role]


def can_edit(viewer: Viewer) -> bool:
    """Only the owner changes, imports or deletes, and only where the library is writable."""
    return viewer.role is Role.OWNER and viewer.may_edit


def require_edit(viewer: Viewer) -> None:
    """The role rule; the manager refuses a read-only library with its own, clearer line."""
    if viewer.role is not Role.OWNER:
        raise AccessDenied(f"a {viewer.role.value} may not change the library")


def lists_stream(viewer: Viewer, visible_images: int) -> bool:
    """Whether a stream is listed to `viewer`: always to the owner, to an audience only once it
    holds something they may see. Its name may tell of what it holds (a "Surprise giveaway"
    of private images), and on air the window's stream list is on the broadcast."""
    return viewer.role is Role.OWNER or visible_images > 0


def counts_views(viewer: Viewer) -> bool:
    """The owner's own previews do not inflate the audience count."""
    return viewer.role is not Role.OWNER


def visibility_clause(viewer: Viewer, column: str = "visibility") -> tuple[str, tuple[str, ...]]:
    """SQL condition and parameters that keep only rows `viewer` may see."""
    allowed = sorted(v.value for v in _ALLOWED[viewer.role])
    marks = ", ".join("?" for _ in allowed)
    return f"{column} IN ({marks})", tuple(allowed)


def image_clause(viewer: Viewer, table: str = "images") -> tuple[str, tuple[str, ...]]:
    """SQL condition and parameters for every image read made as a role: what `viewer` may
    see, and never a trashed row (the trash is read only through trash_clause)."""
    clause, allowed = visibility_clause(viewer, f"{table}.visibility")
    return f"{clause} AND {table}.trashed IS NULL", allowed


def stream_clause(table: str = "streams") -> str:
    """SQL condition for the streams shown to a role: a trashed stream is in no listing."""
    return f"{table}.trashed IS NULL"


def trash_clause(viewer: Viewer, table: str = "images") -> str:
    """SQL condition for the Trash view: only the owner has one (others are refused)."""
    require_edit(viewer)
    return f"{table}.trashed IS NOT NULL"
