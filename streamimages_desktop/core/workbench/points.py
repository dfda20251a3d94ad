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
