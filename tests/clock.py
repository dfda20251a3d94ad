"""A clock tests move by hand, so TTLs are tested without sleeping."""

from __future__ import annotations


class ManualClock:
    """Returns `now` (seconds) until a test moves it."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
