"""core/logs.py: loggers made on their first message, and the setup that runs before it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "streamimages_desktop" / "core"

# Runs in a fresh interpreter: nothing has imported logging there yet.
PROBE = """
import sys
from streamimages_desktop.core import logs
seen = []
log = logs.logger("streamimages_desktop.probe")
loaded = lambda: "setup, logging loaded: %s" % ("logging" in sys.modules)
logs.when_logging_starts(lambda: seen.append(loaded()))
print("before:", "logging" in sys.modules, seen)
import logging
handler_lines = []
class Lines(logging.Handler):
    def emit(self, record):
        handler_lines.append(record.getMessage())
logs.when_logging_starts(lambda: logging.getLogger("streamimages_desktop").addHandler(Lines()))
log.warning("first %s", "message")
logs.when_logging_starts(lambda: seen.append("late setup runs at once"))
log.warning("second")
print("after:", seen, handler_lines, log.name, log.isEnabledFor(logging.WARNING))
"""


def test_no_logging_until_the_first_message_and_the_setups_run_before_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    before, after = proc.stdout.splitlines()
    assert before == "before: False []"
    assert after == (
        "after: ['setup, logging loaded: True', 'late setup runs at once'] "
        "['first message', 'second'] streamimages_desktop.probe True"
    )


def test_core_modules_log_through_logs() -> None:
    """A module's own `logging.getLogger` would load logging at start-up and speak before the
    command line's warning lines are installed. (obs_websocket only quiets its client's.)"""
    direct = [
        path.name
        for path in CORE.rglob("*.py")
        if path.name not in ("logs.py", "obs_websocket.py")
        and re.search(r"^import logging|logging\.getLogger", path.read_text(), re.M)
    ]
    assert direct == []
