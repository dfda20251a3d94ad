"""Other machines' changes to a team library, as they commit: LISTEN on a dedicated connection.

Every write statement bumps the team's change counter and announces it with
`pg_notify('streamimages_changes', ...)` (core/team_schema.py). PostgreSQL does not replay
notifications a connection missed, so after a lost connection `wait` reconnects and returns a
Change with `resync=True`: the caller reloads what it shows (the counter says whether anything
changed at all). A payload too big for a notification arrives as a resync too. Any member may
LISTEN, so a notification names only public images; `more` says others changed in the
streams it names.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from streamimages_desktop.core.errors import EnvironmentProblem
from streamimages_desktop.core.team_failures import connect, describe, from_connect
from streamimages_desktop.core.team_schema import CHANNEL


@dataclass(frozen=True, slots=True)
class Change:
    """The newest change seen: the counter after it and the rows it touched."""

    version: int
    # Only images every member may see are named (any member can LISTEN): `more` says that
    # other rows of `stream_ids` changed too, so a member who sees them reloads those streams.
    image_ids: frozenset[str] = field(default_factory=frozenset)
    stream_ids: frozenset[str] = field(default_factory=frozenset)
    resync: bool = False  # notifications may have been missed: reload everything shown
    more: bool = False


def _parse(payload: str) -> Change | None:
    try:
        data = json.loads(payload)
        version = int(data["version"])
    except (ValueError, KeyError, TypeError):
        return None  # not ours: someone else NOTIFYing on the channel
    images, streams = data.get("image_ids"), data.get("stream_ids")
    return Change(
        version,
        frozenset(str(i) for i in images or ()),
        frozenset(str(s) for s in streams or ()),
        resync=bool(data.get("truncated")) or images is None,
        more=bool(data.get("more")),
    )


def _merge(older: Change | None, newer: Change) -> Change:
    if older is None:
        return newer
    first, last = sorted((older, newer), key=lambda c: c.version)
    return Change(
        last.version,
        first.image_ids | last.image_ids,
        first.stream_ids | last.stream_ids,
        resync=first.resync or last.resync,
        more=first.more or last.more,
    )


class ChangeFeed:
    """Notifications of the team library at `database_url`, on a connection of its own.

    Not thread-safe: one watcher thread calls `wait`. Raises EnvironmentProblem (UNREACHABLE
    or CREDENTIALS) when it cannot (re)connect.
    """

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._where = describe(database_url)
        self._conn: psycopg.Connection[Any] | None = None
        self.version = self._listen()

    def _listen(self) -> int:
        """(Re)connect, LISTEN, and read the counter as it stands now."""
        self._drop()
        conn = connect(self._url, autocommit=True)
        try:
            conn.execute(f"LISTEN {CHANNEL}".encode())
            row = conn.execute("SELECT counter FROM team_changes WHERE id = 1").fetchone()
        except psycopg.Error as exc:
            conn.close()
            raise from_connect(exc, self._where) from None
        self._conn = conn
        return int(row[0]) if row is not None else 0

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listening connection (None while disconnected)."""
        return None if self._conn is None else self._conn.info.backend_pid

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def wait(self, timeout: float) -> Change | None:
        """The newest change within `timeout` seconds (all pending ones merged), or None.

        After a lost connection: reconnects (within the same timeout) and returns a resync.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            if self._conn is None:
                raise psycopg.OperationalError("not connected")
            found: Change | None = None
            left = max(0.0, deadline - time.monotonic())
            for notify in self._conn.notifies(timeout=left, stop_after=1):
                found = _parse(notify.payload)
            if found is not None or self._conn.closed:
                for notify in self._conn.notifies(timeout=0.01):  # the rest already here
                    parsed = _parse(notify.payload)
                    if parsed is not None:
                        found = _merge(found, parsed)
            if self._conn.broken:
                raise psycopg.OperationalError("connection lost")
        except psycopg.OperationalError:
            return self._resync(deadline)
        if found is not None:
            self.version = max(self.version, found.version)
        return found

    def _resync(self, deadline: float) -> Change:
        pause = 0.05
        while True:
            try:
                self.version = self._listen()
                return Change(self.version, resync=True)
            except EnvironmentProblem:
                if time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def close(self) -> None:
        self._drop()
