"""Rows and streams brought from another library as they stand (core/library_transfer.py).

Every id, time and count is kept, and a trashed row or stream arrives in the trash. A row is
"already there" when its id is, or when the same bytes are in the same stream in the same state
(live next to live, as the import's duplicate rule says; trashed next to trashed), so a second
run adds nothing. The limit counts live rows only, as everywhere else: the trash takes no room.
Files are not touched here: the manager writes the original before it calls adopt_row.
"""

from __future__ import annotations

from datetime import datetime

from streamimages_desktop.core.errors import NotFound, StreamFull
from streamimages_desktop.core.image_rows import (
    IMAGE_COLUMNS,
    from_text,
    image_from_row,
    insert_row,
    to_text,
)
from streamimages_desktop.core.models import Stream, StreamImage, validate_stream_id
from streamimages_desktop.core.store import Store
from streamimages_desktop.core.trash import full_message


def stream_records(store: Store) -> list[tuple[Stream, datetime | None]]:
    """Every stream, trashed ones too, by id, each with when it was trashed (or None).
    A plain read, so a read-only library can be copied from."""
    rows = store._query("SELECT id, title, owner, created, trashed FROM streams ORDER BY id")
    return [
        (
            Stream(r["id"], r["title"], r["owner"], from_text(r["created"])),
            None if r["trashed"] is None else from_text(r["trashed"]),
        )
        for r in rows
    ]


def image_records(store: Store) -> list[tuple[StreamImage, datetime | None]]:
    """Every row, trashed ones too, in the order they were added, each with when it was
    trashed (or None): the owner's whole library, never shown to a role as such."""
    rows = store._query(f"SELECT {IMAGE_COLUMNS}, trashed FROM images ORDER BY seq")
    return [
        (image_from_row(r), None if r["trashed"] is None else from_text(r["trashed"])) for r in rows
    ]


def adopt_stream(store: Store, stream: Stream, trashed: datetime | None) -> bool:
    """Create the stream as it stands unless one of that id exists (then it is left as it is);
    True when it was created."""
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO streams (id, title, owner, created, trashed)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (
                validate_stream_id(stream.id),
                stream.title,
                stream.owner,
                to_text(stream.created),
                None if trashed is None else to_text(trashed),
            ),
        )
        return cur.rowcount == 1


def _there(image: StreamImage, trashed: bool) -> tuple[str, tuple[str, ...]]:
    """One query that finds the row's id, or its bytes in its stream in the same state."""
    state = "trashed IS NOT NULL" if trashed else "trashed IS NULL"
    return (
        "SELECT 1 FROM images WHERE id = ?"
        f" UNION ALL SELECT 1 FROM images WHERE stream_id = ? AND sha256 = ? AND {state}",
        (image.id, image.stream_id, image.sha256),
    )


def is_there(store: Store, image: StreamImage, trashed: bool) -> bool:
    """Whether the row is already here (a plain read, asked before its original is written)."""
    return bool(store._query(*_there(image, trashed)))


def adopt_row(
    store: Store, image: StreamImage, trashed: datetime | None, max_per_stream: int
) -> bool:
    """Insert the row as it stands in one transaction with its checks; False when it is
    already there. A live row needs room in its stream (StreamFull) and brings a trashed
    stream back, as an import does; a trashed row needs only its stream."""
    with store.transaction() as conn:
        if conn.execute(*_there(image, trashed is not None)).fetchone():
            return False
        found = conn.execute(
            "SELECT image_count FROM streams WHERE id = ?", (image.stream_id,)
        ).fetchone()
        if found is None:
            raise NotFound(f"no stream {image.stream_id}")
        if trashed is None:
            count = int(found["image_count"])
            if count >= max_per_stream:
                raise StreamFull(full_message(image.stream_id, count, max_per_stream))
            conn.execute("UPDATE streams SET trashed = NULL WHERE id = ?", (image.stream_id,))
        insert_row(conn, image, trashed=trashed)
        return True


def record(store: Store, image_id: str) -> StreamImage | None:
    """The row of that id in any state (the owner's bookkeeping, never shown to a role)."""
    rows = store._query(f"SELECT {IMAGE_COLUMNS} FROM images WHERE id = ?", (image_id,))
    return image_from_row(rows[0]) if rows else None
