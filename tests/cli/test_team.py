"""`streamimages team ...` for real: init on an empty server, a member's settings file, push and
pull, and the one-line failures of a team library that cannot be reached."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def _titles(tmp_path: Path, member: dict[str, str]) -> set[str]:
    listed = cli(tmp_path, member, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {row["title"] for row in json.loads(listed.stdout)}


def test_set_level_members_and_remove_member(
    tmp_path: Path, postgres_url: str, s3_admin: Any
) -> None:
    owner = team_env(postgres_url, s3_admin)
    local_library(tmp_path / "mine")
    pushed = cli(tmp_path, owner, "team", "push", "--from", str(tmp_path / "mine"))
    assert pushed.returncode == 0, pushed.stderr
    name = "bo_" + tmp_path.name[-6:].lower().replace("-", "_")
    member_file = tmp_path / "bo.toml"
    made = cli(
        tmp_path, owner, "team", "add-member", name, "--level", "public",
        "--write-settings", str(member_file),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    settings_text = member_file.read_text()
    member = {"STREAMIMAGES_CONFIG": str(member_file)}
    assert _titles(tmp_path, member) == {"image 0"}

    listed = cli(tmp_path, owner, "team", "members")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["postgres", "all", "may", "edit", "(owner)"], lines
    assert [line.split() for line in lines if line.startswith(name)] == [
        [name, "public", "read", "only"]
    ]
    mine = tomllib.loads(settings_text)
    password = urlsplit(mine["STREAM_IMAGES_DATABASE_URL"]).password
    assert password and len(password) > 16
    secrets = [password, mine["STREAM_IMAGES_BLOB_SECRET_KEY"], s3_admin.secret_key]
    for secret in secrets:
        assert secret not in listed.stdout

    raised = cli(tmp_path, owner, "team", "set-level", name, "--level", "all", "--can-edit")
    assert raised.returncode == 0, raised.stderr
    assert "public -> all" in raised.stdout and "may not edit -> may edit" in raised.stdout
    assert member_file.read_text() == settings_text  # the same login and keys go on working
    assert _titles(tmp_path, member) == {"image 0", "image 1", SECRET}
    lowered = cli(tmp_path, owner, "team", "set-level", name, "--level", "subscribers")
    assert lowered.returncode == 0, lowered.stderr
    assert _titles(tmp_path, member) == {"image 0", "image 1"}
    read_only = cli(tmp_path, owner, "team", "set-level", name, "--no-can-edit")
    assert read_only.returncode == 0 and "may edit -> may not edit" in read_only.stdout

    down = {**owner, "STREAM_IMAGES_BLOB_ENDPOINT": "http://127.0.0.1:1"}
    assert "cannot reach" in one_line(
        cli(tmp_path, down, "team", "set-level", name, "--level", "all")
    )
    assert "cannot reach" in one_line(cli(tmp_path, down, "team", "remove-member", name))
    assert cli(tmp_path, owner, "team", "members").stdout == listed.stdout.replace(
        f"{name}  public       read only", f"{name}  subscribers  read only"
    )
    assert _titles(tmp_path, member) == {"image 0", "image 1"}

    for args, words in (
        (("set-level", "nobody_here", "--level", "all"), "no member named nobody_here"),
        (("remove-member", "nobody_here"), "no member named nobody_here"),
        (("set-level", "Bad-Name", "--can-edit"), "invalid member name"),
        (("remove-member", "postgres"), "team's owner"),
    ):
        assert words in one_line(cli(tmp_path, owner, "team", *args)), args
    for args in (("set-level", name), ("set-level", name, "--level", "everything")):
        usage = cli(tmp_path, owner, "team", *args)
        assert usage.returncode == 2 and "Traceback" not in usage.stderr, usage.stderr
        assert "nothing to change" in usage.stderr or "invalid choice" in usage.stderr
    for args in (("members",), ("set-level", name, "--level", "all"), ("remove-member", name)):
        assert "only the team's owner" in one_line(cli(tmp_path, member, "team", *args)), args
    assert _titles(tmp_path, member) == {"image 0", "image 1"}

    removed = cli(tmp_path, owner, "team", "remove-member", name)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith(f"removed {name}") and "images stay" in removed.stdout
    assert "refused the login" in one_line(cli(tmp_path, member, "list"))
    assert name not in cli(tmp_path, owner, "team", "members").stdout
    assert _titles(tmp_path, owner) == {"image 0", "image 1", SECRET}


def test_every_team_option_says_what_it_does() -> None:
    import argparse

    from streamimages_desktop.cli.parser import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    team = commands.choices["team"]
    steps = next(a for a in team._actions if isinstance(a, argparse._SubParsersAction))
    assert {"set-level", "remove-member", "members"} <= set(steps.choices)
    helps = {choice.dest: choice.help for choice in steps._choices_actions}
    for step, sub in steps.choices.items():
        assert helps.get(step), step
        for action in sub._actions:
            assert action.help, (step, action.dest)
