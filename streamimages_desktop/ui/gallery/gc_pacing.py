"""GcPacer: the garbage collector's full passes wait until the grid is idle.

Measured at 100,000 rows: every GUI stall over 50 ms while scrolling was a generation-2
collection walking every tracked object. So while the grid scrolls the full pass is held
off (young generations still run: they are cheap), and once it has been still for a moment
the young generations are collected and the survivors frozen (gc.freeze), so later full
passes do not walk them again. After a new result the one full pass runs at that idle time.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

IDLE_MS = 400  # still this long: the user stopped scrolling
_HELD = 1_000_000  # generation-2 threshold while busy: never reached

_saved: tuple[int, int, int] | None = None  # thresholds before the first pacer held them


class GcPacer(QObject):
    """Holds off full collections while busy; collects and freezes when idle."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._full = False
        self._timer = QTimer(self, singleShot=True, interval=IDLE_MS)
        self._timer.timeout.connect(self.idle)

    def busy(self) -> None:
        """Something moves (a scroll step): no full pass until it has been still a while."""
        global _saved
        if _saved is None:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], _HELD)
        self._timer.start()

    def loaded(self) -> None:
        """A new result is in: a full pass is due at the next idle moment."""
        self._full = True
        self.busy()

    def idle(self) -> None:
        """Collect (fully after a new result), freeze what survived, restore the thresholds."""
        global _saved
        self._timer.stop()
        if self._full:
            self._full = False
            gc.unfreeze()
            gc.collect()
        else:
            gc.collect(1)
        gc.freeze()
        if _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None
