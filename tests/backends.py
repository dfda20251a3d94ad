"""One behaviour suite, two backends: a module marked `both_backends` runs on each.

`pytest_generate_tests` gives every test of such a module that uses the `settings` fixture
a `[local]` and a `[team]` run; `@pytest.mark.local_only("why")` keeps a test that is about
the local library's own files (SQLite, the originals folder) to `[local]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streamimages_desktop.core.settings import Settings

BACKENDS = ("local", "team")
# The team database's own limit: high, so each test's MAX_STREAM_IMAGES_PER_STREAM (checked
# by the client in the same transaction) is what a test meets; tests/core/team covers the
# database's enforcement of it.
TEAM_LIMIT = 1_000_000


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "settings" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("both_backends") is None:
        return
    local_only = metafunc.definition.get_closest_marker("local_only") is not None
    backends = BACKENDS[:1] if local_only else BACKENDS
    metafunc.parametrize("settings", backends, indirect=True, ids=list(backends))


def team_settings(local: Settings, request: pytest.FixtureRequest) -> Settings:
    """`local` pointed at a fresh team library on the session's servers, as its owner."""
    import psycopg

    database_url: str = request.getfixturevalue("postgres_url")
    storage = request.getfixturevalue("s3_admin")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE team_settings SET max_per_stream = %s", (TEAM_LIMIT,))
    return local._replace(
        stream_images_database_url=database_url,
        stream_images_blob_url=f"s3://{storage.bucket}/{storage.prefix}",
        stream_images_blob_endpoint=storage.endpoint_url,
        stream_images_blob_access_key=storage.access_key,
        stream_images_blob_secret_key=storage.secret_key,
    )


def _team_objects(settings: Settings) -> tuple[Any, str, list[str]]:
    """(client, bucket, keys) of the team library's stored originals, as its owner sees."""
    from streamimages_desktop.core.library_location import TeamLibrary, location_of
    from streamimages_desktop.core.s3_connection import make_client

    location = location_of(settings)
    assert isinstance(location, TeamLibrary)
    client = make_client("s3", location.endpoint, location.access_key, location.secret_key)
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=location.bucket, Prefix=f"{location.prefix}/"
    )
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    return client, location.bucket, keys


def original_names(settings: Settings) -> list[str]:
    """The file names (`<sha256>.<ext>`) of every stored original, sorted, on either backend
    (a team library's name is per visibility folder, so one may appear once per folder)."""
    if not settings.stream_images_database_url:
        return sorted(p.name for p in (settings.stream_images_dir / "originals").rglob("*.*"))
    return sorted(key.rsplit("/", 1)[-1] for key in _team_objects(settings)[2])


def remove_originals(settings: Settings) -> int:
    """Delete every stored original behind the library's back (damage, for tests)."""
    if not settings.stream_images_database_url:
        found = list((settings.stream_images_dir / "originals").rglob("*.*"))
        for path in found:
            path.unlink()
        return len(found)
    client, bucket, keys = _team_objects(settings)
    for key in keys:
        client.delete_object(Bucket=bucket, Key=key)
    return len(keys)


def rendition_files(settings: Settings) -> list[Path]:
    """This machine's cached rendition files of the library (either backend)."""
    from streamimages_desktop.core.library_backend import cache_dir_of

    return sorted((cache_dir_of(settings) / "renditions").rglob("*.jpg"))


def raw_rows(settings: Settings) -> list[tuple[object, ...]]:
    """Every image row as the database holds it, trashed ones too, by id (either backend)."""
    query = "SELECT * FROM images ORDER BY id"
    if not settings.stream_images_database_url:
        import sqlite3

        with sqlite3.connect(settings.stream_images_dir / "library.sqlite3") as conn:
            rows = conn.execute(query).fetchall()
        conn.close()
        return rows
    import psycopg

    with psycopg.connect(settings.stream_images_database_url) as pg:
        return [tuple(row) for row in pg.execute(query).fetchall()]


def library_snapshot(settings: Settings) -> tuple[list[str], list[str], list[tuple[str, ...]]]:
    """Every original, every cached rendition file and every image row (id, stream, sha256):
    what an import wrote, on either backend."""
    from streamimages_desktop.core.library_backend import cache_dir_of

    cache = cache_dir_of(settings)
    renditions = sorted(str(p.relative_to(cache)) for p in rendition_files(settings))
    query = "SELECT id, stream_id, sha256 FROM images ORDER BY id"
    if not settings.stream_images_database_url:
        import sqlite3

        lib = settings.stream_images_dir
        originals = sorted(
            str(p.relative_to(lib)) for p in (lib / "originals").rglob("*") if p.is_file()
        )
        if not (lib / "library.sqlite3").exists():
            return originals, renditions, []
        with sqlite3.connect(lib / "library.sqlite3") as conn:
            rows = [tuple(r) for r in conn.execute(query).fetchall()]
        conn.close()
        return originals, renditions, rows
    import psycopg

    with psycopg.connect(settings.stream_images_database_url) as pg:
        rows = [tuple(r) for r in pg.execute(query).fetchall()]
    return [*_team_objects(settings)[2]], renditions, rows


def member_settings(
    owner_settings: Settings, name: str, level: str, *, can_edit: bool = False
) -> Settings:
    """A new member of the owner's team library (`team_admin.add_member`: their database
    role and storage keys), as their own settings, with a local folder of their own."""
    from streamimages_desktop.core import team_admin

    made = team_admin.add_member(owner_settings, name, level, can_edit=can_edit)
    return owner_settings._replace(
        stream_images_database_url=made.database_url,
        stream_images_blob_access_key=made.access_key,
        stream_images_blob_secret_key=made.secret_key,
        stream_images_dir=owner_settings.stream_images_dir.parent / f"home-{name}",
    )
