"""What `team push` and `team pull` print while a whole library moves: progress on stderr (a
line kept up to date on a terminal, otherwise one line per LINE_EVERY images, so a log stays
short), then each refused image and the summary through `out`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from streamimages_desktop.cli.console import PROG
from streamimages_desktop.cli.format import escape
from streamimages_desktop.core.library_transfer import TransferProgress, TransferSummary, transfer
from streamimages_desktop.core.units import count_of, format_bytes

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

LINE_EVERY = 100


def progress_line(p: TransferProgress) -> str:
    return (
        f"{p.done:,} of {count_of(p.total, 'image')}"
        f" ({format_bytes(p.bytes_done)} of {format_bytes(p.bytes_total)})"
    )


class ProgressLines:
    """A TransferProgress callback writing to `err`: on a terminal one line redrawn after each
    image; elsewhere a line every LINE_EVERY images and one for the last."""

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._tty = err.isatty()
        self._width = 0
        self._last: TransferProgress | None = None

    def __call__(self, p: TransferProgress) -> None:
        self._last = p
        if self._tty:
            line = progress_line(p)
            self._err.write("\r" + line.ljust(self._width))
            self._width = len(line)
            self._err.flush()
        elif p.done and (p.done % LINE_EVERY == 0 or p.done == p.total):
            self._err.write(progress_line(p) + "\n")
            self._err.flush()

    def finish(self) -> None:
        """End the redrawn line, so what follows starts on its own."""
        if self._tty and self._width:
            self._err.write("\n")
            self._err.flush()


def summary_line(summary: TransferSummary) -> str:
    streams = f" and {count_of(summary.streams_copied, 'stream')}" if summary.streams_copied else ""
    return (
        f"copied {count_of(summary.copied, 'image')}{streams}"
        f" ({format_bytes(summary.bytes_copied)}), {summary.already_there:,} already there,"
        f" {len(summary.refused):,} refused"
    )


def run_transfer_command(
    source: StreamImageManager,
    target: StreamImageManager,
    out: Callable[[str], None],
    *,
    err: TextIO | None = None,
    cancel: Callable[[], bool] | None = None,
) -> int:
    """Copy `source` into `target` (core/library_transfer.py) and say how it went: progress
    on `err` (stderr), each refused image and then the summary through `out` (the command's
    stdout writer, e.g. cli.console.out), and why it stopped early as one `streamimages:` line
    on `err`. Returns the exit status: 0 when every image is in the target, 1 otherwise (a
    rerun copies only what is missing)."""
    err = sys.stderr if err is None else err
    lines = ProgressLines(err)
    try:
        summary = transfer(source, target, progress=lines, cancel=cancel)
    finally:
        lines.finish()
    for r in summary.refused:
        out(
            f"refused {r.image_id} {escape(r.title)} (stream {escape(r.stream_id)}):"
            f" {escape(r.reason)}"
        )
    out(summary_line(summary))
    why = summary.stopped or ("cancelled" if summary.cancelled else None)
    if why is not None:
        err.write(f"{PROG}: {escape(why)}; run it again to copy the rest\n")
        err.flush()
    return 0 if summary.complete else 1
