"""Domain values: streams, images, visibilities, roles and the viewer who asks."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from streamimages_desktop.core.errors import UserError
from streamimages_desktop.core.record import Record


class Visibility(StrEnum):
    """Who an image is meant for."""

    PUBLIC = "public"
    SUBSCRIBERS = "subscribers"
    PRIVATE = "private"


class Role(StrEnum):
    """Whose eyes a read is made with."""

    OWNER = "owner"
    SUBSCRIBER = "subscriber"
    VIEWER = "viewer"


class Sort(StrEnum):
    """Gallery orderings."""

    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"
    MOST_VIEWED = "most_viewed"


class _ViewerFields(Record):
    role: Role
    user_id: str = "local"
    # False on a read-only library: the owner still sees everything but changes nothing,
    # and every part of the window that offers a change offers none.
    may_edit: bool = True


class Viewer(_ViewerFields):
    """The role and user a read is made for; every read of images takes one."""

    __slots__ = ()

    def __new__(cls, role: Role | str, user_id: str = "local", may_edit: bool = True) -> Viewer:
        # Role(role): "viewer" (from a setting or a menu's data) is taken as Role.VIEWER.
        return super().__new__(cls, Role(role), user_id, may_edit)


OWNER = Viewer(Role.OWNER)

STREAM_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")


class InvalidStreamId(UserError, ValueError):
    """A stream id that is not a short lowercase slug."""


def new_image_id() -> str:
    """A fresh image id, 32 hex digits (a uuid4); `uuid` is imported here, not by every
    command that reads models (it brings `platform`, issue 14)."""
    import uuid

    return uuid.uuid4().hex


def validate_stream_id(stream_id: str) -> str:
    """Return the id if it is a slug (a-z, 0-9, '-', '_'; 1-64 chars), else raise."""
    if not STREAM_ID_RE.fullmatch(stream_id):
        raise InvalidStreamId(
            f"invalid stream id {stream_id!r}: use 1-64 lowercase letters, digits, '-' or '_'"
        )
    return stream_id


class Stream(Record):
    """A live stream the images are collected for."""

    id: str
    title: str
    owner: str
    created: datetime


class StreamSummary(Record):
    """A stream with the number of images the asking role may see."""

    stream: Stream
    visible_images: int


class StreamImage(Record):
    """One imported image. `original_name` is for display only, never used as a path."""

    id: str
    stream_id: str
    title: str
    description: str
    original_name: str
    visibility: Visibility
    format: str  # "JPEG", "PNG", "GIF", "WEBP" or "BMP"
    width: int  # as displayed, after EXIF orientation
    height: int
    bytes: int
    sha256: str
    created: datetime
    updated: datetime
    views: int = 0
    last_accessed: datetime | None = None
    # Goes up with every edit of the row; an edit made from an older copy is refused (StaleEdit)
    version: int = 1


class Stats(Record):
    """Totals a role may see; a viewer's stats never count what it may not see.

    `shown` lists the visibilities the role may see: a figure for any other one is left out
    of `as_dict` (a subscriber is not told how many private images exist, not even "0").
    """

    total: int = 0
    public: int = 0
    subscribers: int = 0
    private: int = 0
    bytes: int = 0
    views: int = 0
    shown: frozenset[Visibility] = frozenset(Visibility)

    def as_dict(self) -> dict[str, int]:
        figures = {
            "public": self.public,
            "subscribers": self.subscribers,
            "private": self.private,
        }
        return {
            "total": self.total,
            **{name: n for name, n in figures.items() if Visibility(name) in self.shown},
            "bytes": self.bytes,
            "views": self.views,
        }


class TrashedImage(Record):
    """One row of the owner's Trash view: the image as it was, and when it was trashed."""

    image: StreamImage
    trashed: datetime


class Placed(Record):
    """One image of a move or copy: where it came from and went, or why it did not.

    `new_id` is the copy's id (None for a move); `reason` is set when it was rejected.
    """

    image_id: str
    source_stream: str
    target_stream: str
    new_id: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None
