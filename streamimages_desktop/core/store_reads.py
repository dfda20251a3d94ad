"""StoreReads: every read of the library's rows, each through the access rules.

An image is read only through `_image_where`, which starts with what the viewer may see and
takes the search clause from a hook (SQLite's FTS5 here, PostgreSQL's in core/team_store.py);
`stats` and `streams` count from a table of totals through the same kind of clause. Besides
those, only bookkeeping reads that are never shown to a role, and change detection. The
writes are Store's (core/store.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence

from streamimages_desktop.core import access
from streamimages_desktop.core.database import Database
from streamimages_desktop.core.image_rows import (
    IMAGE_COLUMNS,
    STREAM_COLUMNS,
    image_from_row,
    stream_from_row,
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
)
from streamimages_desktop.core.search import search_clause

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["StoreReads"]


_ORDER: dict[Sort, str] = {
    Sort.NEWEST: "created DESC, id",
    Sort.OLDEST: "created, id",
    Sort.TITLE: "title COLLATE NOCASE, created, id",
    Sort.MOST_VIEWED: "views DESC, created DESC, id",
}

# "No limit" in a form SQLite (which needs a LIMIT before OFFSET) and PostgreSQL both take.
_NO_LIMIT = 2**63 - 1


def _count_of(visibility: str, per_row: str) -> str:
    """How many images have this visibility, each source row counting `per_row` images, in SQL
    both SQLite and PostgreSQL take (the latter sums no booleans)."""
    return f"coalesce(sum(CASE WHEN visibility = '{visibility}' THEN {per_row} ELSE 0 END), 0)"


class StoreReads(Database):
    """Streams and image rows as read; every image read is filtered by the viewer's access."""

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
        sql = f"SELECT {IMAGE_COLUMNS} FROM images WHERE {where}"
        if conn is None:
            return [image_from_row(r) for r in self._query(sql, all_params)]
        return [image_from_row(r) for r in conn.execute(sql, all_params).fetchall()]

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

    def get_stream(self, stream_id: str) -> Stream | None:
        rows = self._query(f"SELECT {STREAM_COLUMNS} FROM streams WHERE id = ?", (stream_id,))
        return stream_from_row(rows[0]) if rows else None

    # Where the totals of `stats` and `streams` come from: a few rows of `stream_totals` here
    # (schema._V6_TOTALS), the images themselves in a team library (core/team_store.py), where
    # row-level security decides what a member's count may include.
    _TOTALS_FROM = "stream_totals"
    _TOTALS_PER_ROW = "images"  # how many images one row of _TOTALS_FROM stands for

    def list_streams(self, viewer: Viewer) -> list[StreamSummary]:
        """Every stream listed to `viewer` (access.lists_stream) by id, each with the number of
        images `viewer` may see."""
        clause, allowed = self._totals_clause(viewer)
        rows = self._query(
            f"SELECT {STREAM_COLUMNS}, (SELECT coalesce(sum({self._TOTALS_PER_ROW}), 0)"
            f" FROM {self._TOTALS_FROM} WHERE stream_id = streams.id AND {clause}) AS visible"
            f" FROM streams WHERE {access.stream_clause()}"
            " ORDER BY streams.id",
            allowed,
        )
        return [
            StreamSummary(stream_from_row(r), int(r["visible"]))
            for r in rows
            if access.lists_stream(viewer, int(r["visible"]))
        ]

    def _totals_clause(self, viewer: Viewer) -> tuple[str, tuple[str, ...]]:
        """What `viewer` may count: the totals hold live rows only, by visibility."""
        return access.visibility_clause(viewer)

    # -- images: internal reads (not shown to a role) ---------------------------------------

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

    def count_trashed(self) -> int:
        """How many images the owner's trash holds: one read of the trash's partial index, no
        write lock (listing the trash takes one)."""
        clause = access.trash_clause(OWNER)
        return int(self._query(f"SELECT count(*) FROM images WHERE {clause}")[0][0])

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
            f"SELECT {IMAGE_COLUMNS} FROM images WHERE {where} "
            f"ORDER BY {_ORDER[Sort(sort)]} LIMIT ? OFFSET ?"
        )
        params += [_NO_LIMIT if limit is None else max(0, limit), max(0, offset)]
        return [image_from_row(r) for r in self._query(sql, params)]

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
