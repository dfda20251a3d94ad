"""The package's loggers, made on their first message.

`logging` (with traceback, string and weakref) costs a reading command's start-up about as
much as its query (issue 14), and most commands log nothing. `logger(__name__)` stands in for
`logging.getLogger(__name__)`; `when_logging_starts(setup)` runs `setup` (the command line's
warning lines) before the first message of any of these loggers, or at once if one has
already spoken.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import logging

_lock = threading.RLock()  # a setup may log
_setups: list[Callable[[], None]] = []
_started = False


class _Logger:
    """A `logging.Logger` made when first used; after that, each call is one attribute read."""

    __slots__ = ("_name", "_real")

    def __init__(self, name: str) -> None:
        self._name = name
        self._real: logging.Logger | None = None

    def __getattr__(self, attr: str) -> object:
        real = self._real
        if real is None:
            real = self._real = _start(self._name)
        return getattr(real, attr)


def logger(name: str) -> logging.Logger:
    return _Logger(name)  # type: ignore[return-value]  # the Logger, when first used


def when_logging_starts(setup: Callable[[], None]) -> None:
    with _lock:
        if not _started:
            _setups.append(setup)
            return
    setup()


def _start(name: str) -> logging.Logger:
    global _started
    import logging

    with _lock:  # a second thread's first message waits until the setups are done
        if not _started:
            _started = True
            for setup in _setups:
                setup()
            _setups.clear()
    return logging.getLogger(name)
