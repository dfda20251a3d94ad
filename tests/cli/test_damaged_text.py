"""A row whose text is not valid UTF-8 (damage, another tool) is shown escaped, no traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer
from streamimages_desktop.core.settings import Settings
from tests.images import write_image

# "Sun" + a lone continuation byte + an escape sequence + a cut-off two-byte character.
DAMAGED_TITLE = bytes.fromhex("53756e") + b"\xff\x1b[31m" + b"set\xc3"
DAMAGED_DESCRIPTION = b"caf\xe9 (latin-1)"
TITLE_AS_READ = "Sun\\xff\x1b[31mset\\xc3"  # what the library hands out
DESCRIPTION_AS_READ = "caf\\xe9 (latin-1)"


def settings_for(tmp_path: Path) -> Settings:
    return Settings.load({}, library=tmp_path / "lib", cache_dir=tmp_path / "cache")


@pytest.fixture
def damaged(tmp_path: Path) -> str:
    """A library with one image whose title and description were overwritten with bad bytes."""
    with StreamImageManager(settings_for(tmp_path)) as manager:
        [result] = manager.import_paths(OWNER, "s1", [write_image(tmp_path / "sunset.png")])
    assert result.image_id is not None
    with sqlite3.connect(tmp_path / "lib" / "library.sqlite3") as db:
        db.execute(
            "UPDATE images SET title = CAST(? AS TEXT), description = CAST(? AS TEXT)",
            (DAMAGED_TITLE, DAMAGED_DESCRIPTION),
        )
        db.execute("UPDATE streams SET title = CAST(? AS TEXT)", (b"live \xfe\x07",))
        [(stored,)] = db.execute("SELECT hex(title) FROM images")
        assert stored == DAMAGED_TITLE.hex().upper()
    db.close()
    return result.image_id


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The real command line; output kept as bytes to see exactly what reaches the terminal."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "streamimages_desktop",
            "--library",
            str(tmp_path / "lib"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
        ],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stdout + proc.stderr
    assert b"\x1b" not in proc.stdout + proc.stderr  # no raw escape byte reaches the terminal
    proc.stdout.decode("utf-8")  # and nothing undecodable either
    return proc


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--search", "sunset"],
        ["list", "--search", "Sun"],
        ["list", "--as", "viewer"],
    ],
)
def test_list_shows_the_damaged_title_escaped(
    tmp_path: Path, damaged: str, args: list[str]
) -> None:
    out = run(tmp_path, *args).stdout.decode()
    assert damaged in out
    assert "Sun\\\\xff\\x1b[31mset\\\\xc3" in out  # the backslash of \xff doubled, as any is


def test_show_shows_both_damaged_fields_escaped(tmp_path: Path, damaged: str) -> None:
    out = run(tmp_path, "show", damaged).stdout.decode()
    assert "Sun\\\\xff\\x1b[31mset\\\\xc3" in out
    assert "caf\\\\xe9 (latin-1)" in out


@pytest.mark.parametrize("command", [["list", "--json"], ["show", "--json"]])
def test_json_carries_the_damage_as_valid_escaped_text(
    tmp_path: Path, damaged: str, command: list[str]
) -> None:
    args = [*command, damaged] if command[0] == "show" else command
    record = json.loads(run(tmp_path, *args).stdout)
    record = record[0] if isinstance(record, list) else record
    assert record["title"] == TITLE_AS_READ
    assert record["description"] == DESCRIPTION_AS_READ


@pytest.mark.parametrize("args", [["streams"], ["streams", "--json"], ["stats"]])
def test_a_damaged_stream_title_is_shown_escaped(
    tmp_path: Path, damaged: str, args: list[str]
) -> None:
    out = run(tmp_path, *args).stdout.decode()
    if args == ["streams"]:
        assert "live \\\\xfe\\x07" in out
    elif args == ["streams", "--json"]:
        assert json.loads(out)[0]["title"] == "live \\xfe\x07"


def test_the_library_reads_damaged_text_and_can_repair_it(tmp_path: Path, damaged: str) -> None:
    with StreamImageManager(settings_for(tmp_path)) as manager:
        [image] = manager.images(Viewer(Role.VIEWER), "s1")
        assert (image.title, image.description) == (TITLE_AS_READ, DESCRIPTION_AS_READ)
        assert [i.id for i in manager.images(OWNER, "s1", "sunset")] == [damaged]
        repaired = manager.update_image(OWNER, damaged, title=image.title)  # as the window saves
        assert repaired.title == TITLE_AS_READ
    with sqlite3.connect(tmp_path / "lib" / "library.sqlite3") as db:
        assert db.execute("SELECT title FROM images").fetchone() == (TITLE_AS_READ,)
    db.close()
