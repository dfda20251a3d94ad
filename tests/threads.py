"""Run a test's worker on several threads at once and re-raise the first failure."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_concurrently(work: Callable[[int], None], count: int) -> None:
    """Call `work(n)` for n in range(count), each on its own thread; fail if any raised."""
    errors: list[BaseException] = []

    def guarded(n: int) -> None:
        try:
            work(n)
        except BaseException as exc:  # reported on the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
