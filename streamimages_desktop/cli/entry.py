"""`streamimages` itself: read the settings, hand the command to its group, turn errors into
one line and an exit status."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence

from PIL import Image

from streamimages_desktop.cli import cache, cache_sim, check, export, gui, library, obs
from streamimages_desktop.cli.console import error, show_warnings_as_lines
from streamimages_desktop.cli.parser import DASH_HINT, build_parser
from streamimages_desktop.core.errors import StreamImagesError
from streamimages_desktop.core.settings import Settings, SettingsError

_GROUPS: dict[str | None, Callable[[argparse.Namespace, Settings], int]] = {
    None: gui.run,  # `streamimages` alone means `gui`
    "gui": gui.run,
    "cache": cache.run,
    "cache-sim": cache_sim.run,
    "check": check.run,
    "export": export.run,
    **dict.fromkeys(obs.COMMANDS, obs.run),
    **dict.fromkeys(library.COMMANDS, library.run),
}


def quiet_pillow_warnings() -> None:
    """Pillow warns (UserWarning) about damage it works around, such as broken EXIF; the import
    already decides what such a file is worth, so a Python warning line would only alarm.

    Its decompression-bomb warning becomes an error, as the import rules demand. Installed once
    at start-up, before any worker thread exists (the filter list is process-wide).
    """
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL(\.|$)")
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 refused or failed, 2 usage, 130 ^C)."""
    quiet_pillow_warnings()
    show_warnings_as_lines()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # what parse_args() does, plus the hint for import's dashed paths
            hint = DASH_HINT if args.command == "import" else ""
            parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
        if args.command == "set" and (args.title, args.description, args.visibility) == (None,) * 3:
            args.usage_error("nothing to change: give --visibility, --title or --description")
        settings = Settings.load(library=args.library, cache_dir=args.cache_dir)
        return _GROUPS[args.command](args, settings)
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
