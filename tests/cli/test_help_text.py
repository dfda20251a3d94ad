"""Every option and every command says what it is for in `--help` (issue 10, item 12)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from streamimages_desktop.cli.parser import build_parser
from tests.cli.shell import run


def _parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_option_and_command_has_help() -> None:
    missing = []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [(*path, c.dest) for c in action._choices_actions if not c.help]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append((*path, action.dest))
    assert missing == []


def test_each_subcommand_help_runs_and_names_the_preset_numbers(tmp_path: Path) -> None:
    for path, _ in _parsers(build_parser()):
        proc = run(tmp_path, *path, "--help")
        assert proc.returncode == 0, (path, proc.stderr)
    text = " ".join(run(tmp_path, "cache-sim", "--help").stdout.split())
    assert "live-event: 200 images of 5 MB each, a 500 MB memory limit, 50 viewers" in text


def test_a_zero_stream_limit_names_the_range(tmp_path: Path) -> None:
    proc = run(tmp_path, "streams", env={"MAX_STREAM_IMAGES_PER_STREAM": "0"})
    assert proc.returncode != 0
    assert "from 1 to 1000000" in proc.stderr
