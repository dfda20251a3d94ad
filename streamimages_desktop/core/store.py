"""The SQLite library: streams and image rows, read only through the access rules."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from streamimages_desktop.core import access
from streamimages_desktop.core.database import Database
from streamimages_desktop.core.errors import (
    DuplicateImage,
    NotFound,
    StaleEdit,
    StreamExists,
    StreamFull,
    UserError,
)
from streamimages_desktop.core.models import (
    OWNER,
    Sort,
    Stats,
    Stream,
    StreamImage,
    StreamSummary,
    Viewer,
    Visibility,
    validate_stream_id,
)
from streamimages_desktop.core.schema import SCHEMA_VERSION
from streamimages_desktop.core.search import search_clause
from streamimages_desktop.core.units import count_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SCHEMA_VERSION", "Store"]


_ORDER: dict[Sort, str] = {
    Sort.NEWEST: "created DESC, id",
    Sort.OLDEST: "created, id",
    Sort.TITLE: "title COLLATE NOCASE, created, id",
    Sort.MOST_VIEWED: "views DESC, created DESC, id",
}

# What an insert writes; `version` starts at 1 (the column's default) and only triggers move it.
_ROW_COLUMNS = (
    "id, stream_id, title, description, original_name, visibility, format, width, height, "
    "bytes, sha256, created, updated, views, last_accessed"
)
_IMAGE_COLUMNS = f"{_ROW_COLUMNS}, version"
# Explicit, never `*`: a team library does not let a member read `image_count` (it counts
# rows the member may not see; core/team_members.py).
_STREAM_COLUMNS = "streams.id, streams.title, streams.owner, streams.created"
# "No limit" in a form SQLite (which needs a LIMIT before OFFSET) and PostgreSQL both take.
_NO_LIMIT = 2**63 - 1


def _count_of(visibility: str, per_row: str) -> str:
    """How many images have this visibility, each source row counting `per_row` images, in SQL
    both SQLite and PostgreSQL take (the latter sums no booleans)."""
    return f"coalesce(sum(CASE WHEN visibility = '{visibility}' THEN {per_row} ELSE 0 END), 0)"


def _to_text(when: datetime) -> str:
    """ISO-8601 UTC with fixed width, so text order is time order."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when!r}: pass an aware datetime (UTC)")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _from_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _image(row: sqlite3.Row) -> StreamImage:
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
        created=_from_text(row["created"]),
        updated=_from_text(row["updated"]),
        views=row["views"],
        last_accessed=None if last is None else _from_text(last),
        version=row["version"],
    )


def rows_where(
    conn: sqlite3.Connection, where: str, params: Sequence[Any] = ()
) -> list[StreamImage]:
    """Rows in any state, trashed or not: only for the library's own bookkeeping (the trash,
    purges, undo), never to show a role (those reads go through Store._image_where)."""
    sql = f"SELECT {_IMAGE_COLUMNS} FROM images WHERE {where} ORDER BY seq"
    return [_image(r) for r in conn.execute(sql, tuple(params)).fetchall()]


def _stream(row: sqlite3.Row) -> Stream:
    return Stream(
        id=row["id"], title=row["title"], owner=row["owner"], created=_from_text(row["created"])
    )


def insert_row(
    conn: sqlite3.Connection, image: StreamImage, *, trashed: datetime | None = None
) -> None:
    """One image row as it stands (an import, a copy, an undo that puts a row back, a row
    brought from another library: `trashed` puts it straight into the trash)."""
    conn.execute(
        f"INSERT INTO images ({_IMAGE_COLUMNS}, trashed) VALUES ({', '.join('?' * 17)})",
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
            _to_text(image.created),
            _to_text(image.updated),
            image.views,
            None if image.last_accessed is None else _to_text(image.last_accessed),
            image.version,
            None if trashed is None else _to_text(trashed),
        ),
    )


class Store(Database):
    """Streams and image rows; every image read is filtered by the viewer's access."""

    _watch: sqlite3.Connection | None = None
    _watch_lock = threading.Lock()

    # -- the one way images are read ---------------------------------------------------------

    def _search_clause(self, text: str | None) -> tuple[str, list[str]] | None:
        """The search dialect: SQLite's FTS5 here (its terms ordered by how common they are in
        this library), PostgreSQL's in core/team_store.py."""
        return search_clause(text, self._rows_up_to)

    def _rows_up_to(self, sql: str, params: list[str], limit: int) -> int:
        return int(self._query(f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, limit])[0][0])

    def _image_where(
        self,
        viewer: Viewer,
        stream_id: str | None = None,
        search: str | None = None,
        extra: str | None = None,
        extra_params: Sequence[Any] = (),
    ) -> tuple[str, list[Any]]:
        """WHERE clause for images: always starts with what `viewer` may see."""
        clause, allowed = access.image_clause(viewer)
        parts, params = [clause], list(allowed)
        if stream_id is not None:
            parts.append("images.stream_id = ?")
            params.append(stream_id)
        found = self._search_clause(search)
        if found is not None:
            parts.append(found[0])
            params.extend(found[1])
        if extra is not None:
            parts.append(extra)
            params.extend(extra_params)
        return " AND ".join(parts), params

    def _images(
        self, conn: sqlite3.Connection | None, viewer: Viewer, extra: str, params: Sequence[Any]
    ) -> list[StreamImage]:
        where, all_params = self._image_where(viewer, extra=extra, extra_params=params)
        sql = f"SELECT {_IMAGE_COLUMNS} FROM images WHERE {where}"
        if conn is None:
            return [_image(r) for r in self._query(sql, all_params)]
        return [_image(r) for r in conn.execute(sql, all_params).fetchall()]

    # -- change detection -------------------------------------------------------------------

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version` on one connection kept for it alone (the value is
        per connection, and this one never writes, so every commit anywhere changes it)."""
        with self._watch_lock:
            if self._watch is None:
                self._watch = self._connect()
            with self._translated():
                return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        super().close()

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
                (stream.id, stream.title, stream.owner, _to_text(stream.created)),
            )

    def get_stream(self, stream_id: str) -> Stream | None:
        rows = self._query(f"SELECT {_STREAM_COLUMNS} FROM streams WHERE id = ?", (stream_id,))
        return _stream(rows[0]) if rows else None

    # Where the totals of `stats` and `streams` come from: a few rows of `stream_totals` here
    # (schema._V6_TOTALS), the images themselves in a team library (core/team_store.py), where
    # row-level security decides what a member's count may include.
    _TOTALS_FROM = "stream_totals"
    _TOTALS_PER_ROW = "images"  # how many images one row of _TOTALS_FROM stands for

    def list_streams(self, viewer: Viewer) -> list[StreamSummary]:
        """Every stream by id, each with the number of images `viewer` may see."""
        clause, allowed = self._totals_clause(viewer)
        rows = self._query(
            f"SELECT {_STREAM_COLUMNS}, (SELECT coalesce(sum({self._TOTALS_PER_ROW}), 0)"
            f" FROM {self._TOTALS_FROM} WHERE stream_id = streams.id AND {clause}) AS visible"
            f" FROM streams WHERE {access.stream_clause()}"
            " ORDER BY streams.id",
            allowed,
        )
        return [StreamSummary(_stream(r), int(r["visible"])) for r in rows]

    def _totals_clause(self, viewer: Viewer) -> tuple[str, tuple[str, ...]]:
        """What `viewer` may count: the totals hold live rows only, by visibility."""
        return access.visibility_clause(viewer)

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
                    _to_text(create.created),
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
        insert_row(conn, image)

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
        sets, params = ["updated = ?"], [_to_text(now)]
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
                (_to_text(when), image_id),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no image {image_id}")

    # -- images: internal reads (not shown to a role) ---------------------------------------

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

    def sha_in_use(self, sha256: str, visibility: Visibility | str | None = None) -> bool:
        """Whether any row still references these bytes (blob reference counting); a trashed
        row does, since restoring it needs them. `visibility` matters only where each
        visibility keeps its own copy (a team library's storage); one file serves all here."""
        return bool(self._query("SELECT 1 FROM images WHERE sha256 = ? LIMIT 1", (sha256,)))

    def all_original_keys(self) -> set[tuple[str, Visibility]]:
        """(sha256, visibility) of every row, trashed ones too: which stored originals are in
        use where each visibility keeps its own copy (a team library's storage)."""
        rows = self._query("SELECT DISTINCT sha256, visibility FROM images")
        return {(r["sha256"], Visibility(r["visibility"])) for r in rows}

    def all_image_keys(self) -> list[tuple[str, str]]:
        """(image_id, sha256) of every row, trashed ones too, for housekeeping (a trashed
        row's original is kept until the trash is emptied)."""
        rows = self._query("SELECT id, sha256 FROM images ORDER BY id")
        return [(r["id"], r["sha256"]) for r in rows]

    # -- images: reads made as a viewer -----------------------------------------------------

    def get_image(self, viewer: Viewer, image_id: str) -> StreamImage | None:
        """The image, or None when it does not exist or `viewer` may not see it."""
        found = self._images(None, viewer, "images.id = ?", (image_id,))
        return found[0] if found else None

    def list_images(
        self,
        viewer: Viewer,
        stream_id: str | None = None,
        search: str | None = None,
        sort: Sort = Sort.NEWEST,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StreamImage]:
        where, params = self._image_where(viewer, stream_id, search)
        sql = (
            f"SELECT {_IMAGE_COLUMNS} FROM images WHERE {where} "
            f"ORDER BY {_ORDER[Sort(sort)]} LIMIT ? OFFSET ?"
        )
        params += [_NO_LIMIT if limit is None else max(0, limit), max(0, offset)]
        return [_image(r) for r in self._query(sql, params)]

    def count_visible(
        self, viewer: Viewer, stream_id: str | None = None, search: str | None = None
    ) -> int:
        where, params = self._image_where(viewer, stream_id, search)
        return int(self._query(f"SELECT count(*) FROM images WHERE {where}", params)[0][0])

    def stats(self, viewer: Viewer, stream_id: str | None = None) -> Stats:
        """Totals over what `viewer` may see (a viewer's private count is always 0)."""
        clause, allowed = self._totals_clause(viewer)
        where, params = [clause], list(allowed)
        if stream_id is not None:
            where.append("stream_id = ?")
            params.append(stream_id)
        per_row = self._TOTALS_PER_ROW
        row = self._query(
            f"SELECT coalesce(sum({per_row}), 0) AS total,"
            f" {_count_of('public', per_row)} AS public,"
            f" {_count_of('subscribers', per_row)} AS subscribers,"
            f" {_count_of('private', per_row)} AS private,"
            " coalesce(sum(bytes), 0) AS bytes, coalesce(sum(views), 0) AS views"
            f" FROM {self._TOTALS_FROM} WHERE {' AND '.join(where)}",
            params,
        )[0]
        return Stats(  # int(): PostgreSQL sums a bigint column as numeric
            total=int(row["total"]),
            public=int(row["public"]),
            subscribers=int(row["subscribers"]),
            private=int(row["private"]),
            bytes=int(row["bytes"]),
            views=int(row["views"]),
            shown=access.allowed_visibilities(viewer),
        )

    def list_image_keys(
        self,
        viewer: Viewer,
        stream_id: str | None = None,
        search: str | None = None,
        sort: Sort = Sort.NEWEST,
    ) -> tuple[list[str], list[str]]:
        """The ids and visibilities of every row list_images would return, in its order.

        The grid holds these for a whole stream (two flat lists of strings: nothing for the
        garbage collector to track) and reads the rows themselves a page at a time.
        """
        where, params = self._image_where(viewer, stream_id, search)
        sql = f"SELECT id, visibility FROM images WHERE {where} ORDER BY {_ORDER[Sort(sort)]}"
        ids: list[str] = []
        visibilities: list[str] = []
        with self._translated():
            for row in self._conn().execute(sql, tuple(params)):  # no list of rows is built
                ids.append(row[0])
                visibilities.append(row[1])
        return ids, visibilities

    def get_images(self, viewer: Viewer, image_ids: Sequence[str]) -> list[StreamImage]:
        """The images of `image_ids` that `viewer` may see, in no particular order."""
        if not image_ids:
            return []
        marks = ", ".join("?" * len(image_ids))
        return self._images(None, viewer, f"images.id IN ({marks})", list(image_ids))
