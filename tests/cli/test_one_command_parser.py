"""The parser `streamimages` builds for a plainly named command holds that command only
(issue 14: start-up); it must parse and explain every command exactly as the whole grammar."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from streamimages_desktop.cli import names, parser
from streamimages_desktop.core.models import Role, Sort, Visibility


def _tree(
    node: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, node
    for action in node._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _tree(child, (*path, name))


def _help(root: argparse.ArgumentParser, path: tuple[str, ...]) -> str:
    node = root
    for name in path:
        (sub,) = [a for a in node._actions if isinstance(a, argparse._SubParsersAction)]
        node = sub.choices[name]
    return node.format_help()


def test_the_command_list_is_the_parsers() -> None:
    (sub,) = [
        a for a in parser.build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ]
    assert tuple(sub.choices) == parser.COMMANDS


@pytest.mark.parametrize("command", parser.COMMANDS)
def test_a_one_command_parser_says_what_the_whole_grammar_says(command: str) -> None:
    whole = parser.build_parser()
    one = parser.build_parser(["--library", "lib", command], lazy=True)
    (sub,) = [a for a in one._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(sub.choices) == [command]
    paths = [path for path, _ in _tree(whole) if path[:1] == (command,)]
    assert paths
    for path in paths:
        assert _help(one, path) == _help(whole, path), path
    assert one.format_usage() == whole.format_usage()


def test_the_lazy_whole_grammar_explains_cache_sim_as_the_complete_one() -> None:
    lazy = parser.build_parser(lazy=True)
    assert _help(lazy, ("cache-sim",)) == _help(parser.build_parser(), ("cache-sim",))
    assert lazy.format_help() == parser.build_parser().format_help()


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--library", "x", "--help", "list"]])
def test_the_top_level_help_of_names_only_is_the_whole_grammars(argv: list[str]) -> None:
    assert parser.asks_for_help(argv)
    (sub,) = [
        a
        for a in parser.build_parser(argv, lazy=True)._actions
        if isinstance(a, argparse._SubParsersAction)
    ]
    assert all(not child._actions[1:] for child in sub.choices.values())  # -h alone
    assert parser.build_parser(argv, lazy=True).format_help() == parser.build_parser().format_help()


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["list", "--stream", "s1"], "list"),
        (["--library", "x", "--cache-dir=c", "stats"], "stats"),
        (["--library-url", "postgresql://h/db", "team", "init"], "team"),
        (["--library", "list", "stats"], "stats"),  # "list" is --library's value
        (["--help", "list"], None),
        (["--version"], None),
        (["--lib", "x", "list"], None),  # an abbreviation: argparse decides
        (["frobnicate"], None),
        ([], None),
        (["--", "list"], None),
    ],
)
def test_named_command(argv: list[str], command: str | None) -> None:
    assert parser.named_command(argv) == command
    assert parser.asks_for_help(argv) == (argv[:1] == ["--help"])


def test_the_written_out_choices_are_the_models() -> None:
    assert tuple(r.value for r in Role) == names.ROLES
    assert tuple(v.value for v in Visibility) == names.VISIBILITIES
    assert tuple(s.value for s in Sort) == names.SORTS
