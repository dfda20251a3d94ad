"""Where the command line speaks: results to stdout, one escaped `streamimages: ...` to stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from streamimages_desktop.cli.format import escape

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.core.settings import Settings

PROG = "streamimages"


def out(text: str) -> None:
    print(text, flush=True)


def error(message: str) -> None:
    """One line on stderr; what it quotes cannot break the line or drive the terminal."""
    print(f"{PROG}: {escape(message)}", file=sys.stderr, flush=True)


def show_warnings_as_lines() -> None:
    """Route the library's logged warnings (an unusable cache folder, a damaged rendition)
    through one escaped `streamimages: warning: ...` line each on stderr, instead of bare log
    text (once per process). Installed when the library first logs: a command that logs
    nothing never loads `logging` (issue 14)."""
    from streamimages_desktop.core.logs import when_logging_starts

    when_logging_starts(_install_warning_lines)


def _install_warning_lines() -> None:
    import logging

    package_log = logging.getLogger("streamimages_desktop")
    if any(getattr(h, "warning_lines", False) for h in package_log.handlers):
        return

    class WarningLines(logging.Handler):
        warning_lines = True

        def emit(self, record: logging.LogRecord) -> None:
            error(f"warning: {record.getMessage()}")

    package_log.addHandler(WarningLines(logging.WARNING))


@contextmanager
def open_library(settings: Settings, *, housekeeping: bool = True) -> Iterator[StreamImageManager]:
    """The library for one command, its start-up warnings said once on stderr; imported here,
    not at the top, so `--help` and usage errors never load the library code (nor Pillow).
    A command that only reads passes `housekeeping=False`: it leaves no orphans to collect,
    and then touches neither the folder of originals nor the rendition cache."""
    from streamimages_desktop.core.manager import StreamImageManager

    with StreamImageManager(settings, housekeeping_at_start=housekeeping) as manager:
        for warning in manager.startup_warnings:
            error(f"warning: {warning}")
        yield manager
