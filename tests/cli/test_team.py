"""`streamimages team ...` for real: init on an empty server, a member's settings file, push and
pull, and the one-line failures of a team library that cannot be reached."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from streamimages_desktop.core.settings import Settings
from tests.images import image_bytes

SECRET = "secret plans"


def team_env(database_url: str, storage: Any) -> dict[str, str]:
    return {
        "STREAM_IMAGES_DATABASE_URL": database_url,
        "STREAM_IMAGES_BLOB_URL": f"s3://{storage.bucket}/{storage.prefix}",
        "STREAM_IMAGES_BLOB_ENDPOINT": storage.endpoint_url,
        "STREAM_IMAGES_BLOB_ACCESS_KEY": storage.access_key,
        "STREAM_IMAGES_BLOB_SECRET_KEY": storage.secret_key,
    }


def cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`streamimages ARGS` with only `env`'s settings (no --library: that means local)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("STREAM_IMAGES")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "streamimages_desktop",
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
        ],
        capture_output=True,
        text=True,
        env={**base, "STREAMIMAGES_CONFIG": str(tmp_path / "none.toml"), **env},
        timeout=120,
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def local_library(folder: Path) -> Settings:
    settings = Settings.load({}, library=folder, cache_dir=folder.parent / "local-cache")
    with StreamImageManager(settings) as manager:
        for seed, visibility in enumerate(Visibility):
            title = SECRET if visibility is Visibility.PRIVATE else f"image {seed}"
            data = image_bytes("PNG", (40, 30), seed=seed)
            options = ImportOptions(visibility, title=title)
            assert manager.import_bytes(OWNER, "live", data, f"{seed}.png", options).image_id
    return settings


def test_init_a_member_and_their_view(
    tmp_path: Path, postgres_blank_url: str, s3_admin: Any
) -> None:
    owner = team_env(postgres_blank_url, s3_admin)
    first = cli(tmp_path, owner, "team", "init", "--max-per-stream", "20")
    assert first.returncode == 0, first.stderr
    assert "row-level security ready" in first.stdout and "at most 20 images" in first.stdout
    again = cli(tmp_path, owner, "team", "init", "--max-per-stream", "20")
    assert again.returncode == 0, again.stderr  # idempotent
    missing = one_line(cli(tmp_path, owner, "team", "push", "--from", str(tmp_path / "mine")))
    assert "no local library" in missing and not (tmp_path / "mine").exists()
    local_library(tmp_path / "mine")
    pushed = cli(tmp_path, owner, "team", "push", "--from", str(tmp_path / "mine"))
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.startswith("copied 3 images"), pushed.stdout
    again = cli(tmp_path, owner, "team", "push", "--from", str(tmp_path / "mine"))
    assert again.stdout.startswith("copied 0 images") and "3 already there" in again.stdout

    member_file = tmp_path / "ann.toml"
    made = cli(
        tmp_path,
        owner,
        "team",
        "add-member",
        "ann_" + tmp_path.name[-6:].lower().replace("-", "_"),
        "--level",
        "subscribers",
        "--write-settings",
        str(member_file),
    )
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(member_file.stat().st_mode) == 0o600
    assert s3_admin.secret_key not in member_file.read_text()  # their own keys, not ours
    member = {"STREAMIMAGES_CONFIG": str(member_file)}
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "streamimages_desktop",
            "--cache-dir",
            str(tmp_path / "c2"),
            "list",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("STREAM_IMAGES")},
            **member,
        },
    )
    assert listed.returncode == 0, listed.stderr
    titles = {row["title"] for row in json.loads(listed.stdout)}
    assert titles == {"image 0", "image 1"} and SECRET not in listed.stdout
    stats = cli(tmp_path, member, "stats")  # read as their level: no private figure at all
    assert stats.returncode == 0 and "private" not in stats.stdout, stats.stdout
    assert "subscribers: 1" in stats.stdout, stats.stdout
    refused = one_line(cli(tmp_path, member, "delete", json.loads(listed.stdout)[0]["id"]))
    assert "does not allow changes" in refused

    pulled = cli(tmp_path, owner, "team", "pull", "--to", str(tmp_path / "offline"))
    assert pulled.returncode == 0, pulled.stderr
    offline = Settings.load({}, library=tmp_path / "offline", cache_dir=tmp_path / "oc")
    with StreamImageManager(offline) as manager:
        assert {i.title for i in manager.images(OWNER, "live")} == {"image 0", "image 1", SECRET}


@pytest.mark.parametrize("broken", ["port", "password"])
def test_an_unreachable_or_refusing_server_is_one_line(
    tmp_path: Path, postgres_url: str, s3_admin: Any, broken: str
) -> None:
    if broken == "port":
        url = postgres_url.replace(postgres_url.split(":")[-1].split("/")[0], "1", 1)
        words = "did not answer"
    else:
        user, rest = postgres_url.split("://", 1)[1].split("@", 1)
        url = f"postgresql://{user.split(':')[0]}:wrong@{rest}"
        words = "refused"
    line = one_line(cli(tmp_path, team_env(url, s3_admin), "list"))
    assert words in line and "wrong" not in line, line


def test_check_says_it_is_for_local_libraries(
    tmp_path: Path, postgres_url: str, s3_admin: Any
) -> None:
    line = one_line(cli(tmp_path, team_env(postgres_url, s3_admin), "check"))
    assert "team pull" in line
