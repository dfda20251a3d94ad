"""The eviction policies behind one interface (policies.base.Policy), by command-line name."""

from __future__ import annotations

from streamimages_desktop.core.workbench.policies.arc import ARC
from streamimages_desktop.core.workbench.policies.base import Policy
from streamimages_desktop.core.workbench.policies.queues import FIFO, LRU, Clock, SeedLRU
from streamimages_desktop.core.workbench.policies.s3fifo import S3FIFO
from streamimages_desktop.core.workbench.policies.sieve import Sieve
from streamimages_desktop.core.workbench.policies.tinylfu import WTinyLFU

POLICIES: dict[str, type[Policy]] = {
    cls.name: cls for cls in (SeedLRU, LRU, FIFO, Clock, Sieve, S3FIFO, WTinyLFU, ARC)
}
DEFAULT_POLICY = SeedLRU.name
LABELS = {
    "seed": "Seed (LRU, 90 %/20 % watermarks)",
    "lru": "LRU",
    "fifo": "FIFO",
    "clock": "CLOCK",
    "sieve": "SIEVE",
    "s3fifo": "S3-FIFO",
    "wtinylfu": "W-TinyLFU",
    "arc": "ARC",
}


def make_policy(name: str, capacity: int, ttl: float | None = None) -> Policy:
    """A fresh policy by name; ValueError names the choices for an unknown one."""
    try:
        cls = POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}") from None
    return cls(capacity, ttl)


__all__ = ["DEFAULT_POLICY", "LABELS", "POLICIES", "Policy", "make_policy"]
