"""The grammar of `streamimages`: every command and option, and the argparse types they share.

Building it imports no domain code (issue 14): the choices are written out in cli/names.py,
and cache-sim's options, which need the simulator's presets and the workbench's policies,
are added only when cache-sim is parsed or its help printed.
"""

from __future__ import annotations

import argparse
import importlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from streamimages_desktop import __version__
from streamimages_desktop.cli import names
from streamimages_desktop.cli.console import PROG
from streamimages_desktop.cli.format import printable
from streamimages_desktop.core.settings import settings_help_text
from streamimages_desktop.core.units import format_bytes

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from typing import Any, NoReturn

# The commands cli/library.py runs (its COMMANDS; a test keeps the two equal), named here so
# the dispatch needs no import of the library code before a command runs.
LIBRARY_COMMANDS = ("import", "list", "show", "set", "streams", "stats")
CURATION_COMMANDS = ("delete", "trash", "restore", "empty-trash", "move", "copy", "stream")
OBS_COMMANDS = ("on-stream", "slideshow")
# Every command, in the order `--help` lists them (a test keeps this equal to the parser's).
COMMANDS: tuple[str, ...] = ("gui", *LIBRARY_COMMANDS, *CURATION_COMMANDS, "cache", "cache-sim")
COMMANDS += ("check", "export", *OBS_COMMANDS, "team")
ROLES = list(names.ROLES)
VISIBILITIES = list(names.VISIBILITIES)
SORTS = list(names.SORTS)


def stream_id(text: str) -> str:
    from streamimages_desktop.core.models import InvalidStreamId, validate_stream_id

    try:
        return validate_stream_id(text)
    except InvalidStreamId as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def folder(text: str) -> Path:
    """A folder option; an empty one is refused, as Path("") would quietly mean "here"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty one")
    return Path(text)


def number(kind: type, low: float, high: float = math.inf) -> Callable[[str], Any]:
    """An argparse type: a finite number in [low, high], else a usage error (exit 2)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not low <= value <= high:
            span = f"from {_shown(low)}" + ("" if high == math.inf else f" to {_shown(high)}")
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r}: expected {what} {span}")
        return value

    return parse


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _add_role(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_role",
        choices=ROLES,
        default="owner",
        help="see the library as this role (default: owner)",
    )


# argparse reads `-x.png` as an option; README's usage line has the `--` that fixes it.
DASH_HINT = "; put -- before a PATH that starts with '-' (import --stream S -- -x.png)"


class _Parser(argparse.ArgumentParser):
    """argparse whose error line escapes what was typed: an argument holding a newline or a
    terminal escape sequence stays one printable line (subcommand parsers inherit this).

    A parser may get its arguments later (`fill_later`): they are added the first time it
    parses or formats its usage or help, so what it says is the same either way."""

    _fill: Callable[[argparse.ArgumentParser], None] | None = None

    def error(self, message: str) -> NoReturn:
        if self.prog == f"{PROG} import" and "PATH" in message:
            message += DASH_HINT
        super().error(printable(message))

    def fill_later(self, fill: Callable[[argparse.ArgumentParser], None]) -> None:
        self._fill = fill

    def filled(self) -> _Parser:
        """This parser with every argument added (now, if they were left for later)."""
        fill, self._fill = self._fill, None
        if fill is not None:
            fill(self)
        return self

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        return super(_Parser, self.filled()).parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        return super(_Parser, self.filled()).format_usage()

    def format_help(self) -> str:
        return super(_Parser, self.filled()).format_help()


TOP_VALUE_OPTIONS = ("--library", "--library-url", "--cache-dir")  # build_parser's, with a value


def _first_word(argv: Sequence[str]) -> str | None:
    """The first argument after the whole top-level options with values (--library DIR)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in TOP_VALUE_OPTIONS:
            i += 2
        elif arg.partition("=")[0] in TOP_VALUE_OPTIONS:
            i += 1
        else:
            return arg
    return None


def named_command(argv: Sequence[str]) -> str | None:
    """The command `argv` runs when that is plain: only whole top-level options with their
    values before it. Anything else (--help, --version, an abbreviated option, no command, a
    misspelt one) is None, and the whole grammar reads it."""
    word = _first_word(argv)
    return word if word in COMMANDS else None


def asks_for_help(argv: Sequence[str]) -> bool:
    """True when argparse will print the top-level help before reading any command."""
    return _first_word(argv) in ("-h", "--help")


class _Skipped:
    """What a command left out of a one-command parser gets instead of its parser: it takes
    every call its grammar makes (add_argument, add_subparsers, set_defaults...) and keeps none."""

    def __getattr__(self, name: str) -> _Skipped:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Skipped:
        return self


class _NamesOnly:
    """The subparsers action of the top-level help: it lists each command with its one line
    and needs none of their options."""

    def __init__(self, sub: Any) -> None:
        self._sub = sub

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        self._sub.add_parser(name, **kwargs)
        return _Skipped()


class _OnlyOne:
    """The subparsers action of a one-command parser: each group adds its commands as usual,
    and only `command` becomes a real parser (argparse costs ~0.3 ms a parser)."""

    def __init__(self, sub: Any, command: str) -> None:
        self._sub, self._command = sub, command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self._sub.add_parser(name, **kwargs) if name == self._command else _Skipped()


def build_parser(
    argv: Sequence[str] | None = None, *, lazy: bool = False
) -> argparse.ArgumentParser:
    """The grammar for `argv`: when it plainly names a command (named_command), the top level
    and that command only, which parse and explain it exactly as the whole grammar would (the
    top-level usage line names no command); for the top-level --help (asks_for_help) the
    commands without their options; otherwise, or with no argv, all of it.

    With `lazy` (what `streamimages` runs) cache-sim's options wait until cache-sim is parsed
    or its help printed; without it every parser is complete at once (for code that walks it).
    """
    command = None if argv is None else named_command(argv)
    parser = _Parser(
        prog=PROG,
        description="Curate, protect and browse the images of your live streams.",
        # The settings table is shown by the top-level --help only, which names no command.
        epilog=settings_help_text() if command is None else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keeps the epilog's lines
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--library", type=folder, help="library folder (STREAM_IMAGES_DIR)")
    parser.add_argument(
        "--library-url",
        metavar="URL",
        help="open the team library at this postgresql:// URL (STREAM_IMAGES_DATABASE_URL)",
    )
    parser.add_argument("--cache-dir", type=folder, help="rendition cache folder (IMAGE_CACHE_DIR)")
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command is not None:
        sub = _OnlyOne(sub, command)
    elif argv is not None and asks_for_help(argv):
        sub = _NamesOnly(sub)
    for commands, add in _GROUPS:
        if command is None or command in commands:
            add(sub, lazy)
    return parser


def _module(name: str) -> Any:
    """A command group's module under cli/, imported when its grammar is wanted."""
    return importlib.import_module(f"streamimages_desktop.cli.{name}")


# Who adds which commands, in `--help` order; a one-command parser calls only its group.
_GROUPS: tuple[tuple[tuple[str, ...], Callable[[Any, bool], None]], ...] = (
    (("gui",), lambda sub, lazy: _add_gui(sub)),
    (LIBRARY_COMMANDS, lambda sub, lazy: _add_library(sub)),
    (
        CURATION_COMMANDS,
        lambda sub, lazy: _module("curation").add_parsers(sub, stream_id, number(float, 0)),
    ),
    (("cache",), lambda sub, lazy: _add_cache(sub)),
    (("cache-sim",), lambda sub, lazy: _add_cache_sim(sub, lazy)),
    (("check",), lambda sub, lazy: _module("check").add_parser(sub)),
    (("export",), lambda sub, lazy: _module("export").add_parser(sub)),
    (OBS_COMMANDS, lambda sub, lazy: _module("obs").add_parsers(sub)),
    (("team",), lambda sub, lazy: _module("team").add_parser(sub)),
)


def _add_gui(sub: Any) -> None:
    gui = sub.add_parser("gui", help="start the desktop application (the default)")
    gui.add_argument("--stream", type=stream_id, help="open this stream")
    gui.add_argument("--role", choices=ROLES, help="start as this role")
    gui.add_argument("--screenshot", type=Path, metavar="FILE", help="save a screenshot and quit")


def _add_library(sub: Any) -> None:
    imp = sub.add_parser("import", help="import image files or folders into a stream")
    imp.add_argument("--stream", required=True, type=stream_id, help="the stream to import into")
    imp.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="public",
        help="who may see the imported images (default: public)",
    )
    imp.add_argument("--title", help="title of every imported image (default: the file name)")
    imp.add_argument("--description", default="", help="description of every imported image")
    imp.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="image files or folders to import"
    )

    lst = sub.add_parser("list", help="list the images a role may see")
    lst.add_argument("--stream", type=stream_id, help="only this stream")
    _add_role(lst)
    lst.add_argument("--search", help="full-text search in titles, descriptions and file names")
    lst.add_argument("--sort", choices=SORTS, default="newest", help="order (default: newest)")
    lst.add_argument("--json", action="store_true", help="print a JSON array")

    show = sub.add_parser("show", help="show one image (counts a view for subscriber/viewer)")
    show.add_argument("id", help="the image id (as `list` prints it)")
    _add_role(show)
    show.add_argument("--json", action="store_true", help="print a JSON object")

    upd = sub.add_parser("set", help="change an image's visibility, title or description")
    upd.add_argument("id", help="the image id (as `list` prints it)")
    upd.add_argument("--visibility", choices=VISIBILITIES, help="who may see the image")
    upd.add_argument("--title", help="the new title")
    upd.add_argument("--description", help="the new description")
    upd.set_defaults(usage_error=upd.error)

    streams = sub.add_parser("streams", help="list streams")
    streams.add_argument("--json", action="store_true", help="print a JSON array")

    stats = sub.add_parser("stats", help="totals a role may see")
    stats.add_argument("--stream", type=stream_id, help="only this stream")
    _add_role(stats)
    stats.add_argument("--json", action="store_true", help="print a JSON object")


def _add_cache(sub: Any) -> None:
    cache = sub.add_parser("cache", help="statistics and clearing of the rendition cache")
    actions = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    stats = actions.add_parser(
        "stats", help="disk cache statistics (memory caches belong to each running window)"
    )
    stats.add_argument("--json", action="store_true", help="print JSON")
    clear = actions.add_parser("clear", help="clear the disk cache (--disk)")
    # Independent options, as the usage line `cache clear [--page P] [--disk]` says: --page
    # names a memory page (held by a running window), --disk deletes the rendition files.
    clear.add_argument(
        "--page", help="a memory cache page: only a running window holds one (its Cache pane)"
    )
    clear.add_argument("--disk", action="store_true", help="delete the rendition files")


def _preset_help(presets: dict[str, dict[str, Any]]) -> str:
    """What each number of each preset is, read from the presets themselves."""
    return "; ".join(
        f"{name}: {p['images']} images of {format_bytes(p['image_bytes'])} each, a "
        f"{format_bytes(p['limit_bytes'])} memory limit, {p['viewers']} viewers"
        for name, p in sorted(presets.items())
    )


def _add_cache_sim(sub: Any, lazy: bool) -> None:
    sim = sub.add_parser(
        "cache-sim",
        help="simulate viewers against the memory cache",
        description="Drive the real memory cache with a synthetic workload on a simulated clock "
        "and compare its hit ratio with an optimal (Belady) cache of the same size. Exits 1 if "
        "usage ever exceeded the limit.",
    )
    if lazy or isinstance(sim, _Skipped):
        sim.fill_later(_cache_sim_arguments)
    else:
        _cache_sim_arguments(sim)


def _cache_sim_arguments(sim: argparse.ArgumentParser) -> None:
    """cache-sim's options: they need the simulator and the workbench, so only cache-sim (or
    its help) imports them."""
    from streamimages_desktop.cli import workbench
    from streamimages_desktop.core.cache_sim import MAX_PAGES, MAX_REQUESTS, PATTERNS, PRESETS

    sim.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help=_preset_help(PRESETS),
    )
    sim.add_argument("--images", type=number(int, 1, 10_000_000), help="distinct images")
    sim.add_argument("--image-mb", type=number(float, 1e-6, 65536), help="size of each image")
    sim.add_argument(
        "--limit-mb",
        type=number(float, 0, 1 << 20),
        help="memory limit (IMAGE_CACHE_MAX_MEMORY_MB)",
    )
    sim.add_argument(
        "--ttl-hours", type=number(float, 1e-6, 1e6), help="time to live (IMAGE_CACHE_TTL_HOURS)"
    )
    sim.add_argument("--viewers", type=number(int, 1, 1_000_000), help="viewers browsing at once")
    sim.add_argument("--requests", type=number(int, 1, MAX_REQUESTS), help="requests in all")
    sim.add_argument("--pattern", choices=PATTERNS, help="which images viewers ask for")
    sim.add_argument("--pages", type=number(int, 1, MAX_PAGES), help="cache pages in use")
    sim.add_argument("--seed", type=number(int, 0, 2**63), help="random seed (reproducible runs)")
    sim.add_argument(
        "--think-seconds",
        type=number(float, 0, 86400),
        help="simulated seconds between two requests of one viewer",
    )
    sim.add_argument("--json", action="store_true", help="print JSON")
    workbench.add_arguments(sim)  # miss-ratio curves of many policies (issue 12)
