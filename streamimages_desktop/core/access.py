"""The one place that decides who sees what; every image query is built from here."""

from __future__ import annotations

from streamimages_desktop.core.errors import AccessDenied
from streamimages_desktop.core.models import Role, Viewer, Visibility

_ALLOWED: dict[Role, frozenset[Visibility]] = {
    Role.OWNER: frozenset(Visibility),
    Role.SUBSCRIBER: frozenset({Visibility.PUBLIC, Visibility.SUBSCRIBERS}),
    Role.VIEWER: frozenset({Visibility.PUBLIC}),
}


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


def counts_views(viewer: Viewer) -> bool:
    """The owner's own previews do not inflate the audience count."""
    return viewer.role is not Role.OWNER


def visibility_clause(viewer: Viewer, column: str = "visibility") -> tuple[str, tuple[str, ...]]:
    """SQL condition and parameters that keep only rows `viewer` may see."""
    allowed = sorted(v.value for v in _ALLOWED[viewer.role])
    marks = ", ".join("?" for _ in allowed)
    return f"{column} IN ({marks})", tuple(allowed)
