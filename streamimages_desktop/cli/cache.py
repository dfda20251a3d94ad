"""`streamimages cache stats|clear` and `cache-sim`: the two cache layers from a shell."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any

from streamimages_desktop.cli import workbench
from streamimages_desktop.cli.format import escape, human_bytes, table, to_json
from streamimages_desktop.core.cache import MemoryCache, PageStats
from streamimages_desktop.core.cache_sim import (
    MAX_PAGES,
    MAX_REQUESTS,
    MB,
    PATTERNS,
    PRESETS,
    SimConfig,
    SimResult,
    simulate,
)
from streamimages_desktop.core.disk_cache import INDEX_NAME, DiskCache, DiskCacheStats
from streamimages_desktop.core.settings import Settings

PROG = "streamimages"
MEMORY_NOTE = "each running app keeps its own memory cache; this process has none in use"


def _number(kind: type, low: float, high: float = math.inf) -> Callable[[str], Any]:
    """An argparse type: a finite number in [low, high], else a usage error (exit 2)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not low <= value <= high:
            span = f"from {_shown(low)}" + ("" if high == math.inf else f" to {_shown(high)}")
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r}: expected {what} {span}")
        return value

    return parse


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def add_parsers(subparsers: Any) -> None:
    """Add `cache` (with `stats` and `clear`) and `cache-sim` to the main parser's subcommands."""
    cache = subparsers.add_parser("cache", help="statistics and clearing of the image caches")
    actions = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="memory (this process) and disk cache statistics")
    stats.add_argument("--json", action="store_true", help="print JSON")
    clear = actions.add_parser("clear", help="clear the memory cache of this process, or the disk")
    # Independent options, as the usage line `cache clear [--page P] [--disk]` says: --page
    # narrows the memory part, --disk adds the rendition files (which have no pages).
    clear.add_argument("--page", help="clear only this page of the memory cache")
    clear.add_argument("--disk", action="store_true", help="also delete the rendition files")

    sim = subparsers.add_parser(
        "cache-sim",
        help="simulate viewers against the memory cache",
        description="Drive the real memory cache with a synthetic workload on a simulated clock "
        "and compare its hit ratio with an optimal (Belady) cache of the same size. Exits 1 if "
        "usage ever exceeded the limit.",
    )
    sim.add_argument("--preset", choices=sorted(PRESETS), help="live-event: 200 x 5 MB, 500 MB, 50")
    sim.add_argument("--images", type=_number(int, 1, 10_000_000), help="distinct images")
    sim.add_argument("--image-mb", type=_number(float, 1e-6, 65536), help="size of each image")
    sim.add_argument(
        "--limit-mb",
        type=_number(float, 0, 1 << 20),
        help="memory limit (IMAGE_CACHE_MAX_MEMORY_MB)",
    )
    sim.add_argument(
        "--ttl-hours", type=_number(float, 1e-6, 1e6), help="time to live (IMAGE_CACHE_TTL_HOURS)"
    )
    sim.add_argument("--viewers", type=_number(int, 1, 1_000_000), help="viewers browsing at once")
    sim.add_argument("--requests", type=_number(int, 1, MAX_REQUESTS), help="requests in all")
    sim.add_argument("--pattern", choices=PATTERNS, help="which images viewers ask for")
    sim.add_argument("--pages", type=_number(int, 1, MAX_PAGES), help="cache pages in use")
    sim.add_argument("--seed", type=_number(int, 0, 2**63), help="random seed (reproducible runs)")
    sim.add_argument(
        "--think-seconds",
        type=_number(float, 0, 86400),
        help="simulated seconds between two requests of one viewer",
    )
    sim.add_argument("--json", action="store_true", help="print JSON")
    workbench.add_arguments(sim)  # the workbench's curves: issue 12


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run `cache ...` or `cache-sim`; returns the exit status."""
    try:
        if args.command == "cache-sim" and workbench.wants_workbench(args):
            return workbench.run(args, settings)
        if args.command == "cache-sim":
            return _run_sim(args, settings)
        if args.cache_command == "stats":
            return _run_stats(args, settings)
        return _run_clear(args, settings)
    except BrokenPipeError:  # the caller's handler stops quietly
        raise
    except OSError as exc:  # the cache folder cannot be created or read
        _error(f"{exc.strerror or exc}: {exc.filename or settings.image_cache_dir}")
        return 1


# -- cache stats / clear -----------------------------------------------------------------------


def _memory(settings: Settings) -> MemoryCache[bytes]:
    """This process's memory cache: empty, but with the configured limit and TTL."""
    return MemoryCache(settings.memory_limit_bytes, settings.ttl_seconds, size_of=len)


def _disk(settings: Settings) -> DiskCache | None:
    """The disk cache, or None if it was never created (a stats read does not create it)."""
    if not (settings.image_cache_dir / INDEX_NAME).exists():
        return None
    return DiskCache(settings.image_cache_dir, settings.disk_limit_bytes, settings.ttl_seconds)


def _run_stats(args: argparse.Namespace, settings: Settings) -> int:
    memory = _memory(settings).stats()
    disk = _disk(settings)
    if disk is None:
        disk_stats = DiskCacheStats(0, 0, settings.disk_limit_bytes, 0, 0, 0, 0, 0)
    else:
        with disk:
            disk_stats = disk.stats()
    folder = str(settings.image_cache_dir)
    if args.json:
        record = {
            "memory": {
                "scope": "this process",
                "limit_bytes": memory.limit_bytes,
                "ttl_seconds": settings.ttl_seconds,
                **memory.total.as_dict(),
                "pages": {name: page.as_dict() for name, page in memory.pages.items()},
            },
            "disk": {
                "dir": folder,
                "exists": disk is not None,
                "ttl_seconds": settings.ttl_seconds,
                **disk_stats.as_dict(),
            },
        }
        print(to_json(record), flush=True)
        return 0
    total = memory.total
    lines = [
        f"memory (this process): {total.items} items, {human_bytes(total.bytes)} of "
        f"{human_bytes(memory.limit_bytes)}, TTL {_hours(settings.ttl_seconds)}",
        f"  {MEMORY_NOTE}",
        f"disk ({escape(folder)}): {disk_stats.items} items, {human_bytes(disk_stats.bytes)} of "
        f"{human_bytes(disk_stats.limit_bytes)}, TTL {_hours(settings.ttl_seconds)}"
        + ("" if disk is not None else ", not created yet"),
    ]
    if memory.pages:
        lines += ["", _pages_table(memory.pages)]
    print("\n".join(lines), flush=True)
    return 0


def _run_clear(args: argparse.Namespace, settings: Settings) -> int:
    _memory(settings).clear(args.page)
    scope = "memory cache" if args.page is None else f"memory cache page {escape(args.page)}"
    print(f"{scope}: nothing to clear in this process ({MEMORY_NOTE})", flush=True)
    if args.disk:
        disk = _disk(settings)
        folder = escape(str(settings.image_cache_dir))
        if disk is None:
            print(f"disk cache ({folder}): empty", flush=True)
            return 0
        with disk:
            before = disk.stats()
            disk.clear()
        print(
            f"disk cache ({folder}): removed {before.items} renditions, "
            f"{human_bytes(before.bytes)}",
            flush=True,
        )
    return 0


# -- cache-sim ----------------------------------------------------------------------------------


def sim_config(args: argparse.Namespace, settings: Settings) -> SimConfig:
    """Explicit options win over the preset, which wins over the settings and the defaults."""
    values: dict[str, Any] = {
        "limit_bytes": settings.memory_limit_bytes,
        "ttl_seconds": settings.ttl_seconds,
    }
    if args.preset:
        values.update(PRESETS[args.preset])
    given = {
        "images": args.images,
        "image_bytes": None if args.image_mb is None else max(1, round(args.image_mb * MB)),
        "limit_bytes": None if args.limit_mb is None else round(args.limit_mb * MB),
        "ttl_seconds": None if args.ttl_hours is None else args.ttl_hours * 3600.0,
        "viewers": args.viewers,
        "requests": args.requests,
        "pattern": args.pattern,
        "pages": args.pages,
        "seed": args.seed,
        "think_seconds": args.think_seconds,
    }
    values.update({name: value for name, value in given.items() if value is not None})
    return SimConfig(**values)


def _run_sim(args: argparse.Namespace, settings: Settings) -> int:
    try:
        config = sim_config(args, settings)
    except ValueError as exc:
        _error(f"cache-sim: {exc}")
        return 2
    result = simulate(config)
    print(to_json(result.as_dict()) if args.json else sim_report(result), flush=True)
    if result.limit_exceeded:
        _error(
            f"cache-sim: LIMIT EXCEEDED: memory use reached {result.peak_bytes} bytes, "
            f"above the limit of {result.limit_bytes} bytes"
        )
        return 1
    return 0


def sim_report(result: SimResult) -> str:
    """The human-readable summary of one simulation."""
    c = result.config
    share = result.peak_bytes / result.limit_bytes if result.limit_bytes else 0.0
    rows = [
        (
            "workload",
            f"{c.pattern}, {c.images} images x {human_bytes(c.image_bytes)}, "
            f"{c.pages} pages, {c.viewers} viewers, {result.requests} requests, seed {c.seed}",
        ),
        ("limit", human_bytes(result.limit_bytes)),
        ("peak", f"{human_bytes(result.peak_bytes)} ({share:.1%} of the limit)"),
        (
            "hit ratio",
            f"{result.hit_ratio:.1%} (optimal cache of the same size: "
            f"{result.optimal_hit_ratio:.1%})",
        ),
        ("hits / misses", f"{result.hits} / {result.misses}"),
        ("evictions", str(result.evictions)),
        ("expirations", f"{result.expirations} (TTL {_hours(c.ttl_seconds)})"),
        ("oversize", str(result.oversize)),
        ("get p50 / p99", f"{result.get_p50_us:.2f} / {result.get_p99_us:.2f} us"),
        ("simulated time", _hours(result.simulated_seconds)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    return "\n".join([*lines, "", _pages_table(result.pages)])


def _pages_table(pages: dict[str, PageStats]) -> str:
    """One row per page. `evicted` counts the page's entries pushed out (by anyone's put);
    `caused` counts the entries, of any page, that this page's puts pushed out."""
    headers = ["page", "items", "bytes", "hits", "misses", "hit ratio"]
    headers += ["evicted", "caused", "expired", "oversize"]
    rows = [
        [
            name,
            p.items,
            human_bytes(p.bytes),
            p.hits,
            p.misses,
            f"{p.hit_ratio:.1%}",
            p.evictions,
            p.evictions_caused,
            p.expirations,
            p.oversize,
        ]
        for name, p in sorted(pages.items())
    ]
    return table(headers, rows)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def _error(message: str) -> None:
    print(f"{PROG}: {escape(message)}", file=sys.stderr, flush=True)
