"""Every visibility and role has its words, and the phrases built from them read right."""

from __future__ import annotations

import pytest

from streamimages_desktop.core import labels
from streamimages_desktop.core.models import Role, Visibility

VISIBILITY_TABLES = [
    labels.VISIBILITY_NAMES,
    labels.VISIBILITY_HELP,
    labels.VISIBILITY_COUNTED,
    labels.VISIBILITY_BADGES,
]


@pytest.mark.parametrize("table", VISIBILITY_TABLES)
def test_every_visibility_has_an_entry(table: dict[Visibility, object]) -> None:
    assert set(table) == set(Visibility)


@pytest.mark.parametrize("table", [labels.ROLE_NAMES, labels.ROLE_HELP])
def test_every_role_has_an_entry(table: dict[Role, str]) -> None:
    assert set(table) == set(Role)
    assert all(text.strip() for text in table.values())


@pytest.mark.parametrize(
    ("visibility", "name", "choice", "counted", "badge"),
    [
        (Visibility.PUBLIC, "Public", "Public", "public", None),
        (Visibility.SUBSCRIBERS, "Subscribers only", "Subscribers only", "subscriber-only", "star"),
        (Visibility.PRIVATE, "Private", "Private (owner only)", "private", "padlock"),
    ],
)
def test_visibility_words(
    visibility: Visibility, name: str, choice: str, counted: str, badge: str | None
) -> None:
    assert labels.visibility_name(visibility) == name
    assert labels.visibility_name(visibility.value) == name  # the machine name works too
    assert labels.visibility_choice(visibility) == choice
    assert labels.VISIBILITY_COUNTED[visibility] == counted
    assert labels.VISIBILITY_BADGES.get(visibility.value) == badge  # as a model hands it back


@pytest.mark.parametrize(
    ("role", "name", "viewing", "visible"),
    [
        (Role.OWNER, "Owner", "Viewing as Owner", "visible to owner"),
        (Role.SUBSCRIBER, "Subscriber", "Viewing as Subscriber", "visible to subscriber"),
        (Role.VIEWER, "Viewer", "Viewing as Viewer", "visible to viewer"),
    ],
)
def test_role_words(role: Role, name: str, viewing: str, visible: str) -> None:
    assert labels.role_name(role) == labels.role_name(role.value) == name
    assert labels.viewing_as(role) == viewing
    assert labels.visible_to(role) == visible


def test_names_are_distinct() -> None:
    assert len(set(labels.VISIBILITY_NAMES.values())) == len(Visibility)
    assert len(set(labels.ROLE_NAMES.values())) == len(Role)


def test_an_unknown_machine_name_is_refused() -> None:
    with pytest.raises(ValueError):
        labels.visibility_name("secret")
    with pytest.raises(ValueError):
        labels.role_name("admin")
