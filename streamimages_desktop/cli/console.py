"""Where the command line speaks: results to stdout, one escaped `streamimages: ...` to stderr."""

from __future__ import annotations

import sys

from streamimages_desktop.cli.format import escape

PROG = "streamimages"


def out(text: str) -> None:
    print(text, flush=True)


def error(message: str) -> None:
    """One line on stderr; what it quotes cannot break the line or drive the terminal."""
    print(f"{PROG}: {escape(message)}", file=sys.stderr, flush=True)
