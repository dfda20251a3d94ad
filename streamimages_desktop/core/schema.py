"""Library schema: the DDL of each version and the PRAGMA user_version migration runner."""

from __future__ import annotations

import sqlite3

from streamimages_desktop.core.errors import LibraryError, ProblemKind
from streamimages_desktop.core.failures import sqlite_kind

# Each step moves the library from version i to i + 1. Statements are listed one by one (no
# executescript, which would commit the surrounding transaction in Python 3.11).
_V1: tuple[str, ...] = (
    """CREATE TABLE streams (
        id      TEXT PRIMARY KEY,
        title   TEXT NOT NULL,
        owner   TEXT NOT NULL,
        created TEXT NOT NULL
    )""",
    # `seq` is an explicit integer key so the FTS rowids survive VACUUM (implicit rowids may not);
    # `id` is the public key everyone uses.
    """CREATE TABLE images (
        seq           INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        stream_id     TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        title         TEXT NOT NULL,
        description   TEXT NOT NULL DEFAULT '',
        original_name TEXT NOT NULL,
        visibility    TEXT NOT NULL CHECK (visibility IN ('public', 'subscribers', 'private')),
        format        TEXT NOT NULL,
        width         INTEGER NOT NULL,
        height        INTEGER NOT NULL,
        bytes         INTEGER NOT NULL,
        sha256        TEXT NOT NULL,
        created       TEXT NOT NULL,
        updated       TEXT NOT NULL,
        views         INTEGER NOT NULL DEFAULT 0,
        last_accessed TEXT,
        UNIQUE (stream_id, sha256)
    )""",
    "CREATE INDEX images_stream_created ON images (stream_id, created)",
    "CREATE INDEX images_created ON images (created)",
    "CREATE INDEX images_sha256 ON images (sha256)",
    # Symbols (So) are token characters too, so an emoji in a title can be searched for.
    """CREATE VIRTUAL TABLE images_fts USING fts5 (
        title, description, original_name,
        content = 'images', content_rowid = 'seq',
        tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co So'"
    )""",
    """CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
        INSERT INTO images_fts (rowid, title, description, original_name)
        VALUES (new.seq, new.title, new.description, new.original_name);
    END""",
    """CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
        INSERT INTO images_fts (images_fts, rowid, title, description, original_name)
        VALUES ('delete', old.seq, old.title, old.description, old.original_name);
    END""",
    """CREATE TRIGGER images_fts_update AFTER UPDATE OF title, description, original_name
    ON images BEGIN
        INSERT INTO images_fts (images_fts, rowid, title, description, original_name)
        VALUES ('delete', old.seq, old.title, old.description, old.original_name);
        INSERT INTO images_fts (rowid, title, description, original_name)
        VALUES (new.seq, new.title, new.description, new.original_name);
    END""",
)

_V1_INDEXES_AND_TRIGGERS = tuple(s for s in _V1 if s.startswith(("CREATE INDEX", "CREATE TRIGGER")))

# The trash (issue 9): a trashed row keeps every field and gets `trashed` (when, UTC text); a
# trashed stream likewise. `UNIQUE (stream_id, sha256)` becomes a partial unique index over the
# rows not trashed, so a trashed image never makes a re-import of the same bytes a duplicate
# (restore re-checks it). SQLite cannot drop a table constraint, so the table is rebuilt
# keeping `seq`, which the full-text index is keyed by.
_V2_TRASH: tuple[str, ...] = (
    "ALTER TABLE streams ADD COLUMN trashed TEXT",
    """CREATE TABLE images_v2 (
        seq           INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        stream_id     TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        title         TEXT NOT NULL,
        description   TEXT NOT NULL DEFAULT '',
        original_name TEXT NOT NULL,
        visibility    TEXT NOT NULL CHECK (visibility IN ('public', 'subscribers', 'private')),
        format        TEXT NOT NULL,
        width         INTEGER NOT NULL,
        height        INTEGER NOT NULL,
        bytes         INTEGER NOT NULL,
        sha256        TEXT NOT NULL,
        created       TEXT NOT NULL,
        updated       TEXT NOT NULL,
        views         INTEGER NOT NULL DEFAULT 0,
        last_accessed TEXT,
        trashed       TEXT
    )""",
    "INSERT INTO images_v2 SELECT *, NULL FROM images",
    "DROP TABLE images",
    "ALTER TABLE images_v2 RENAME TO images",
    "CREATE UNIQUE INDEX images_stream_sha256_live ON images (stream_id, sha256)"
    " WHERE trashed IS NULL",
    "CREATE INDEX images_trashed ON images (trashed) WHERE trashed IS NOT NULL",
    *_V1_INDEXES_AND_TRIGGERS,
)


# Issue 14, speed at 100,000 images. Self-contained (IF NOT EXISTS), so it may follow any other
# step. Reads: one index per sort the window and the command line offer, across all streams and
# per stream, each ending in the `id` tiebreak and matching its ORDER BY direction column by
# column, so no ordering ever needs a temporary B-tree. Totals: a covering index serves `stats`
# and the per-stream counts of `streams`. Writes: `streams.image_count`, kept by triggers in the
# inserting transaction, replaces the per-stream COUNT(*) of the limit check (O(1), not O(n)).
_V3_SPEED: tuple[str, ...] = (
    "DROP INDEX IF EXISTS images_stream_created",  # prefixes of the indexes below
    "DROP INDEX IF EXISTS images_created",
    "CREATE INDEX IF NOT EXISTS images_newest ON images (created DESC, id)",
    "CREATE INDEX IF NOT EXISTS images_oldest ON images (created, id)",
    "CREATE INDEX IF NOT EXISTS images_title ON images (title COLLATE NOCASE, created, id)",
    "CREATE INDEX IF NOT EXISTS images_viewed ON images (views DESC, created DESC, id)",
    "CREATE INDEX IF NOT EXISTS images_stream_newest ON images (stream_id, created DESC, id)",
    "CREATE INDEX IF NOT EXISTS images_stream_oldest ON images (stream_id, created, id)",
    """CREATE INDEX IF NOT EXISTS images_stream_title
        ON images (stream_id, title COLLATE NOCASE, created, id)""",
    """CREATE INDEX IF NOT EXISTS images_stream_viewed
        ON images (stream_id, views DESC, created DESC, id)""",
    """CREATE INDEX IF NOT EXISTS images_stream_totals
        ON images (stream_id, visibility, bytes, views, trashed)""",
    "ALTER TABLE streams ADD COLUMN image_count INTEGER NOT NULL DEFAULT 0",
    # Counts live rows only: a trashed image takes no room in its stream (issue 9).
    """UPDATE streams SET image_count = (SELECT count(*) FROM images
        WHERE images.stream_id = streams.id AND images.trashed IS NULL)""",
    """CREATE TRIGGER IF NOT EXISTS images_count_insert AFTER INSERT ON images
    WHEN new.trashed IS NULL BEGIN
        UPDATE streams SET image_count = image_count + 1 WHERE id = new.stream_id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS images_count_delete AFTER DELETE ON images
    WHEN old.trashed IS NULL BEGIN
        UPDATE streams SET image_count = image_count - 1 WHERE id = old.stream_id;
    END""",
    # A move, a trashing or a restore (or a restore into another stream) in one trigger.
    """CREATE TRIGGER IF NOT EXISTS images_count_move AFTER UPDATE OF stream_id, trashed
    ON images WHEN old.stream_id IS NOT new.stream_id
        OR (old.trashed IS NULL) IS NOT (new.trashed IS NULL) BEGIN
        UPDATE streams SET image_count = image_count - 1
            WHERE id = old.stream_id AND old.trashed IS NULL;
        UPDATE streams SET image_count = image_count + 1
            WHERE id = new.stream_id AND new.trashed IS NULL;
    END""",
)


_FTS_COLUMNS = "title, description, original_name"


def _fts_triggers(table: str) -> tuple[str, ...]:
    """The three triggers that keep an external-content FTS5 table in step with `images`."""
    return (
        f"""CREATE TRIGGER {table}_insert AFTER INSERT ON images BEGIN
            INSERT INTO {table} (rowid, {_FTS_COLUMNS})
            VALUES (new.seq, new.title, new.description, new.original_name);
        END""",
        f"""CREATE TRIGGER {table}_delete AFTER DELETE ON images BEGIN
            INSERT INTO {table} ({table}, rowid, {_FTS_COLUMNS})
            VALUES ('delete', old.seq, old.title, old.description, old.original_name);
        END""",
        f"""CREATE TRIGGER {table}_update AFTER UPDATE OF {_FTS_COLUMNS} ON images BEGIN
            INSERT INTO {table} ({table}, rowid, {_FTS_COLUMNS})
            VALUES ('delete', old.seq, old.title, old.description, old.original_name);
            INSERT INTO {table} (rowid, {_FTS_COLUMNS})
            VALUES (new.seq, new.title, new.description, new.original_name);
        END""",
    )


# Substring search: `images_fts` becomes a trigram index ("rag" finds "drag1"); the words index
# `images_words` (the old unicode61 tokenizer) serves terms shorter than three characters as
# word prefixes and finds "cafe" in "Café" (trigram in SQLite 3.40 keeps diacritics).
# Self-contained: it drops and recreates both tables and their triggers, then rebuilds them.
_V4_TRIGRAM: tuple[str, ...] = (
    "DROP TRIGGER IF EXISTS images_fts_insert",
    "DROP TRIGGER IF EXISTS images_fts_delete",
    "DROP TRIGGER IF EXISTS images_fts_update",
    "DROP TRIGGER IF EXISTS images_words_insert",
    "DROP TRIGGER IF EXISTS images_words_delete",
    "DROP TRIGGER IF EXISTS images_words_update",
    "DROP TABLE IF EXISTS images_fts",
    "DROP TABLE IF EXISTS images_words",
    f"""CREATE VIRTUAL TABLE images_fts USING fts5 (
        {_FTS_COLUMNS}, content = 'images', content_rowid = 'seq', tokenize = 'trigram'
    )""",
    f"""CREATE VIRTUAL TABLE images_words USING fts5 (
        {_FTS_COLUMNS}, content = 'images', content_rowid = 'seq',
        tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co So'"
    )""",
    *_fts_triggers("images_fts"),
    *_fts_triggers("images_words"),
    "INSERT INTO images_fts (images_fts) VALUES ('rebuild')",
    "INSERT INTO images_words (images_words) VALUES ('rebuild')",
)

# Stale edits (issue 13): `version` goes up with every edit of what the edit form shows (title,
# description, visibility, and `updated`, which every edit sets), not with a view, a move or a
# trash and restore (an undo puts a row back exactly), so an edit made from an older copy is
# refused (Store.update_image's expected_version). A trigger,
# not the writers, keeps it, so every curation write in core/trash.py counts too. SQLite runs
# no trigger from the trigger's own UPDATE (recursive_triggers is off, and `version` is not in
# the column list).
_V5_VERSION: tuple[str, ...] = (
    "ALTER TABLE images ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    """CREATE TRIGGER IF NOT EXISTS images_version AFTER UPDATE OF
        title, description, visibility, updated ON images BEGIN
        UPDATE images SET version = old.version + 1 WHERE seq = new.seq;
    END""",
)

# Issue 14: `stats` and `streams` of a 100,000-image library read a few rows, not every
# image. One row per stream and visibility holds its live images, their bytes and their views,
# kept by triggers in the writing transaction (an import, a view, a trashing, a move, a
# visibility change), so the totals are exact whenever a reader can see the rows they count.
# A trashed row counts nowhere, as in the stream limit.
_TOTALS_ADD = """INSERT INTO stream_totals (stream_id, visibility, images, bytes, views)
            VALUES (new.stream_id, new.visibility, 1, new.bytes, new.views)
            ON CONFLICT (stream_id, visibility) DO UPDATE SET images = images + 1,
                bytes = bytes + excluded.bytes, views = views + excluded.views;"""
_TOTALS_TAKE = """UPDATE stream_totals SET images = images - 1, bytes = bytes - old.bytes,
                views = views - old.views
            WHERE stream_id = old.stream_id AND visibility = old.visibility;"""
# The kept counts made again from the rows: the migration's backfill, and `check --repair`.
RECOUNT: tuple[str, ...] = (
    "DELETE FROM stream_totals",
    """INSERT INTO stream_totals (stream_id, visibility, images, bytes, views)
        SELECT stream_id, visibility, count(*), sum(bytes), sum(views) FROM images
        WHERE trashed IS NULL GROUP BY stream_id, visibility""",
    """UPDATE streams SET image_count = (SELECT count(*) FROM images
        WHERE images.stream_id = streams.id AND images.trashed IS NULL)""",
)
# The kept counts that differ from a recount (a row each), for `check`.
MISCOUNTED = """SELECT count(*) FROM (
    SELECT * FROM (SELECT stream_id, visibility, images, bytes, views FROM stream_totals
        WHERE images != 0 EXCEPT SELECT stream_id, visibility, count(*), sum(bytes), sum(views)
        FROM images WHERE trashed IS NULL GROUP BY stream_id, visibility)
    UNION ALL
    SELECT * FROM (SELECT stream_id, visibility, count(*), sum(bytes), sum(views) FROM images
        WHERE trashed IS NULL GROUP BY stream_id, visibility EXCEPT SELECT stream_id,
        visibility, images, bytes, views FROM stream_totals WHERE images != 0)
    UNION ALL
    SELECT id, NULL, NULL, NULL, NULL FROM streams WHERE image_count != (SELECT count(*)
        FROM images WHERE images.stream_id = streams.id AND images.trashed IS NULL)
)"""

_V6_TOTALS: tuple[str, ...] = (
    """CREATE TABLE stream_totals (
        stream_id  TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        visibility TEXT NOT NULL,
        images     INTEGER NOT NULL,
        bytes      INTEGER NOT NULL,
        views      INTEGER NOT NULL,
        PRIMARY KEY (stream_id, visibility)
    ) WITHOUT ROWID""",
    RECOUNT[1],
    f"""CREATE TRIGGER stream_totals_insert AFTER INSERT ON images
    WHEN new.trashed IS NULL BEGIN
        {_TOTALS_ADD}
    END""",
    f"""CREATE TRIGGER stream_totals_delete AFTER DELETE ON images
    WHEN old.trashed IS NULL BEGIN
        {_TOTALS_TAKE}
    END""",
    f"""CREATE TRIGGER stream_totals_take AFTER UPDATE OF
        stream_id, visibility, trashed, bytes, views ON images
    WHEN old.trashed IS NULL BEGIN
        {_TOTALS_TAKE}
    END""",
    f"""CREATE TRIGGER stream_totals_add AFTER UPDATE OF
        stream_id, visibility, trashed, bytes, views ON images
    WHEN new.trashed IS NULL BEGIN
        {_TOTALS_ADD}
    END""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1,
    _V2_TRASH,
    _V3_SPEED,
    _V4_TRIGRAM,
    _V5_VERSION,
    _V6_TOTALS,
)
SCHEMA_VERSION = len(MIGRATIONS)


def newer_library_message(found: int) -> str:
    return (
        f"this library was made by a newer StreamImages (schema {found}); "
        f"this version reads up to {SCHEMA_VERSION}"
    )


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the library up to SCHEMA_VERSION in one transaction; return the version found.

    The version is read inside BEGIN IMMEDIATE so two processes opening a new library at once
    cannot both run the same step. An up-to-date library is not write-locked at all, so opening
    it never waits on another process's write.
    """
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise LibraryError(newer_library_message(found), ProblemKind.UNSUPPORTED)
        if found == 0:
            foreign = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ).fetchone()[0]
            if foreign:
                raise LibraryError(
                    "this SQLite file is not a StreamImages library", ProblemKind.DAMAGED
                )
        for version in range(found, SCHEMA_VERSION):
            _run_step(conn, version)
        if found != SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found


def _run_step(conn: sqlite3.Connection, version: int) -> None:
    """One migration step; a step the tables refuse (made by another build) is named as damage,
    and the caller's ROLLBACK leaves the file as it was."""
    for statement in MIGRATIONS[version]:
        try:
            conn.execute(statement)
        except sqlite3.OperationalError as exc:
            if sqlite_kind(exc) is ProblemKind.BUSY:
                raise
            raise LibraryError(
                f"the library's tables do not match its version {version} ({exc});"
                " nothing was changed",
                ProblemKind.DAMAGED,
            ) from exc
