"""`streamimages` itself: read the settings, hand the command to its group, turn errors into
one line and an exit status."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence

from streamimages_desktop.cli.console import error, show_warnings_as_lines
from streamimages_desktop.cli.parser import (
    CURATION_COMMANDS,
    DASH_HINT,
    LIBRARY_COMMANDS,
    OBS_COMMANDS,
    build_parser,
)
from streamimages_desktop.core.errors import StreamImagesError
from streamimages_desktop.core.settings import Settings, SettingsError

# Each command's module (under streamimages_desktop.cli), imported only when that command runs:
# `--help`, a usage error or `cache-sim` never load Pillow, the library code or Qt.
_GROUPS: dict[str | None, str] = {
    None: "gui",  # `streamimages` alone means `gui`
    "gui": "gui",
    "cache": "cache",
    "cache-sim": "cache_sim",
    "check": "check",
    **dict.fromkeys(LIBRARY_COMMANDS, "library"),
    **dict.fromkeys(CURATION_COMMANDS, "curation"),
    "export": "export",
    **dict.fromkeys(OBS_COMMANDS, "obs"),
    "team": "team",
}
_NO_PILLOW = frozenset({"cache_sim"})


def group_run(command: str | None) -> Callable[[argparse.Namespace, Settings], int]:
    """The `run` of the module that handles `command`, imported now."""
    module = importlib.import_module(f"streamimages_desktop.cli.{_GROUPS[command]}")
    run: Callable[[argparse.Namespace, Settings], int] = module.run
    return run


def quiet_pillow_warnings() -> None:
    """Pillow warns (UserWarning) about damage it works around, such as broken EXIF; the import
    already decides what such a file is worth, so a Python warning line would only alarm.

    Its decompression-bomb warning becomes an error, as the import rules demand. Installed once,
    after parsing and before the command runs (and before any worker thread exists: the filter
    list is process-wide). It does not import Pillow (a `list` never loads it, issue 14): the
    bomb warning is matched as what it is, a RuntimeWarning raised from Pillow's modules.
    """
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL(\.|$)")
    warnings.filterwarnings("error", category=RuntimeWarning, module=r"PIL(\.|$)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 refused or failed, 2 usage, 130 ^C)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(words, lazy=True)  # the command's own parser, if plainly named
        args, extra = parser.parse_known_args(words)
        if extra:  # what parse_args() does, plus the hint for import's dashed paths
            hint = DASH_HINT if args.command == "import" else ""
            parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
        if args.command == "set" and (args.title, args.description, args.visibility) == (None,) * 3:
            args.usage_error("nothing to change: give --visibility, --title or --description")
        show_warnings_as_lines()  # after parsing: `--help` and usage errors need no logging
        settings = Settings.load(
            library=args.library, cache_dir=args.cache_dir, library_url=args.library_url
        )
        if _GROUPS[args.command] not in _NO_PILLOW:
            quiet_pillow_warnings()
        return group_run(args.command)(args, settings)
    except SettingsError as exc:  # a bad environment or config value names the setting
        error(str(exc))
        return 2
    except StreamImagesError as exc:
        error(str(exc))
        return 1
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
