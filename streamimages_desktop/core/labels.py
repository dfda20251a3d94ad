"""The words for visibilities and roles, one table each, for every pane and the command line.

The enums' values ("subscribers", "owner") stay the machine names (database, JSON, options);
these are what a person reads.
"""

from __future__ import annotations

from streamimages_desktop.core.models import Role, Visibility

VISIBILITY_NAMES: dict[Visibility, str] = {
    Visibility.PUBLIC: "Public",
    Visibility.SUBSCRIBERS: "Subscribers only",
    Visibility.PRIVATE: "Private",
}
# Who sees an image of each visibility: tooltips of pickers and of the tile badges.
VISIBILITY_HELP: dict[Visibility, str] = {
    Visibility.PUBLIC: "Anyone can see it",
    Visibility.SUBSCRIBERS: "Subscribers and the owner can see it",
    Visibility.PRIVATE: "Only the owner can see it",
}
# After a count ("3 public · 1 subscriber-only"): adjectives, so no plural can go wrong.
VISIBILITY_COUNTED: dict[Visibility, str] = {
    Visibility.PUBLIC: "public",
    Visibility.SUBSCRIBERS: "subscriber-only",
    Visibility.PRIVATE: "private",
}
# The drawn badge a tile carries; public images have none.
VISIBILITY_BADGES: dict[Visibility, str | None] = {
    Visibility.PUBLIC: None,
    Visibility.SUBSCRIBERS: "star",
    Visibility.PRIVATE: "padlock",
}

ROLE_NAMES: dict[Role, str] = {
    Role.OWNER: "Owner",
    Role.SUBSCRIBER: "Subscriber",
    Role.VIEWER: "Viewer",
}
ROLE_HELP: dict[Role, str] = {
    Role.OWNER: "See everything and edit: public, subscriber-only and private images",
    Role.SUBSCRIBER: "See what a subscriber sees: public and subscriber-only images",
    Role.VIEWER: "See what anyone sees: public images only",
}


def visibility_name(visibility: Visibility | str) -> str:
    return VISIBILITY_NAMES[Visibility(visibility)]


def visibility_choice(visibility: Visibility | str) -> str:
    """The name in a picker (menu, combo box), with who may see it where the name does not say:
    "Private (owner only)"."""
    visibility = Visibility(visibility)
    name = VISIBILITY_NAMES[visibility]
    return f"{name} (owner only)" if visibility is Visibility.PRIVATE else name


def sentence(line: str) -> str:
    """`line` with its first letter capitalised. Core's lines start lowercase so that they read
    inside a command line's `streamimages: no stream x`; alone in a window they open a sentence."""
    return line[:1].upper() + line[1:]


def role_name(role: Role | str) -> str:
    return ROLE_NAMES[Role(role)]


def viewing_as(role: Role | str) -> str:
    """The role badge and the window title: "Viewing as Owner"."""
    return f"Viewing as {role_name(role)}"


def visible_to(role: Role | str) -> str:
    """The end of a count: "visible to owner" (lower case, mid-sentence)."""
    return f"visible to {role_name(role).lower()}"
