"""`streamimages cache stats|clear`: the library's rendition cache on disk, through the manager.

The memory cache holds pixmaps inside a running window; this process draws nothing, so it has
none. Its figures and clears belong to that window's Cache pane, and the output says so.
"""

from __future__ import annotations

import argparse

from streamimages_desktop.cli.console import error, out
from streamimages_desktop.cli.format import escape, hours, to_json
from streamimages_desktop.core.manager import DiskCacheStats, StreamImageManager
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.units import count_of, format_bytes

MEMORY_NOTE = (
    "memory-cache figures belong to a running window (its Cache pane); this command has none"
)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run `cache stats` or `cache clear`; returns the exit status."""
    try:
        if args.cache_command == "stats":
            return _stats(args, settings)
        return _clear(args, settings)
    except BrokenPipeError:  # the caller's handler stops quietly
        raise
    except OSError as exc:  # the cache folder cannot be created or read
        error(f"{exc.strerror or exc}: {exc.filename or settings.image_cache_dir}")
        return 1


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    stored = StreamImageManager.stored_disk_cache_stats(settings)
    unusable = StreamImageManager.disk_cache_unusable(settings)
    disk = stored or DiskCacheStats(0, 0, settings.disk_limit_bytes, 0, 0, 0, 0, 0)
    folder = str(settings.image_cache_dir)
    if args.json:
        record = {
            "memory": {
                "scope": "each running window",
                "note": MEMORY_NOTE,
                "limit_bytes": settings.memory_limit_bytes,
                "ttl_seconds": settings.ttl_seconds,
            },
            "disk": {
                "dir": folder,
                "exists": stored is not None,
                "unusable": unusable,
                "ttl_seconds": settings.ttl_seconds,
                **disk.as_dict(),
            },
        }
        out(to_json(record))
        return 0
    ttl = hours(settings.ttl_seconds)
    out(
        "\n".join(
            [
                f"disk ({escape(folder)}): {count_of(disk.items, 'item')}, "
                f"{format_bytes(disk.bytes)} of "
                f"{format_bytes(disk.limit_bytes)}, TTL {ttl}"
                + _disk_state(stored is not None, unusable),
                f"memory: limit {format_bytes(settings.memory_limit_bytes)}, TTL {ttl}",
                f"  {MEMORY_NOTE}",
            ]
        )
    )
    return 0


def _disk_state(exists: bool, unusable: str | None) -> str:
    if unusable is not None:
        return f", unusable: {escape(unusable)}"
    return "" if exists else ", not created yet"


def _clear(args: argparse.Namespace, settings: Settings) -> int:
    scope = "memory cache" if args.page is None else f"memory cache page {escape(args.page)}"
    out(f"{scope}: nothing cleared here ({MEMORY_NOTE})")
    if not args.disk:
        return 0
    folder = escape(str(settings.image_cache_dir))
    unusable = StreamImageManager.disk_cache_unusable(settings)
    if unusable is not None:
        out(f"disk cache ({folder}): unusable ({escape(unusable)}), nothing to clear")
        return 0
    if StreamImageManager.stored_disk_cache_stats(settings) is None:
        out(f"disk cache ({folder}): empty")
        return 0
    with StreamImageManager(settings) as manager:
        removed = manager.clear_disk_cache()
    out(
        f"disk cache ({folder}): removed {count_of(removed.items, 'rendition')}, "
        f"{format_bytes(removed.bytes)}"
    )
    return 0
