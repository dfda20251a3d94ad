"""Sizes and counts as people read them, the same in every pane and on the command line.

Bytes use binary units, as the MB settings do (1 MB = 1024 KB = 1048576 bytes), with at most
one decimal and no ".0": "512 B", "1 KB", "30.6 KB", "1.5 MB", "500 MB". One decimal at every
size keeps a limit typed in the window (a box with one decimal) readable the same on the bar.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB
_UNITS = ("KB", "MB", "GB", "TB", "PB")


def number(value: float) -> str:
    """At most one decimal, none when it would be ".0": 500.0 -> "500", 2.25 -> "2.2"."""
    text = f"{value:.1f}"
    return text.removesuffix(".0") if text != "-0.0" else "0"


def format_bytes(size: int) -> str:
    """A byte count in the largest binary unit that keeps the number below 1024."""
    if size < 0:
        return "-" + format_bytes(-size)
    if size < KIB:
        return f"{size} B"
    value = float(size)
    for unit in _UNITS:
        value /= KIB
        text = number(value)
        if float(text) < KIB or unit == _UNITS[-1]:  # 1023.96 KB rounds up: say "1 MB"
            return f"{text} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun in the right number: "1 image", "3 images", never "3 image(s)".

    `plural` when it is not noun + "s" ("1 entry", "2 entries").
    """
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
