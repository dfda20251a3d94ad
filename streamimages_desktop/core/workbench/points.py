"""One point of a curve: what a cache of `size_bytes` would hit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Point:
    size_bytes: int
    hit_ratio: float
    byte_hit_ratio: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def points_csv(curves: dict[str, list[Point]]) -> str:
    """policy,size_bytes,hit_ratio,byte_hit_ratio: one row per point (the Workbench export)."""
    rows = ["policy,size_bytes,hit_ratio,byte_hit_ratio"]
    for name, points in curves.items():
        rows += [f"{name},{p.size_bytes},{p.hit_ratio:.6f},{p.byte_hit_ratio:.6f}" for p in points]
    return "\n".join(rows) + "\n"
