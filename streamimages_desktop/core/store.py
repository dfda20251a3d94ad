"""Store: the SQLite library's writes, each one transaction, on top of its reads.

Streams made and renamed; images inserted with the stream, duplicate and per-stream limit
checks in the insert's own transaction (a group commit checks each row in a SAVEPOINT, so a
refused row undoes only itself); edits refused when stale; views; rows deleted for good.
Every read, each through the access rules, is StoreReads' (core/store_reads.py); how a row
is read and written, image_rows'.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from streamimages_desktop.core import access
from streamimages_desktop.core.errors import (
    DuplicateImage,
    NotFound,
    StaleEdit,
    StreamExists,
    StreamFull,
    UserError,
)
from streamimages_desktop.core.image_rows import (
    insert_row,
    rows_where,
    to_text,
)
from streamimages_desktop.core.models import (
    OWNER,
    Stream,
    StreamImage,
    Visibility,
    validate_stream_id,
)
from streamimages_desktop.core.schema import SCHEMA_VERSION
from streamimages_desktop.core.store_reads import StoreReads
from streamimages_desktop.core.units import count_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SCHEMA_VERSION", "Store", "insert_row", "rows_where"]


class Store(StoreReads):
    """Streams and image rows; every image read is filtered by the viewer's access."""

    # -- streams ----------------------------------------------------------------------------

    def create_stream(self, stream: Stream) -> None:
        validate_stream_id(stream.id)
        with self.transaction() as conn:
            found = conn.execute(
                "SELECT trashed FROM streams WHERE id = ?", (stream.id,)
            ).fetchone()
            if found is not None and found["trashed"] is not None:
                raise StreamExists(
                    f"stream {stream.id} is in the trash: restore one of its images,"
                    " or empty the trash"
                )
            if found is not None:
                raise StreamExists(f"stream {stream.id} already exists")
            conn.execute(
                "INSERT INTO streams (id, title, owner, created) VALUES (?, ?, ?, ?)",
                (stream.id, stream.title, stream.owner, to_text(stream.created)),
            )

    def rename_stream(self, stream_id: str, title: str) -> None:
        with self.transaction() as conn:
            cur = conn.execute(
                f"UPDATE streams SET title = ? WHERE id = ? AND {access.stream_clause()}",
                (title, stream_id),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no stream {stream_id}")

    # -- images: writes ---------------------------------------------------------------------

    def insert_image(
        self, image: StreamImage, max_per_stream: int, *, create_stream: Stream | None = None
    ) -> None:
        """Insert a row; the duplicate and limit checks share its transaction, so racing
        importers can neither exceed the limit nor add the same bytes twice.

        `create_stream` (an import's first file) is created in the same transaction when
        missing, so a refused or failed insert never leaves an empty stream behind.
        """
        with self.transaction() as conn:
            self._insert_checked(conn, image, max_per_stream, create_stream)

    def insert_images(
        self,
        images: Sequence[StreamImage],
        max_per_stream: int,
        *,
        create_stream: Stream | None = None,
    ) -> list[UserError | None]:
        """insert_image() for a group in ONE transaction (an import's group commit): one
        outcome per image, None when inserted, else its refusal (DuplicateImage, StreamFull,
        NotFound). Each row is checked and inserted inside its own SAVEPOINT, so a refused
        row undoes only itself (and a stream made for it). Any other failure (disk full,
        busy) rolls the whole group back and raises. Plain SQL, `?` placeholders only.
        """
        outcomes: list[UserError | None] = []
        with self.transaction() as conn:
            for image in images:
                conn.execute("SAVEPOINT group_row")
                try:
                    self._insert_checked(conn, image, max_per_stream, create_stream)
                except (DuplicateImage, StreamFull, NotFound) as refused:
                    conn.execute("ROLLBACK TO SAVEPOINT group_row")
                    outcomes.append(refused)
                else:
                    outcomes.append(None)
                conn.execute("RELEASE SAVEPOINT group_row")
        return outcomes

    def _insert_checked(
        self, conn: sqlite3.Connection, image: StreamImage, limit: int, create: Stream | None
    ) -> None:
        """One row of insert_image(s): stream, duplicate and limit checks, then the insert (the
        count through self._count_all, which a subclass may answer differently)."""
        known = conn.execute(
            "SELECT trashed FROM streams WHERE id = ?", (image.stream_id,)
        ).fetchone()
        if known is None and create is not None and create.id == image.stream_id:
            # DO NOTHING: another machine's import may make the same stream meanwhile.
            conn.execute(
                "INSERT INTO streams (id, title, owner, created) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (
                    validate_stream_id(create.id),
                    create.title,
                    create.owner,
                    to_text(create.created),
                ),
            )
        elif known is None:
            raise NotFound(f"no stream {image.stream_id}")
        dup = conn.execute(
            "SELECT id FROM images WHERE stream_id = ? AND sha256 = ? AND trashed IS NULL",
            (image.stream_id, image.sha256),
        ).fetchone()
        if dup is not None:
            raise DuplicateImage(dup["id"])
        count = self._count_all(conn, image.stream_id)
        if count >= limit:
            raise StreamFull(
                f"stream {image.stream_id} already holds {count_of(count, 'image')} "
                f"(MAX_STREAM_IMAGES_PER_STREAM = {limit})"
            )
        if known is not None and known["trashed"] is not None:
            # A new image in a trashed stream brings the stream back (its trash stays trash).
            conn.execute("UPDATE streams SET trashed = NULL WHERE id = ?", (image.stream_id,))
        insert_row(conn, image)  # this module's name for it: tests stand in for it here

    def update_image(
        self,
        image_id: str,
        *,
        now: datetime,
        title: str | None = None,
        description: str | None = None,
        visibility: Visibility | None = None,
        expected_version: int | None = None,
    ) -> StreamImage:
        """Change the given fields (None = leave as is); NotFound if there is no such image.

        `expected_version` (the version of the copy the edit was made from) refuses, with
        StaleEdit and nothing written, an edit of a row someone changed meanwhile. The check
        is in the UPDATE's WHERE, so it holds against another machine's concurrent edit.
        """
        sets, params = ["updated = ?"], [to_text(now)]
        for column, value in (("title", title), ("description", description)):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        if visibility is not None:
            sets.append("visibility = ?")
            params.append(Visibility(visibility).value)
        where = "id = ? AND trashed IS NULL"
        where_params: list[Any] = [image_id]
        if expected_version is not None:
            where += " AND version = ?"
            where_params.append(expected_version)
        with self.transaction() as conn:
            cur = conn.execute(
                f"UPDATE images SET {', '.join(sets)} WHERE {where}", (*params, *where_params)
            )
            if cur.rowcount == 0:
                found = self._images(conn, OWNER, "images.id = ?", (image_id,))
                if found and expected_version is not None:
                    raise StaleEdit(
                        f"image {image_id} was changed by someone else meanwhile (now version"
                        f" {found[0].version}, this edit was made on {expected_version});"
                        " nothing was saved: look at it again"
                    )
                raise NotFound(f"no image {image_id}")
            return self._images(conn, OWNER, "images.id = ?", (image_id,))[0]

    def delete_image(self, image_id: str) -> StreamImage | None:
        """Delete the row for good, trashed or not, and return it (for blob/cache cleanup);
        None if it was not there. Users delete to the trash (core/trash.py); this is for the
        purge and for undoing a copy."""
        with self.transaction() as conn:
            found = rows_where(conn, "images.id = ?", (image_id,))
            if not found:
                return None
            conn.execute("DELETE FROM images WHERE id = ?", (image_id,))
        return found[0]

    def record_view(self, image_id: str, when: datetime) -> None:
        """One more view; NotFound if the image has gone meanwhile."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE images SET views = views + 1, last_accessed = ?"
                " WHERE id = ? AND trashed IS NULL",
                (to_text(when), image_id),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no image {image_id}")

    # -- the import's checks ----------------------------------------------------------------

    def find_duplicate(self, stream_id: str, sha256: str) -> str | None:
        """Id of the row in `stream_id` holding these bytes, if any (the owner's import check)."""
        found = self._images(
            None, OWNER, "images.stream_id = ? AND images.sha256 = ?", (stream_id, sha256)
        )
        return found[0].id if found else None

    @staticmethod
    def _count_all(conn: sqlite3.Connection, stream_id: str) -> int:
        """Live (not trashed) rows of the stream, kept by triggers (schema _V3_SPEED): O(1)."""
        row = conn.execute("SELECT image_count FROM streams WHERE id = ?", (stream_id,))
        found = row.fetchone()
        return 0 if found is None else int(found[0])

    def count_images(self, stream_id: str) -> int:
        """All images in the stream, every visibility, none trashed (the trash takes no room).

        The one image read without a viewer's visibility clause: it exists only for the
        per-stream limit (MAX_STREAM_IMAGES_PER_STREAM) and must never be shown to a role.
        """
        with self._translated():
            return self._count_all(self._conn(), stream_id)
