"""`streamimages cache-sim`: drive the real memory cache with a synthetic workload."""

from __future__ import annotations

import argparse
from typing import Any

from streamimages_desktop.cli import workbench
from streamimages_desktop.cli.console import error, out
from streamimages_desktop.cli.format import hours, table, to_json
from streamimages_desktop.core.cache import PageStats
from streamimages_desktop.core.cache_sim import MB, PRESETS, SimConfig, SimResult, simulate
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.units import count_of, format_bytes


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


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Simulate; exit 2 for a configuration the simulator refuses, 1 if the limit was broken."""
    if workbench.wants_workbench(args):
        return workbench.run(args, settings)
    try:
        config = sim_config(args, settings)
    except ValueError as exc:
        error(f"cache-sim: {exc}")
        return 2
    result = simulate(config)
    out(to_json(result.as_dict()) if args.json else sim_report(result))
    if result.limit_exceeded:
        error(
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
            f"{c.pattern}, {count_of(c.images, 'image')} x {format_bytes(c.image_bytes)}, "
            f"{count_of(c.pages, 'page')}, {count_of(c.viewers, 'viewer')}, "
            f"{count_of(result.requests, 'request')}, seed {c.seed}",
        ),
        ("limit", format_bytes(result.limit_bytes)),
        ("peak", f"{format_bytes(result.peak_bytes)} ({share:.1%} of the limit)"),
        (
            "hit ratio",
            f"{result.hit_ratio:.1%} (optimal cache of the same size: "
            f"{result.optimal_hit_ratio:.1%})",
        ),
        ("hits / misses", f"{result.hits} / {result.misses}"),
        ("evictions", str(result.evictions)),
        ("expirations", f"{result.expirations} (TTL {hours(c.ttl_seconds)})"),
        ("oversize", str(result.oversize)),
        ("get p50 / p99", f"{result.get_p50_us:.2f} / {result.get_p99_us:.2f} us"),
        ("simulated time", hours(result.simulated_seconds)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    return "\n".join([*lines, "", pages_table(result.pages)])


def pages_table(pages: dict[str, PageStats]) -> str:
    """One row per page. `evicted` counts the page's entries pushed out (by anyone's put);
    `caused` counts the entries, of any page, that this page's puts pushed out."""
    headers = ["page", "items", "bytes", "hits", "misses", "hit ratio"]
    headers += ["evicted", "caused", "expired", "oversize"]
    rows = [
        [
            name,
            p.items,
            format_bytes(p.bytes),
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
