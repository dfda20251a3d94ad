"""Settings that change while the window runs: validated, written to the config file, announced.

No Qt here: the window adapts `subscribe` to a Qt signal (ui/settings_signal.py).
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamimages_desktop.core.atomic import atomic_write
from streamimages_desktop.core.settings import (
    SPECS,
    Settings,
    SettingsError,
    check_known,
    parse,
    read_config,
    toml_value,
)

Subscriber = Callable[[Settings], None]

HEADER = "# StreamImages settings: see README.md, Settings, or streamimages --help.\n"


class LiveSettings:
    """The current `Settings`, changed only through `change`, which tells every subscriber.

    Thread-safe: changes are serialised, so a slow disk cannot interleave two writes.

    Attributes:
        config_file: where changes are written; None keeps them for this run only (tests).
    """

    def __init__(self, settings: Settings, config_file: Path | None) -> None:
        self.config_file = config_file
        self._current = settings
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()

    @property
    def current(self) -> Settings:
        return self._current

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(new_settings)` after every change; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def validate(self, **values: object) -> dict[str, Any]:
        """The parsed values by setting name; SettingsError (one line) for the first bad one."""
        parsed: dict[str, Any] = {}
        for key, raw in values.items():
            name = check_known(key, where="settings")
            if not SPECS[name].live:
                where = self.config_file or "the config file"
                raise SettingsError(
                    f"{name} cannot be changed while StreamImages runs: "
                    f"edit {where} and start again"
                )
            parsed[name] = parse(name, raw)
        return parsed

    def change(self, **values: object) -> Settings:
        """Validate, write the config file atomically, then notify; a bad value changes nothing.

        `values` are keyed by setting name (IMAGE_CACHE_MAX_MEMORY_MB=250). Raises SettingsError
        for a bad or non-live setting, or when the config file cannot be read or written.
        """
        with self._lock:
            parsed = self.validate(**values)
            if self.config_file is not None:
                _write(self.config_file, parsed)
            new = self._current._replace(**{name.lower(): v for name, v in parsed.items()})
            self._current = new
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(new)
        return new


def _write(file: Path, parsed: dict[str, Any]) -> None:
    """Set `parsed` in the config file and replace it atomically; every other line (comments,
    the user's spelling and order of keys) is kept."""
    read_config(file)  # refuses a file that is no longer valid (edited meanwhile) before writing
    text = _merged(file.read_text(encoding="utf-8") if file.is_file() else "", parsed)
    try:
        atomic_write(file, text.encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise SettingsError(f"cannot write {file}: {exc.strerror or exc}") from None


def _merged(text: str, parsed: dict[str, Any]) -> str:
    """`text` with each setting's `KEY = value` line replaced, or appended if it had none."""
    lines = text.splitlines(keepends=True) or [HEADER]
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for name, value in parsed.items():
        pattern = re.compile(rf"""^(\s*["']?{name}["']?\s*=\s*)""", re.IGNORECASE)
        found = [(i, m) for i, old in enumerate(lines) if (m := pattern.match(old))]
        if found:
            at, match = found[0]
            lines[at] = f"{match.group(1)}{toml_value(value)}\n"
        else:
            lines.append(f"{name} = {toml_value(value)}\n")
    merged = "".join(lines)
    written = {k.upper(): v for k, v in tomllib.loads(merged).items()}
    assert all(parse(name, written[name]) == value for name, value in parsed.items()), merged
    return merged
