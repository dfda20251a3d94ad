"""The trash and the other curation writes (move, copy, many visibilities), each one transaction.

A trashed row keeps every field and gets `trashed` (when); the access rules (core/access.py)
keep it out of every read made as a role. Limits and duplicates count live rows only, so a
restore checks both again. Files are not touched here: the manager removes an original after
its row is gone, and only when no row (trashed or not) uses the same bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from streamimages_desktop.core import access
from streamimages_desktop.core.errors import DuplicateImage, NotFound, StreamFull, UserError
from streamimages_desktop.core.image_rows import from_text, insert_row, rows_where, to_text
from streamimages_desktop.core.models import (
    OWNER,
    Placed,
    StreamImage,
    TrashedImage,
    Visibility,
    new_image_id,
)
from streamimages_desktop.core.store import Store
from streamimages_desktop.core.units import count_of


class UndoRefused(UserError):
    """An undo (or redo) whose target has gone meanwhile; nothing was changed."""


def full_message(stream_id: str, count: int, limit: int) -> str:
    return (
        f"stream {stream_id} already holds {count_of(count, 'image')} "
        f"(MAX_STREAM_IMAGES_PER_STREAM = {limit})"
    )


def _live_count(conn: sqlite3.Connection, stream_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM images WHERE stream_id = ? AND trashed IS NULL", (stream_id,)
    ).fetchone()
    return int(row[0])


def _live_duplicate(conn: sqlite3.Connection, stream_id: str, sha256: str) -> str | None:
    row = conn.execute(
        "SELECT id FROM images WHERE stream_id = ? AND sha256 = ? AND trashed IS NULL",
        (stream_id, sha256),
    ).fetchone()
    return None if row is None else str(row["id"])


def _live_stream(conn: sqlite3.Connection, stream_id: str) -> bool:
    return bool(
        conn.execute(
            f"SELECT 1 FROM streams WHERE id = ? AND {access.stream_clause()}", (stream_id,)
        ).fetchone()
    )


def _room_for(conn: sqlite3.Connection, image: StreamImage, target: str, limit: int) -> None:
    """Raise when `image` may not join the live rows of `target` (duplicate, or full)."""
    dup = _live_duplicate(conn, target, image.sha256)
    if dup is not None and dup != image.id:
        raise DuplicateImage(dup)
    count = _live_count(conn, target)
    if count >= limit:
        raise StreamFull(full_message(target, count, limit))


def _live_row(conn: sqlite3.Connection, image_id: str) -> StreamImage:
    found = rows_where(conn, "images.id = ? AND images.trashed IS NULL", (image_id,))
    if not found:
        raise NotFound(f"no image {image_id}")
    return found[0]


# -- trash and restore -----------------------------------------------------------------------


def trash_images(store: Store, image_ids: Iterable[str], now: datetime) -> list[str]:
    """Trash the live images among `image_ids` (one transaction); returns those trashed."""
    done: list[str] = []
    with store.transaction() as conn:
        for image_id in dict.fromkeys(image_ids):
            cur = conn.execute(
                "UPDATE images SET trashed = ? WHERE id = ? AND trashed IS NULL",
                (to_text(now), image_id),
            )
            if cur.rowcount:
                done.append(image_id)
    return done


def trash_stream(store: Store, stream_id: str, now: datetime) -> list[str]:
    """Trash the stream and its live images together; returns the images trashed with it."""
    with store.transaction() as conn:
        if not _live_stream(conn, stream_id):
            raise NotFound(f"no stream {stream_id}")
        ids = [
            r["id"]
            for r in conn.execute(
                "SELECT id FROM images WHERE stream_id = ? AND trashed IS NULL ORDER BY seq",
                (stream_id,),
            )
        ]
        when = to_text(now)
        conn.execute("UPDATE streams SET trashed = ? WHERE id = ?", (when, stream_id))
        conn.execute(
            "UPDATE images SET trashed = ? WHERE stream_id = ? AND trashed IS NULL",
            (when, stream_id),
        )
    return ids


def _restore_in(conn: sqlite3.Connection, image_id: str, limit: int) -> None:
    found = rows_where(conn, "images.id = ? AND images.trashed IS NOT NULL", (image_id,))
    if not found:
        raise NotFound(f"no image {image_id} in the trash")
    image = found[0]
    _room_for(conn, image, image.stream_id, limit)
    conn.execute("UPDATE streams SET trashed = NULL WHERE id = ?", (image.stream_id,))
    conn.execute("UPDATE images SET trashed = NULL WHERE id = ?", (image_id,))


def restore(store: Store, image_ids: Sequence[str], limit: int) -> None:
    """Restore all of `image_ids` or none (one transaction); their streams come back too."""
    with store.transaction() as conn:
        for image_id in image_ids:
            _restore_in(conn, image_id, limit)


def restore_stream(store: Store, stream_id: str, image_ids: Sequence[str], limit: int) -> None:
    """Undo of a stream delete: the stream and the images trashed with it, all or none."""
    with store.transaction() as conn:
        row = conn.execute("SELECT trashed FROM streams WHERE id = ?", (stream_id,)).fetchone()
        if row is None:
            raise UndoRefused(f"stream {stream_id} is gone (the trash was emptied)")
        conn.execute("UPDATE streams SET trashed = NULL WHERE id = ?", (stream_id,))
        for image_id in image_ids:
            _restore_in(conn, image_id, limit)


def trashed(store: Store) -> list[TrashedImage]:
    """The owner's trash, most recently trashed first."""
    with store.transaction() as conn:
        rows = rows_where(conn, access.trash_clause(OWNER))
        when = {
            r["id"]: from_text(r["trashed"])
            for r in conn.execute("SELECT id, trashed FROM images WHERE trashed IS NOT NULL")
        }
    found = [TrashedImage(r, when[r.id]) for r in rows if r.id in when]
    return sorted(found, key=lambda t: (t.trashed, t.image.id), reverse=True)


def trashed_image(store: Store, image_id: str) -> StreamImage | None:
    """One image of the owner's trash as it was trashed; None when it is not in the trash."""
    with store.transaction() as conn:
        rows = rows_where(conn, f"{access.trash_clause(OWNER)} AND images.id = ?", (image_id,))
    return rows[0] if rows else None


def expired(store: Store, before: datetime | None) -> list[StreamImage]:
    """Trashed rows trashed before `before` (all of them for None)."""
    with store.transaction() as conn:
        if before is None:
            return rows_where(conn, "images.trashed IS NOT NULL")
        return rows_where(conn, "images.trashed < ?", (to_text(before),))


def drop_empty_trashed_streams(store: Store) -> None:
    """A trashed stream with no rows left goes for good once its trash is emptied."""
    with store.transaction() as conn:
        conn.execute(
            "DELETE FROM streams WHERE trashed IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM images WHERE images.stream_id = streams.id)"
        )


def remove_empty_stream(store: Store, stream_id: str) -> None:
    """Undo of a stream create: only a stream holding no row at all may go."""
    with store.transaction() as conn:
        if not _live_stream(conn, stream_id):
            raise UndoRefused(f"stream {stream_id} is gone")
        if conn.execute("SELECT 1 FROM images WHERE stream_id = ?", (stream_id,)).fetchone():
            raise UndoRefused(f"stream {stream_id} is no longer empty")
        conn.execute("DELETE FROM streams WHERE id = ?", (stream_id,))


# -- visibility of many ------------------------------------------------------------------------


def set_visibilities(
    store: Store, wanted: Mapping[str, Visibility], now: datetime
) -> dict[str, Visibility]:
    """Give each image its visibility, all or none; returns the visibilities before."""
    before: dict[str, Visibility] = {}
    with store.transaction() as conn:
        for image_id, visibility in wanted.items():
            before[image_id] = _live_row(conn, image_id).visibility
            conn.execute(
                "UPDATE images SET visibility = ?, updated = ? WHERE id = ?",
                (Visibility(visibility).value, to_text(now), image_id),
            )
    return before


# -- move and copy -----------------------------------------------------------------------------


def _reason(exc: UserError, target: str) -> str:
    if isinstance(exc, DuplicateImage):
        return f"duplicate of {exc.image_id} in stream {target}"
    return str(exc)


def move(store: Store, image_ids: Sequence[str], target: str, limit: int) -> list[Placed]:
    """Move each image to `target`, each checked against its limit and duplicates."""
    results: list[Placed] = []
    for image_id in image_ids:
        source = ""
        try:
            with store.transaction() as conn:
                if not _live_stream(conn, target):
                    raise NotFound(f"no stream {target}")
                image = _live_row(conn, image_id)
                source = image.stream_id
                if image.stream_id == target:
                    raise UserError(f"already in stream {target}")
                _room_for(conn, image, target, limit)
                conn.execute("UPDATE images SET stream_id = ? WHERE id = ?", (target, image_id))
            results.append(Placed(image_id, source, target))
        except UserError as exc:
            results.append(Placed(image_id, source, target, reason=_reason(exc, target)))
    return results


def move_back(store: Store, placed: Sequence[Placed], limit: int, *, forward: bool) -> None:
    """Undo (or redo, `forward`) a move exactly, all or none; refuses if anything is gone."""
    with store.transaction() as conn:
        for p in placed:
            frm, to = (
                (p.source_stream, p.target_stream)
                if forward
                else (p.target_stream, p.source_stream)
            )
            try:
                image = _live_row(conn, p.image_id)
            except NotFound:
                raise UndoRefused(f"image {p.image_id} is gone") from None
            if image.stream_id != frm:
                raise UndoRefused(f"image {p.image_id} is no longer in stream {frm}")
            if not _live_stream(conn, to):
                raise UndoRefused(f"stream {to} is gone")
            try:
                _room_for(conn, image, to, limit)
            except UserError as exc:
                raise UndoRefused(f"image {p.image_id}: {_reason(exc, to)}") from None
            conn.execute("UPDATE images SET stream_id = ? WHERE id = ?", (to, p.image_id))


def copy(
    store: Store,
    image_ids: Sequence[str],
    target: str,
    limit: int,
    now: datetime,
    new_ids: Mapping[str, str] | None = None,
) -> list[Placed]:
    """Copy each image into `target` as a new row sharing the same original on disk.

    `new_ids` (a redo) gives each copy the id it had before.
    """
    results: list[Placed] = []
    for image_id in image_ids:
        source = ""
        try:
            with store.transaction() as conn:
                if not _live_stream(conn, target):
                    raise NotFound(f"no stream {target}")
                image = _live_row(conn, image_id)
                source = image.stream_id
                _room_for(conn, image._replace(id=""), target, limit)
                new_id = (new_ids or {}).get(image_id) or new_image_id()
                insert_row(
                    conn,
                    image._replace(
                        id=new_id,
                        stream_id=target,
                        views=0,
                        last_accessed=None,  # created stays: when the picture was imported
                        updated=now,
                    ),
                )
            results.append(Placed(image_id, source, target, new_id=new_id))
        except UserError as exc:
            results.append(Placed(image_id, source, target, reason=_reason(exc, target)))
    return results


def take_rows(store: Store, image_ids: Sequence[str]) -> list[StreamImage]:
    """Delete these live rows for good, all or none (undo of a copy); returns them."""
    with store.transaction() as conn:
        rows = []
        for image_id in image_ids:
            try:
                rows.append(_live_row(conn, image_id))
            except NotFound:
                raise UndoRefused(f"image {image_id} is gone") from None
            conn.execute("DELETE FROM images WHERE id = ?", (image_id,))
    return rows
