"""One clear line for the cases that used to be misnamed: link loops, files in the way, `-x.png`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streamimages_desktop.core.paths import in_the_way
from tests.images import write_image

LOOP = "a symbolic link loop is in the way (its links point at each other)"
BROKEN = "a broken symbolic link is in the way (what it points to is missing)"
FILE = "a file is in the way (a folder is needed there)"
DASH_HINT = "put -- before a PATH that starts with '-' (import --stream S -- -x.png)"


def run(
    cwd: Path, *args: str | Path, library: Path | None = None, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streamimages_desktop"]
    command += ["--library", str(library or cwd / "lib")]
    command += ["--cache-dir", str(cache or cwd / "cache")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def one_line(proc: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert proc.returncode == code, proc.stderr
    [line] = proc.stderr.splitlines()
    return line


@pytest.fixture
def loop(tmp_path: Path) -> Path:
    """Two links that point at each other."""
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    return tmp_path / "a"


def test_a_symlink_loop_as_the_library_is_named(tmp_path: Path, loop: Path) -> None:
    line = one_line(run(tmp_path, "list", library=loop))
    assert line == f"streamimages: cannot use the library folder {loop}: {LOOP}"


def test_a_symlink_loop_as_the_cache_is_named_and_costs_only_speed(
    tmp_path: Path, loop: Path
) -> None:
    """An unusable cache folder is a warning (everything works uncached), naming the loop;
    the import makes a thumbnail, so it says so (a `list` makes none and says nothing)."""
    picture = write_image(tmp_path / "in" / "a.png", "PNG", size=(64, 48))
    assert run(tmp_path, "list", cache=loop).stderr == ""
    imported = run(tmp_path, "import", "--stream", "s1", picture, cache=loop)
    assert one_line(imported, code=0).endswith(
        f"cache folder {loop} cannot be used ({LOOP}); "
        "renditions are made from the originals each "
        "time and not stored"
    )
    stats = run(tmp_path, "cache", "stats", cache=loop)
    assert stats.returncode == 0 and f"unusable: {LOOP}" in stats.stdout


def test_a_broken_link_and_a_file_as_the_library_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.symlink_to(tmp_path / "nowhere")
    assert one_line(run(tmp_path, "stats", library=broken)).endswith(f"{broken}: {BROKEN}")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    assert one_line(run(tmp_path, "stats", library=a_file)).endswith(f"{a_file}: {FILE}")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("args", [["cache", "stats"], ["cache", "stats", "--json"]])
def test_a_cache_path_that_is_a_file_is_not_called_not_created_yet(
    tmp_path: Path, args: list[str]
) -> None:
    cache = tmp_path / "cache-file"
    cache.write_text("in the way")
    proc = run(tmp_path, *args, cache=cache)
    assert f"cache folder {cache} cannot be used (a file is in the way" in one_line(proc, code=0)
    assert "not created yet" not in proc.stdout and "unusable" in proc.stdout
    assert cache.read_text() == "in the way"


def test_a_cache_path_below_a_file_is_named_too(tmp_path: Path) -> None:
    (tmp_path / "cache-file").write_text("in the way")
    below = tmp_path / "cache-file" / "cache"
    proc = run(tmp_path, "cache", "clear", "--disk", cache=below)
    assert proc.returncode == 0 and "unusable (a file is in the way" in proc.stdout


def test_a_cache_that_was_never_created_is_still_not_created_yet(tmp_path: Path) -> None:
    proc = run(tmp_path, "cache", "stats", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["disk"]["exists"] is False
    assert not (tmp_path / "cache").exists()


def test_a_dashed_path_alone_is_explained(tmp_path: Path) -> None:
    line = run(tmp_path, "import", "--stream", "s", "-x.png").stderr.splitlines()[-1]
    assert line == (
        "streamimages import: error: the following arguments are required: PATH; " + DASH_HINT
    )
    assert not (tmp_path / "lib").exists()


def test_a_dashed_path_after_others_is_explained(tmp_path: Path) -> None:
    good = write_image(tmp_path / "good.png")
    proc = run(tmp_path, "import", "--stream", "s", good, "-x.png")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        "streamimages: error: unrecognized arguments: -x.png; " + DASH_HINT
    )
    assert not (tmp_path / "lib").exists()  # nothing was imported


def test_other_commands_keep_argparses_own_line(tmp_path: Path) -> None:
    proc = run(tmp_path, "list", "-x")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "streamimages: error: unrecognized arguments: -x"


def test_a_dashed_path_after_double_dash_is_imported(tmp_path: Path) -> None:
    write_image(tmp_path / "-x.png")
    proc = run(tmp_path, "import", "--stream", "s", "--", "-x.png")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("imported ") and proc.stdout.rstrip().endswith(" -x.png")


def test_in_the_way_says_nothing_for_a_folder_or_a_missing_path(tmp_path: Path) -> None:
    assert in_the_way(tmp_path) is None
    assert in_the_way(tmp_path / "missing") is None
    (tmp_path / "link").symlink_to(tmp_path)
    assert in_the_way(tmp_path / "link") is None  # a link to a folder is a folder
