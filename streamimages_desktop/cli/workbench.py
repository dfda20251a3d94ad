"""`streamimages cache-sim` with the workbench options: miss-ratio curves for many policies.

`add_arguments` adds the options to the existing cache-sim parser; `wants_workbench` tells
whether any was given (if none, cache-sim keeps its old single-size behaviour); `run` runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamimages_desktop.cli.format import escape, table, to_json
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.workbench.policies import POLICIES
from streamimages_desktop.core.workbench.sizes import (
    auto_sizes,
    human_size,
    parse_range,
    parse_size,
    parse_sizes,
)
from streamimages_desktop.core.workbench.trace import Trace, TraceError, read_csv, write_csv
from streamimages_desktop.core.workbench.workloads import Workload, generate, parse_workload

PROG = "streamimages"
OPTIONS: tuple[str, ...] = ("trace", "workload", "objects", "object_size", "size_range")
OPTIONS += ("policy", "sizes", "record_trace")
DEFAULT_POLICIES = "seed,lru"
DEFAULT_WORKLOAD = "zipf:1"


def _typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from a parser that raises ValueError (a usage error, exit 2)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def _policies(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in POLICIES]
    if unknown or not names:
        raise ValueError(f"unknown policy {','.join(unknown)!r}; choose from {','.join(POLICIES)}")
    return list(dict.fromkeys(names))


def _objects(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 10_000_000:
        raise ValueError(f"{text!r}: expected a whole number from 1 to 10000000")
    return value


def _positive_size(text: str) -> int:
    size = parse_size(text)
    if size < 1:
        raise ValueError(f"{text!r}: a size of at least 1 byte")
    return size


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The workbench options of cache-sim (it already has --requests, --seed, --ttl-hours)."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--trace", type=Path, metavar="FILE", help="a time,key,size CSV trace")
    source.add_argument(
        "--workload",
        type=_typed(parse_workload),
        metavar="zipf:ALPHA|uniform|scan|live-event|mix",
        help=f"a synthetic trace (default {DEFAULT_WORKLOAD})",
    )
    parser.add_argument("--objects", type=_typed(_objects), metavar="N", help="distinct objects")
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--object-size", type=_typed(_positive_size), metavar="BYTES", help="every object's size"
    )
    size.add_argument(
        "--size-range",
        type=_typed(parse_range),
        metavar="MIN..MAX",
        help="object sizes drawn uniformly from MIN to MAX",
    )
    parser.add_argument(
        "--policy",
        type=_typed(_policies),
        metavar=",".join(POLICIES),
        help=f"policies to compare (default {DEFAULT_POLICIES}); Belady's bound is always added",
    )
    parser.add_argument(
        "--sizes",
        type=_typed(lambda text: parse_sizes(text) or "auto"),
        metavar="10MB,50MB,...|auto",
        help="cache sizes (bytes, or KB/MB/GB as powers of 1024); auto: 20 log-spaced sizes",
    )
    parser.add_argument(
        "--record-trace", type=Path, metavar="FILE", help="also write the trace used as CSV"
    )


def wants_workbench(args: argparse.Namespace) -> bool:
    """True when any workbench option was given."""
    return any(getattr(args, name, None) is not None for name in OPTIONS)


OLD_ONLY: tuple[str, ...] = ("preset", "images", "image_mb", "limit_mb", "viewers", "pattern")
OLD_ONLY += ("pages", "think_seconds")


def _trace(args: argparse.Namespace) -> Trace:
    for name in OLD_ONLY:
        if getattr(args, name, None) is not None:
            option = "--" + name.replace("_", "-")
            raise ValueError(
                f"{option} is for the single-size simulation; with the workbench "
                "options use --workload, --objects, --object-size and --sizes"
            )
    if args.trace is not None:
        for name in ("objects", "object_size", "size_range"):
            if getattr(args, name) is not None:
                option = "--" + name.replace("_", "-")
                raise ValueError(f"{option} describes a synthetic workload, not --trace")
        return read_csv(args.trace)
    kind, alpha = args.workload or parse_workload(DEFAULT_WORKLOAD)
    if kind == "live-event":
        for name in ("objects", "object_size", "size_range"):
            if getattr(args, name) is not None:
                option = "--" + name.replace("_", "-")
                raise ValueError(f"{option} does not apply to live-event (200 x 5 MB)")
    values: dict[str, Any] = {"kind": kind, "alpha": alpha}
    for name in ("objects", "object_size", "size_range", "requests", "seed"):
        if getattr(args, name, None) is not None:
            values[name] = getattr(args, name)
    if kind == "live-event" and args.requests is None:
        values["requests"] = 50_000
    return generate(Workload(**values))


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Build or load the trace, run the curves, print them; the exit status."""
    # The runner brings multiprocessing: imported when curves are run, not for `--help`.
    from streamimages_desktop.core.workbench.runner import run_curves

    started = time.perf_counter()
    try:
        trace = _trace(args)
    except (ValueError, TraceError) as exc:
        _error(f"cache-sim: {exc}")
        return 2
    if args.record_trace is not None:
        try:
            write_csv(trace, args.record_trace)
        except OSError as exc:
            _error(f"cache-sim: cannot write {args.record_trace}: {exc.strerror or exc}")
            return 1
    policies = args.policy or DEFAULT_POLICIES.split(",")
    sizes = (
        args.sizes
        if isinstance(args.sizes, list)
        else auto_sizes(max(trace.object_sizes().values()), trace.footprint_bytes())
    )
    ttl = args.ttl_hours * 3600.0 if args.ttl_hours is not None else settings.ttl_seconds
    curves = run_curves(trace, policies, sizes, ttl if trace.times is not None else None)
    seconds = time.perf_counter() - started
    over = {
        name
        for name, used in curves.max_used.items()
        if any(peak > size for peak, size in zip(used, sizes, strict=True))
    }
    if args.json:
        record = {
            "trace": {**trace.describe(), "ttl_seconds": ttl if trace.times else None},
            "curves": {
                name: [point.as_dict() for point in points]
                for name, points in curves.points.items()
            },
            "seconds": round(seconds, 3),
        }
        print(to_json(record), flush=True)
    else:
        print(report(trace, curves.points, sizes, seconds), flush=True)
    if over:
        _error(f"cache-sim: LIMIT EXCEEDED by {', '.join(sorted(over))}")
        return 1
    return 0


def report(trace: Trace, points: dict[str, list[Any]], sizes: list[int], seconds: float) -> str:
    """Hit ratio (byte hit ratio) per size and policy, Belady's bound last."""
    from streamimages_desktop.core.workbench.runner import BELADY

    info = trace.describe()
    head = (
        f"trace {escape(str(info['label']))}: {info['requests']} requests, "
        f"{info['objects']} objects, {human_size(int(info['footprint_bytes']))} in all"
    )
    headers = ["size", *[name if name != BELADY else "belady (bound)" for name in points]]
    rows = [
        [human_size(size), *[f"{pts[i].hit_ratio:.1%}" for pts in points.values()]]
        for i, size in enumerate(sizes)
    ]
    return "\n".join(
        [head, "hit ratio by cache size:", "", table(headers, rows), "", f"{seconds:.1f} s"]
    )


def _error(message: str) -> None:
    print(f"{PROG}: {escape(message)}", file=sys.stderr, flush=True)
