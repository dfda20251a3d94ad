"""Streams and images as rows: the column lists, times as fixed-width UTC text, row to model.

Shared by the store's reads and writes and by the library's own bookkeeping (core/trash.py,
core/adoption.py), so every one of them reads and writes a row the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from streamimages_desktop.core.models import Stream, StreamImage, Visibility

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "IMAGE_COLUMNS",
    "STREAM_COLUMNS",
    "from_text",
    "image_from_row",
    "insert_row",
    "rows_where",
    "stream_from_row",
    "to_text",
]

# What an insert writes; `version` starts at 1 (the column's default) and only triggers move it.
_ROW_COLUMNS = (
    "id, stream_id, title, description, original_name, visibility, format, width, height, "
    "bytes, sha256, created, updated, views, last_accessed"
)
IMAGE_COLUMNS = f"{_ROW_COLUMNS}, version"
# Explicit, never `*`: a team library does not let a member read `image_count` (it counts
# rows the member may not see; core/team_members.py).
STREAM_COLUMNS = "streams.id, streams.title, streams.owner, streams.created"


def to_text(when: datetime) -> str:
    """ISO-8601 UTC with fixed width, so text order is time order."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when!r}: pass an aware datetime (UTC)")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def image_from_row(row: sqlite3.Row) -> StreamImage:
    last = row["last_accessed"]
    return StreamImage(
        id=row["id"],
        stream_id=row["stream_id"],
        title=row["title"],
        description=row["description"],
        original_name=row["original_name"],
        visibility=Visibility(row["visibility"]),
        format=row["format"],
        width=row["width"],
        height=row["height"],
        bytes=row["bytes"],
        sha256=row["sha256"],
        created=from_text(row["created"]),
        updated=from_text(row["updated"]),
        views=row["views"],
        last_accessed=None if last is None else from_text(last),
        version=row["version"],
    )


def stream_from_row(row: sqlite3.Row) -> Stream:
    return Stream(
        id=row["id"], title=row["title"], owner=row["owner"], created=from_text(row["created"])
    )


def rows_where(
    conn: sqlite3.Connection, where: str, params: Sequence[Any] = ()
) -> list[StreamImage]:
    """Rows in any state, trashed or not: only for the library's own bookkeeping (the trash,
    purges, undo), never to show a role (those reads go through Store._image_where)."""
    sql = f"SELECT {IMAGE_COLUMNS} FROM images WHERE {where} ORDER BY seq"
    return [image_from_row(r) for r in conn.execute(sql, tuple(params)).fetchall()]


def insert_row(
    conn: sqlite3.Connection, image: StreamImage, *, trashed: datetime | None = None
) -> None:
    """One image row as it stands (an import, a copy, an undo that puts a row back, a row
    brought from another library: `trashed` puts it straight into the trash)."""
    conn.execute(
        f"INSERT INTO images ({IMAGE_COLUMNS}, trashed) VALUES ({', '.join('?' * 17)})",
        (
            image.id,
            image.stream_id,
            image.title,
            image.description,
            image.original_name,
            Visibility(image.visibility).value,
            image.format,
            image.width,
            image.height,
            image.bytes,
            image.sha256,
            to_text(image.created),
            to_text(image.updated),
            image.views,
            None if image.last_accessed is None else to_text(image.last_accessed),
            image.version,
            None if trashed is None else to_text(trashed),
        ),
    )
