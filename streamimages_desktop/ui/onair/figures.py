"""Cache figures counted from the moment the window went on air.

The memory cache's counters run for the whole session; what they counted while the window
looked as the owner (hits and misses of private thumbnails) is not the audience's to see.
"""

from __future__ import annotations

from dataclasses import fields, replace

from streamimages_desktop.core.cache import CacheStats, PageStats

_RUNNING = tuple(f.name for f in fields(PageStats) if f.name not in ("items", "bytes"))


def page_since(now: PageStats, base: PageStats | None) -> PageStats:
    """`now` with every running counter less what it was at `base` (items and bytes as now)."""
    if base is None:
        return now
    return replace(now, **{name: getattr(now, name) - getattr(base, name) for name in _RUNNING})


def stats_since(now: CacheStats, base: CacheStats | None) -> CacheStats:
    """The whole snapshot counted from `base` (None: as it is)."""
    if base is None:
        return now
    return CacheStats(
        limit_bytes=now.limit_bytes,
        total=page_since(now.total, base.total),
        pages={name: page_since(page, base.pages.get(name)) for name, page in now.pages.items()},
    )
