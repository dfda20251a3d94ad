"""GcPacer: the interpreter gives way to the GUI thread while the grid scrolls.

Two measured causes of stalls at 10,000-100,000 rows, both in the interpreter, not in Qt:

The GIL: PySide releases it around each Qt call (every drawPixmap of every tile), and
taking it back waits for any Python worker (thumbnail loads, page reads) to reach its switch
interval, 5 ms by default: a frame of 40 tiles could wait tens of ms. A 0.5 ms interval
cut the 99th-percentile stall at 10,000 rows from 63 ms to 22 ms.

The collector: every GUI stall over 50 ms while scrolling 100,000 rows was a generation-2
collection walking every tracked object. So while the grid scrolls the full pass is held
off (young generations still run: they are cheap), and once it has been still for a moment
the young generations are collected and the survivors frozen (gc.freeze), so later full
passes do not walk them again. After a new result the one full pass runs at that idle time.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, QTimer

SWITCH_INTERVAL_S = 0.0005  # how long a worker may hold the GIL before the GUI thread gets it
IDLE_MS = 400  # still this long: the user stopped scrolling
_HELD = 1_000_000  # generation-2 threshold while busy: never reached

_saved: tuple[int, int, int] | None = None  # thresholds before the first pacer held them


class GcPacer(QObject):
    """Holds off full collections while busy; collects and freezes when idle. Making one
    also shortens the GIL's switch interval for the process (a GUI's, with workers)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._full = False
        self._timer = QTimer(self, singleShot=True, interval=IDLE_MS)
        self._timer.timeout.connect(self.idle)
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)

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
