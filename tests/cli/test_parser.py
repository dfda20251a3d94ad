"""The grammar: a usage error exits 2 with one escaped line and opens nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamimages_desktop.cli import entry as cli
from tests.cli.shell import assert_clean_error, run


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["import", "a.png"],
        ["import", "--stream", "Not A Slug!", "a.png"],
        ["import", "--stream", "s1"],
        ["list", "--as", "admin"],
        ["list", "--sort", "random"],
        ["show"],
        ["set", "abc"],
        ["import", "--stream", "s1", "--visibility", "secret", "a.png"],
        ["import", "--stream", "s1", "--"],
        ["--library", "", "streams"],  # would otherwise make a library in the working folder
        ["--cache-dir", " ", "streams"],
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--library", str(tmp_path / "lib"), *argv])
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing was opened or created, here or there


def test_usage_error_from_the_real_command(tmp_path: Path) -> None:
    proc = run(tmp_path, "import", "--stream", "../etc", "x.png")
    assert "invalid stream id" in assert_clean_error(proc, 2)


def test_usage_errors_escape_what_was_typed(tmp_path: Path) -> None:
    evil = "\x1b[31mred\nsecond line"
    for argv in (["list", evil], ["list", "--as", evil], ["import", "--stream", evil, "a.png"]):
        proc = run(tmp_path, *argv)
        err = assert_clean_error(proc, 2)
        assert "\x1b" not in err and "\\x1b[31mred\\nsecond line" in err
        assert err.splitlines()[-1].startswith("streamimages")  # the message is one line
    assert not (tmp_path / "lib").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["cache"],
        ["cache", "wipe"],
        ["cache", "clear", "--page"],
        ["cache-sim", "--images", "0"],
        ["cache-sim", "--limit-mb", "lots"],
        ["cache-sim", "--ttl-hours", "nan"],
        ["cache-sim", "--pattern", "random"],
        ["cache-sim", "--pages", "99"],
        ["cache-sim", "--preset", "world-cup"],
    ],
)
def test_bad_cache_arguments_exit_2_with_usage(tmp_path: Path, args: list[str]) -> None:
    done = run(tmp_path, *args)
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr
