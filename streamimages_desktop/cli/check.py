"""`streamimages check [--full] [--repair]`: report damage one line each; repair what can be."""

from __future__ import annotations

import argparse

from streamimages_desktop.cli.format import escape
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.units import count_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from typing import Any


def add_parser(subparsers: Any) -> None:
    check = subparsers.add_parser(
        "check",
        help="look for damage in the library (exit 1 if any); --repair undoes what it can",
        description="Runs SQLite's integrity_check, the full-text index's own check, and "
        "compares every row with its original file (sizes; --full also compares SHA-256) and "
        "its cached renditions. Prints one line per problem and a summary; exits 1 if damage "
        "was found. --repair restores the newest good snapshot from <library>/backups when the "
        "database is damaged (the damaged file is kept), rebuilds the full-text index and makes "
        "missing thumbnails. Close other StreamImages programs before --repair.",
    )
    check.add_argument("--full", action="store_true", help="also hash every original (slow)")
    check.add_argument("--repair", action="store_true", help="repair what can be repaired")


def _out(line: str) -> None:
    print(escape(line), flush=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """0 when the library is (or, with --repair, ends) free of damage; 1 otherwise."""
    # Here, not at the top: the parser imports this module for add_parser, and `--help` must
    # not load the library code (nor Pillow through it).
    from streamimages_desktop.core.manager import StreamImageManager

    steps, report, swept = StreamImageManager.check_library(
        settings, full=args.full, repair=args.repair
    )
    for step in steps:
        _out(f"repair: {step}")
    if swept is not None and swept.skipped:
        _out("orphans: another program is tidying the library; not collected now")
    elif swept is not None and (swept.originals or swept.renditions or swept.temp_files):
        _out(
            f"orphans: removed {count_of(swept.originals, 'unused original')}, "
            f"{count_of(swept.renditions, 'rendition')} of images with no row, "
            f"{count_of(swept.temp_files, 'abandoned temp file')}"
        )
    for finding in report.findings:
        _out(f"{finding.area}: {finding.text}")
    for note in report.notes:
        _out(f"note: {note}")
    _out(report.summary())
    return 1 if report.damaged() else 0
