"""A trace: who asked for which key of what size, and when; read and written as CSV.

The file is `time,key,size` with that header (seconds, any key string, bytes). It loads in
libCacheSim's CSV reader with `time-col=1, obj-id-col=2, obj-size-col=3, delimiter=,,
has-header=true, obj-id-is-num=false` (libCacheSim keeps whole seconds of the time and reads
ASCII only, so recorded keys are written in ASCII).
A key keeps the size of its first request in the simulators here, as a cache keeps the object
it stored; libCacheSim does the same on a hit.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamimages_desktop.core.atomic import atomic_write

HEADER = ("time", "key", "size")
MAX_TRACE_REQUESTS = 20_000_000


class TraceError(ValueError):
    """A trace file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Trace:
    """Requests as parallel lists: key ids, sizes, and times (seconds) or None.

    From `from_requests` (and so from files and workloads) the ids are dense, in order of first
    use, and `names[id]` is the key's text.
    """

    keys: list[int]
    sizes: list[int]
    times: list[float] | None
    names: list[str] = field(default_factory=list)
    label: str = "trace"

    @classmethod
    def from_requests(
        cls, requests: Iterable[tuple[float | None, str, int]], label: str = "trace"
    ) -> Trace:
        """Build from (time or None, key, size) rows; ids are given in order of first use."""
        ids: dict[str, int] = {}
        keys: list[int] = []
        sizes: list[int] = []
        times: list[float] = []
        timed = True
        for when, key, size in requests:
            ident = ids.get(key)
            if ident is None:
                ident = ids[key] = len(ids)
            keys.append(ident)
            sizes.append(size)
            if when is None:
                timed = False
            else:
                times.append(when)
        return cls(keys, sizes, times if timed and keys else None, list(ids), label)

    @property
    def requests(self) -> int:
        return len(self.keys)

    @property
    def objects(self) -> int:
        return len(set(self.keys))

    def object_sizes(self) -> dict[int, int]:
        """Each key's size: the size of its first request."""
        first: dict[int, int] = {}
        for key, size in zip(self.keys, self.sizes, strict=True):
            if key not in first:
                first[key] = size
        return first

    def fixed_sizes(self) -> list[int]:
        """Per request, the size of the key's first request (what every simulator here uses)."""
        first = self.object_sizes()
        return [first[k] for k in self.keys]

    def footprint_bytes(self) -> int:
        """The bytes of every distinct key: a cache this big misses only the first requests."""
        return sum(self.object_sizes().values())

    def describe(self) -> dict[str, Any]:
        """The `trace` part of `cache-sim --json`."""
        sizes = self.object_sizes()
        return {
            "label": self.label,
            "requests": self.requests,
            "objects": len(sizes),
            "footprint_bytes": sum(sizes.values()),
            "min_object_bytes": min(sizes.values(), default=0),
            "max_object_bytes": max(sizes.values(), default=0),
            "seconds": (self.times[-1] - self.times[0]) if self.times else None,
        }


def key_text(page: str, key: Hashable) -> str:
    """A recorded cache key as one CSV-safe string: page and key parts joined by ':'."""
    parts = key if isinstance(key, tuple) else (key,)
    return _csv_safe(":".join([page, *(str(p) for p in parts)]))


def _csv_safe(text: str) -> str:
    """ASCII without the CSV specials (libCacheSim's reader knows neither quotes nor UTF-8)."""
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text.replace(",", ";").replace('"', "'").replace("\n", " ").replace("\r", " ")


def write_csv(trace: Trace, path: Path) -> None:
    """Write the trace atomically (a reader sees the old file or the whole new one)."""
    atomic_write(path, to_csv(trace).encode("utf-8"), mode=0o644)


def to_csv(trace: Trace) -> str:
    names = [_csv_safe(n) for n in trace.names] or [
        str(i) for i in range(max(trace.keys, default=-1) + 1)
    ]
    out = io.StringIO()
    out.write(",".join(HEADER) + "\n")
    times = trace.times
    for i, (key, size) in enumerate(zip(trace.keys, trace.sizes, strict=True)):
        when = "" if times is None else _seconds(times[i])
        out.write(f"{when},{names[key]},{size}\n")
    return out.getvalue()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def read_csv(path: Path) -> Trace:
    """Load a `time,key,size` file; TraceError (naming the line) for anything malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TraceError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise TraceError(f"{path}: {exc.strerror or exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise TraceError(f"{path}: line 1: expected the header {','.join(HEADER)}")
    rows: list[tuple[float | None, str, int]] = []
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        rows.append(_row(path, number, row))
        if len(rows) > MAX_TRACE_REQUESTS:
            raise TraceError(f"{path}: more than {MAX_TRACE_REQUESTS} requests")
    if not rows:
        raise TraceError(f"{path}: no requests after the header")
    timed = [when is not None for when, _k, _s in rows]
    if any(timed) and not all(timed):
        raise TraceError(f"{path}: some rows have a time and some do not")
    return Trace.from_requests(rows, label=path.name)


def _row(path: Path, number: int, row: list[str]) -> tuple[float | None, str, int]:
    if len(row) != 3:
        raise TraceError(f"{path}: line {number}: expected 3 fields, found {len(row)}")
    when_text, key, size_text = (cell.strip() for cell in row)
    when: float | None = None
    if when_text:
        try:
            when = float(when_text)
        except ValueError:
            when = math.nan
        if not math.isfinite(when) or when < 0:
            raise TraceError(f"{path}: line {number}: time {when_text!r} is not seconds >= 0")
    if not key:
        raise TraceError(f"{path}: line {number}: empty key")
    try:
        size = int(size_text)
    except ValueError:
        size = -1
    if size < 0:
        raise TraceError(f"{path}: line {number}: size {size_text!r} is not bytes >= 0")
    return when, key, size
