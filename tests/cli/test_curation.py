"""delete, trash, restore, empty-trash, move, copy and stream: the contract lines, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamimages_desktop.cli import entry as cli
from tests.images import write_image


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(
        ["--library", str(tmp_path / "lib"), "--cache-dir", str(tmp_path / "cache"), *args]
    )
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stream: str, *seeds: int
) -> list[str]:
    paths = [str(write_image(tmp_path / f"img{s}.png", seed=s)) for s in seeds]
    status, out, _ = run(tmp_path, capsys, "import", "--stream", stream, *paths)
    assert status == 0, out
    return [line.split()[1] for line in out.splitlines()]


def test_delete_trash_restore_and_empty_trash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = imported(tmp_path, capsys, "s1", 0, 1)
    assert run(tmp_path, capsys, "delete", a, b) == (0, f"trashed {a}\ntrashed {b}\n", "")
    for role in ("owner", "subscriber", "viewer"):
        status, out, _ = run(tmp_path, capsys, "list", "--json", "--as", role)
        assert (status, json.loads(out)) == (0, [])
        status, _, err = run(tmp_path, capsys, "show", a, "--json", "--as", role)
        assert (status, err) == (1, f"streamimages: no image {a}\n")
    status, out, _ = run(tmp_path, capsys, "trash", "--json")
    records = json.loads(out)
    assert {r["id"] for r in records} == {a, b}
    assert set(records[0]) == {"id", "stream", "title", "trashed"}
    assert run(tmp_path, capsys, "restore", a, "nope")[:2] == (1, f"restored {a}\n")
    assert run(tmp_path, capsys, "empty-trash", "--older-than", "1")[:2] == (0, "")
    assert run(tmp_path, capsys, "empty-trash")[:2] == (0, f"purged {b}\n")
    status, out, _ = run(tmp_path, capsys, "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [a]


def test_move_copy_and_stream_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = imported(tmp_path, capsys, "s1", 0, 1)
    [twin] = imported(tmp_path, capsys, "s2", 0)
    status, out, _ = run(tmp_path, capsys, "move", a, b, "--to", "s2")
    assert status == 1
    assert out == f"rejected {a}: duplicate of {twin} in stream s2\nmoved {b} s2\n"
    status, out, _ = run(tmp_path, capsys, "copy", a, "--to", "s3")
    assert (status, out) == (1, f"rejected {a}: no stream s3\n")
    assert run(tmp_path, capsys, "stream", "create", "s3", "--title", "Three")[:2] == (
        0,
        "created s3\n",
    )
    status, out, _ = run(tmp_path, capsys, "copy", a, "--to", "s3")
    assert status == 0 and out.startswith(f"copied {a} ") and len(out.split()[2]) == 32
    assert run(tmp_path, capsys, "stream", "rename", "s3", "Third")[:2] == (0, "renamed s3\n")
    status, out, _ = run(tmp_path, capsys, "stream", "delete", "s3")
    assert status == 0 and out.endswith("trashed stream s3\n")
    status, out, _ = run(tmp_path, capsys, "streams", "--json")
    assert [s["id"] for s in json.loads(out)] == ["s1", "s2"]
