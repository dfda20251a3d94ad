"""Which library the settings open: the local folder unless both team URLs are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamimages_desktop.core.library_location import (
    LibraryUrlError,
    LocalLibrary,
    TeamLibrary,
    location_of,
)
from streamimages_desktop.core.settings import Settings

DB = "postgresql://ann:s3cret@db.example:5433/streams"


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.load(env, config_file=tmp_path / "none.toml", library=None)


def test_no_urls_means_the_local_folder(tmp_path: Path) -> None:
    settings = _settings(tmp_path, STREAM_IMAGES_DIR=str(tmp_path / "lib"))
    assert location_of(settings) == LocalLibrary(tmp_path / "lib")


def test_both_urls_open_the_team_library_and_its_name_hides_the_password(
    tmp_path: Path,
) -> None:
    settings = _settings(
        tmp_path,
        STREAM_IMAGES_DATABASE_URL=DB,
        STREAM_IMAGES_BLOB_URL="s3://team-images/show/one",
        STREAM_IMAGES_BLOB_ENDPOINT="http://127.0.0.1:8333",
    )
    location = location_of(settings)
    assert isinstance(location, TeamLibrary)
    assert (location.bucket, location.prefix) == ("team-images", "show/one")
    assert location.describe() == "team library ann@db.example:5433/streams"
    assert "s3cret" not in location.describe()


def test_the_command_line_url_wins_and_a_folder_means_local(tmp_path: Path) -> None:
    env = {"STREAM_IMAGES_BLOB_URL": "s3://team-images"}
    settings = Settings.load(env, config_file=tmp_path / "none.toml", library_url=DB)
    assert location_of(settings).is_team
    local = Settings.load(
        {**env, "STREAM_IMAGES_DATABASE_URL": DB},
        config_file=tmp_path / "none.toml",
        library=tmp_path / "lib",
    )
    # --library names a folder: the local library, though the team URLs are set
    assert location_of(local) == LocalLibrary(tmp_path / "lib")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"STREAM_IMAGES_DATABASE_URL": DB}, "STREAM_IMAGES_BLOB_URL is not set"),
        ({"STREAM_IMAGES_BLOB_URL": "s3://team-images"}, "STREAM_IMAGES_DATABASE_URL is not"),
        (
            {
                "STREAM_IMAGES_DATABASE_URL": "mysql://x:pw@h/d",
                "STREAM_IMAGES_BLOB_URL": "s3://abc",
            },
            "must look like postgresql://",
        ),
        ({"STREAM_IMAGES_DATABASE_URL": DB, "STREAM_IMAGES_BLOB_URL": "s3://ab"}, "3-63"),
        ({"STREAM_IMAGES_DATABASE_URL": DB, "STREAM_IMAGES_BLOB_URL": "s3://Big_Bucket"}, "3-63"),
        ({"STREAM_IMAGES_DATABASE_URL": DB, "STREAM_IMAGES_BLOB_URL": "http://abc"}, "s3://"),
    ],
)
def test_a_half_or_wrong_team_library_is_refused_in_one_line(
    tmp_path: Path, env: dict[str, str], words: str
) -> None:
    with pytest.raises(LibraryUrlError) as err:
        location_of(_settings(tmp_path, **env))
    assert words in str(err.value)
    assert "\n" not in str(err.value)
    assert "pw@" not in str(err.value)  # a refused URL never repeats its password


def test_a_bucket_alone_keeps_its_originals_under_a_prefix(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, STREAM_IMAGES_DATABASE_URL=DB, STREAM_IMAGES_BLOB_URL="s3://team-images"
    )
    location = location_of(settings)
    assert isinstance(location, TeamLibrary)
    assert location.prefix == "library"
    with pytest.raises(LibraryUrlError, match="prefix"):
        location_of(
            _settings(
                tmp_path,
                STREAM_IMAGES_DATABASE_URL=DB,
                STREAM_IMAGES_BLOB_URL="s3://team-images/a/../b",
            )
        )
