"""Cache sizes as people type them ("10MB,1.5GB,4096") and the automatic log-spaced grid."""

from __future__ import annotations

import math
import re

UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*$")
AUTO_POINTS = 20
MAX_SIZES = 200


def parse_size(text: str) -> int:
    """Bytes from "4096", "10MB" or "1.5 GB" (KB, MB, GB, TB are powers of 1024)."""
    match = _SIZE.match(text)
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in UNITS:
        raise ValueError(f"{text.strip()!r} is not a size (bytes, or a number with KB, MB or GB)")
    return round(float(match.group(1)) * UNITS[unit])


def parse_sizes(text: str) -> list[int] | None:
    """A comma-separated list of sizes, or None for "auto"; sizes must be > 0."""
    if text.strip().lower() == "auto":
        return None
    sizes = [parse_size(part) for part in text.split(",") if part.strip()]
    if not sizes:
        raise ValueError("no sizes given")
    if len(sizes) > MAX_SIZES:
        raise ValueError(f"at most {MAX_SIZES} sizes")
    if any(size <= 0 for size in sizes):
        raise ValueError("sizes must be larger than 0 bytes")
    return sizes


def parse_range(text: str) -> tuple[int, int]:
    """ "MIN..MAX" in the units of parse_size; MIN <= MAX, both > 0."""
    low_text, sep, high_text = text.partition("..")
    if not sep:
        raise ValueError(f"{text!r} is not a range MIN..MAX")
    low, high = parse_size(low_text), parse_size(high_text)
    if not 0 < low <= high:
        raise ValueError(f"{text!r}: expected 0 < MIN <= MAX")
    return low, high


def auto_sizes(largest_object: int, footprint: int, points: int = AUTO_POINTS) -> list[int]:
    """`points` log-spaced sizes from one largest object to the whole footprint (distinct)."""
    low = max(1, largest_object)
    high = max(low, footprint)
    if points <= 1 or low == high:
        return [high]
    ratio = math.log(high / low) / (points - 1)
    grid = sorted({round(low * math.exp(ratio * i)) for i in range(points)})
    return grid


def human_size(size: int) -> str:
    """The shortest exact-ish label: 512 B, 10 MB, 1.5 GB."""
    for unit in ("TB", "GB", "MB", "KB"):
        scale = UNITS[unit]
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"
