"""Access rules: each role against each visibility, and the SQL clause built from them."""

from __future__ import annotations

import sqlite3

import pytest

from streamimages_desktop.core import access
from streamimages_desktop.core.errors import AccessDenied, StreamImagesError
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility

pytestmark = pytest.mark.both_backends

# Written out by hand (not derived from access.py) so the tests check the rule, not echo it.
SEES: dict[Role, set[Visibility]] = {
    Role.OWNER: {Visibility.PUBLIC, Visibility.SUBSCRIBERS, Visibility.PRIVATE},
    Role.SUBSCRIBER: {Visibility.PUBLIC, Visibility.SUBSCRIBERS},
    Role.VIEWER: {Visibility.PUBLIC},
}
PAIRS = [(role, vis) for role in Role for vis in Visibility]


@pytest.mark.parametrize(("role", "visibility"), PAIRS)
def test_can_see(role: Role, visibility: Visibility) -> None:
    assert access.can_see(Viewer(role), visibility) is (visibility in SEES[role])


@pytest.mark.parametrize("role", list(Role))
def test_allowed_visibilities(role: Role) -> None:
    assert access.allowed_visibilities(Viewer(role)) == SEES[role]


@pytest.mark.parametrize(("role", "visibility"), PAIRS)
def test_visibility_clause_filters_rows_in_sqlite(role: Role, visibility: Visibility) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, vis TEXT NOT NULL)")
        conn.execute("INSERT INTO t (vis) VALUES (?)", (visibility.value,))
        clause, params = access.visibility_clause(Viewer(role), "t.vis")
        found = conn.execute(f"SELECT count(*) FROM t WHERE {clause}", params).fetchone()[0]
    finally:
        conn.close()
    assert found == (1 if visibility in SEES[role] else 0)


def test_visibility_clause_uses_parameters_not_literals() -> None:
    clause, params = access.visibility_clause(Viewer(Role.SUBSCRIBER))
    assert clause == "visibility IN (?, ?)"
    assert set(params) == {"public", "subscribers"}


@pytest.mark.parametrize("role", list(Role))
def test_only_the_owner_edits(role: Role) -> None:
    viewer = Viewer(role)
    assert access.can_edit(viewer) is (role is Role.OWNER)
    if role is Role.OWNER:
        access.require_edit(viewer)
    else:
        with pytest.raises(AccessDenied, match=role.value) as info:
            access.require_edit(viewer)
        assert isinstance(info.value, StreamImagesError)


@pytest.mark.parametrize("role", list(Role))
def test_owner_views_are_not_counted(role: Role) -> None:
    assert access.counts_views(Viewer(role)) is (role is not Role.OWNER)


def test_viewer_accepts_role_text() -> None:
    viewer = Viewer("subscriber")  # type: ignore[arg-type]
    assert viewer.role is Role.SUBSCRIBER
    assert access.can_see(viewer, Visibility.SUBSCRIBERS)
    assert not access.can_see(viewer, Visibility.PRIVATE)
    assert OWNER.role is Role.OWNER
