"""The team library's PostgreSQL schema: the DDL of each version and its migration runner.

The tables have the local library's shape (core/schema.py: `streams`, `images` with the same
columns and timestamps as ISO text, `trashed`, `streams.image_count` kept by triggers), so
core/store.py and core/trash.py run their SQL on both. What only a shared server needs is
enforced by the database itself, so two machines racing cannot get around it:

- the per-stream limit: a trigger locks the stream row and refuses the row beyond
  `team_settings.max_per_stream` (SQLSTATE `SI001`); a partial unique index refuses the same
  bytes twice among a stream's live rows;
- `images.version`, bumped by every edit (not by a view), for stale-edit detection;
- a change counter (`team_changes`) bumped once by every transaction that wrote, at its
  commit, and announced with `pg_notify('streamimages_changes', json)` naming the streams it
  touched and the images among them every member may see (core/team_changes.py listens);
- search: a generated `tsvector` (config `streamimages_words`: 'simple' plus unaccent, so "cafe"
  finds "Café" as locally; words are split at anything but a letter or digit, as SQLite's
  unicode61 does, by ICU's classes whatever the database's locale) with a GIN index, and a
  pg_trgm GIN index over the folded text for substrings (core/team_search.py);
- `nocase`, an ICU collation, so `ORDER BY title COLLATE NOCASE` reads the same as in SQLite;
- row-level security: a member's role sees only the visibilities of its level
  (core/team_members.py grants the privileges; the functions here read `team_members`).

Counting and limit triggers are SECURITY DEFINER: they run as the owner, who sees every row.
"""

from __future__ import annotations

from typing import Any

import psycopg

from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind

CHANNEL = "streamimages_changes"
FULL_SQLSTATE = "SI001"
HIDDEN_SQLSTATE = "SI002"  # a stream delete that would take rows the member cannot see
# Room for the notification's JSON below PostgreSQL's 8000-byte payload limit.
_NOTIFY_MAX = 7900
_LOCK_KEY = 0x5354524D  # advisory lock: one migration at a time

_DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"


def _touched(rows: str) -> str:
    """PL/pgSQL: the ids of `rows` every member may see (public before or after), their
    streams, and whether any row goes unnamed."""
    return f"""SELECT array_agg(DISTINCT id) FILTER (WHERE seen), array_agg(DISTINCT stream_id),
                   bool_or(NOT seen)
                INTO ids, sids, unnamed
                FROM (SELECT id, stream_id, bool_or(visibility = 'public') AS seen
                      FROM {rows} AS touched GROUP BY id, stream_id) AS named;"""


_V1: tuple[str, ...] = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # Case-insensitive ordering (SQLite's NOCASE) and a deterministic ICU collation for lower().
    """CREATE COLLATION IF NOT EXISTS nocase
        (provider = icu, locale = 'und-u-ks-level2', deterministic = false)""",
    "CREATE COLLATION IF NOT EXISTS streamimages_fold (provider = icu, locale = 'und')",
    "CREATE TEXT SEARCH CONFIGURATION streamimages_words (COPY = simple)",
    """ALTER TEXT SEARCH CONFIGURATION streamimages_words ALTER MAPPING FOR
        asciiword, word, numword, asciihword, hword, numhword,
        hword_asciipart, hword_part, hword_numpart
        WITH unaccent, simple""",
    """CREATE TABLE team_settings (
        id             integer PRIMARY KEY CHECK (id = 1),
        max_per_stream integer NOT NULL CHECK (max_per_stream > 0)
    )""",
    """CREATE TABLE team_members (
        role_name text PRIMARY KEY,
        level     text NOT NULL CHECK (level IN ('all', 'subscribers', 'public')),
        can_edit  boolean NOT NULL
    )""",
    """CREATE TABLE team_changes (
        id      integer PRIMARY KEY CHECK (id = 1),
        counter bigint NOT NULL
    )""",
    "INSERT INTO team_changes VALUES (1, 0)",
    """CREATE TABLE streams (
        id          text PRIMARY KEY,
        title       text NOT NULL,
        owner       text NOT NULL,
        created     text NOT NULL,
        trashed     text,
        image_count integer NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE images (
        seq           bigserial PRIMARY KEY,
        id            text NOT NULL UNIQUE,
        stream_id     text NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        title         text NOT NULL,
        description   text NOT NULL DEFAULT '',
        original_name text NOT NULL,
        visibility    text NOT NULL CHECK (visibility IN ('public', 'subscribers', 'private')),
        format        text NOT NULL,
        width         integer NOT NULL,
        height        integer NOT NULL,
        bytes         bigint NOT NULL,
        sha256        text NOT NULL,
        created       text NOT NULL,
        updated       text NOT NULL,
        views         integer NOT NULL DEFAULT 0,
        last_accessed text,
        trashed       text,
        version       integer NOT NULL DEFAULT 1,
        words         tsvector GENERATED ALWAYS AS (to_tsvector('streamimages_words'::regconfig,
                          regexp_replace((title || ' ' || description || ' ' || original_name)
                                         COLLATE streamimages_fold, '[^[:alnum:]]+', ' ', 'g')))
                      STORED
    )""",
    """CREATE UNIQUE INDEX images_stream_sha256_live ON images (stream_id, sha256)
        WHERE trashed IS NULL""",
    "CREATE INDEX images_sha256 ON images (sha256)",
    "CREATE INDEX images_trashed ON images (trashed) WHERE trashed IS NOT NULL",
    "CREATE INDEX images_newest ON images (created DESC, id)",
    "CREATE INDEX images_title ON images (title COLLATE nocase, created, id)",
    "CREATE INDEX images_stream_newest ON images (stream_id, created DESC, id)",
    "CREATE INDEX images_words ON images USING gin (words)",
    """CREATE INDEX images_substrings ON images USING gin ((lower(
        (title || ' ' || description || ' ' || original_name) COLLATE streamimages_fold))
        gin_trgm_ops)""",
    # -- who sees what: the member's level, read as the member (current_user) -----------------
    """CREATE FUNCTION team_levels() RETURNS text[] LANGUAGE sql STABLE AS $$
        SELECT CASE m.level
            WHEN 'all' THEN ARRAY['public', 'subscribers', 'private']
            WHEN 'subscribers' THEN ARRAY['public', 'subscribers']
            ELSE ARRAY['public'] END
        FROM team_members m WHERE m.role_name = current_user
    $$""",
    # Whether any row (trashed too; of visibility `vis` when given, as each visibility's folder
    # holds its own copy) holds these bytes: an original's reference count before it is
    # removed from storage. Only for members who can edit (they remove).
    f"""CREATE FUNCTION team_sha_in_use(digest text, vis text DEFAULT NULL) RETURNS boolean
        STABLE {_DEFINER} AS $$
    BEGIN
        IF NOT coalesce((SELECT can_edit FROM team_members WHERE role_name = session_user),
                        false) THEN
            RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'only editors count originals';
        END IF;
        RETURN EXISTS (SELECT 1 FROM images
                       WHERE sha256 = digest AND (vis IS NULL OR visibility = vis));
    END $$""",
    """CREATE FUNCTION team_can_edit() RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT coalesce((SELECT can_edit FROM team_members WHERE role_name = current_user),
                        false)
    $$""",
    "ALTER TABLE team_members ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY team_members_self ON team_members FOR SELECT USING (role_name = current_user)",
    "ALTER TABLE images ENABLE ROW LEVEL SECURITY",
    """CREATE POLICY images_read ON images FOR SELECT
        USING (visibility = ANY ((SELECT team_levels())::text[]))""",
    """CREATE POLICY images_insert ON images FOR INSERT
        WITH CHECK ((SELECT team_can_edit())
                    AND visibility = ANY ((SELECT team_levels())::text[]))""",
    """CREATE POLICY images_update ON images FOR UPDATE
        USING (visibility = ANY ((SELECT team_levels())::text[]))
        WITH CHECK ((SELECT team_can_edit())
                    AND visibility = ANY ((SELECT team_levels())::text[]))""",
    """CREATE POLICY images_delete ON images FOR DELETE
        USING ((SELECT team_can_edit()) AND visibility = ANY ((SELECT team_levels())::text[]))""",
    # -- live-row counts and the limit (as the owner: they must see every row) ----------------
    f"""CREATE FUNCTION team_count_images() RETURNS trigger {_DEFINER} AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF OLD.trashed IS NULL THEN
                UPDATE streams SET image_count = image_count - 1 WHERE id = OLD.stream_id;
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF NEW.trashed IS NULL THEN
                UPDATE streams SET image_count = image_count + 1 WHERE id = NEW.stream_id;
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER images_count AFTER INSERT OR DELETE OR UPDATE OF stream_id, trashed
        ON images FOR EACH ROW EXECUTE FUNCTION team_count_images()""",
    f"""CREATE FUNCTION team_check_limit() RETURNS trigger {_DEFINER} AS $$
    DECLARE
        live integer;
        allowed integer;
    BEGIN
        IF NEW.trashed IS NOT NULL THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            IF OLD.trashed IS NULL AND OLD.stream_id = NEW.stream_id THEN
                RETURN NEW;
            END IF;
        END IF;
        -- The stream row's lock orders racing writers: the second reads the first's count.
        SELECT image_count INTO live FROM streams WHERE id = NEW.stream_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN NEW;  -- the foreign key names the missing stream
        END IF;
        SELECT max_per_stream INTO allowed FROM team_settings WHERE id = 1;
        IF allowed IS NOT NULL AND live >= allowed THEN
            RAISE EXCEPTION USING ERRCODE = '{FULL_SQLSTATE}',
                MESSAGE = format('stream %s is full: the team allows %s images per stream',
                                 NEW.stream_id, allowed);
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER images_limit BEFORE INSERT OR UPDATE OF stream_id, trashed
        ON images FOR EACH ROW EXECUTE FUNCTION team_check_limit()""",
    # A member may not delete a stream (and, by the cascade, rows it cannot see) unless the
    # stream holds no row hidden from it.
    f"""CREATE FUNCTION team_hidden_rows(stream text, levels text[]) RETURNS boolean
        STABLE {_DEFINER} AS $$
    BEGIN
        RETURN EXISTS (SELECT 1 FROM images WHERE stream_id = stream
                       AND NOT (visibility = ANY (coalesce(levels, ARRAY[]::text[]))));
    END $$""",
    """CREATE FUNCTION team_guard_stream_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF team_hidden_rows(OLD.id, team_levels()) THEN
            RAISE EXCEPTION USING ERRCODE = 'SI002',
                MESSAGE = format('stream %s holds images you may not see', OLD.id);
        END IF;
        RETURN OLD;
    END $$""",
    """CREATE TRIGGER streams_guard_delete BEFORE DELETE ON streams
        FOR EACH ROW EXECUTE FUNCTION team_guard_stream_delete()""",
    # -- versions: every edit (not a view) makes the copy another machine holds stale ---------
    """CREATE FUNCTION team_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.version := OLD.version + 1;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER images_version BEFORE UPDATE OF
        title, description, visibility, updated
        ON images FOR EACH ROW EXECUTE FUNCTION team_bump_version()""",
    # -- the change counter and its notification --------------------------------------------
    # Each write statement only notes what it touched in transaction-local settings (no lock);
    # a deferred trigger bumps the counter once, at commit, and announces everything noted.
    # The counter's row lock is thus the last lock a writer takes and is held only while it
    # commits: writers touching different streams never wait on each other for it, and two
    # multi-stream writes cannot deadlock over it.
    f"""CREATE FUNCTION team_note(image_ids text[], stream_ids text[], unnamed boolean)
        RETURNS void {_DEFINER} AS $$
    BEGIN
        IF unnamed THEN
            PERFORM set_config('streamimages.pending_more', 'yes', true);
        END IF;
        PERFORM set_config('streamimages.pending_images', (coalesce(nullif(
            current_setting('streamimages.pending_images', true), ''), '{{}}')::text[]
            || image_ids)::text, true);
        PERFORM set_config('streamimages.pending_streams', (coalesce(nullif(
            current_setting('streamimages.pending_streams', true), ''), '{{}}')::text[]
            || stream_ids)::text, true);
    END $$""",
    f"""CREATE FUNCTION team_announce() RETURNS trigger {_DEFINER} AS $$
    DECLARE
        now_at bigint;
        images text[];
        streams text[];
        payload text;
        more boolean;
    BEGIN
        more := current_setting('streamimages.pending_more', true) = 'yes';
        images := nullif(current_setting('streamimages.pending_images', true), '')::text[];
        streams := nullif(current_setting('streamimages.pending_streams', true), '')::text[];
        IF images IS NULL AND streams IS NULL THEN
            RETURN NULL;  -- announced by an earlier row of this commit
        END IF;
        PERFORM set_config('streamimages.pending_images', '', true);
        PERFORM set_config('streamimages.pending_streams', '', true);
        PERFORM set_config('streamimages.pending_more', '', true);
        UPDATE team_changes SET counter = counter + 1 WHERE id = 1 RETURNING counter INTO now_at;
        payload := json_build_object(
            'version', now_at,
            'image_ids', (SELECT coalesce(array_agg(DISTINCT i), ARRAY[]::text[])
                          FROM unnest(images) AS i),
            'stream_ids', (SELECT coalesce(array_agg(DISTINCT s), ARRAY[]::text[])
                           FROM unnest(streams) AS s),
            'more', coalesce(more, false))::text;
        IF octet_length(payload) > {_NOTIFY_MAX} THEN
            payload := json_build_object('version', now_at, 'image_ids', NULL,
                                         'stream_ids', NULL, 'truncated', true)::text;
        END IF;
        PERFORM pg_notify('{CHANNEL}', payload);
        RETURN NULL;
    END $$""",
    *(
        f"""CREATE CONSTRAINT TRIGGER {table}_announce AFTER INSERT OR UPDATE OR DELETE
            ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
            EXECUTE FUNCTION team_announce()"""
        for table in ("images", "streams")
    ),
    # Any member may LISTEN, so a notification names only the images every member may see
    # (public before or after the change); `more` says rows went unnamed, and the streams they
    # are in are always named: a member who sees more reloads those streams.
    f"""CREATE FUNCTION team_note_images() RETURNS trigger {_DEFINER} AS $$
    DECLARE
        ids text[];
        sids text[];
        unnamed boolean;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_touched("new_rows")}
        ELSIF TG_OP = 'DELETE' THEN
            {_touched("old_rows")}
        ELSE
            {_touched("(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows)")}
        END IF;
        IF sids IS NOT NULL THEN
            PERFORM team_note(coalesce(ids, ARRAY[]::text[]), sids, unnamed);
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION team_note_streams() RETURNS trigger {_DEFINER} AS $$
    DECLARE
        sids text[];
    BEGIN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(id) INTO sids FROM new_rows;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(id) INTO sids FROM old_rows;
        ELSE  -- a count kept by the images' trigger is no change of its own
            SELECT array_agg(n.id) INTO sids FROM new_rows n JOIN old_rows o USING (id)
                WHERE (n.title, n.owner, n.created, n.trashed)
                      IS DISTINCT FROM (o.title, o.owner, o.created, o.trashed);
        END IF;
        IF sids IS NOT NULL THEN
            PERFORM team_note(ARRAY[]::text[], sids, false);
        END IF;
        RETURN NULL;
    END $$""",
    *(
        f"""CREATE TRIGGER {table}_note_{event.lower()} AFTER {event} ON {table}
            REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION team_note_{table}()"""
        for table in ("images", "streams")
        for event, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ),
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The team schema's version in this database (0 when there is none yet)."""
    found = conn.execute("SELECT to_regclass('team_schema_version')").fetchone()
    if found is None or found[0] is None:
        return 0
    row = conn.execute("SELECT max(version) FROM team_schema_version").fetchone()
    return int(str(row[0])) if row is not None and row[0] is not None else 0


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Bring the team schema up to SCHEMA_VERSION in one transaction; return the version found.

    An advisory lock keeps two machines initialising the same team from running a step
    twice; `conn` must not be in autocommit mode's middle of anything (it commits here).
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute("CREATE TABLE IF NOT EXISTS team_schema_version (version integer NOT NULL)")
        found = schema_version(conn)
        if found > SCHEMA_VERSION:
            raise EnvironmentProblem(
                f"this team library was made by a newer StreamImages (schema {found}); "
                f"this version reads up to {SCHEMA_VERSION}",
                ProblemKind.UNSUPPORTED,
            )
        for version in range(found, SCHEMA_VERSION):
            for statement in MIGRATIONS[version]:
                conn.execute(statement.encode())
        if found != SCHEMA_VERSION:
            conn.execute("DELETE FROM team_schema_version")
            conn.execute("INSERT INTO team_schema_version VALUES (%s)", (SCHEMA_VERSION,))
    return found
