"""One window per library: a QLockFile in the library folder, so two windows never fight over
the same library and caches (a crashed instance's lock is detected by its dead pid).

A second `streamimages gui` on the same library does not just refuse: it hands its command
line (--stream, --role) to the running window over a QLocalSocket, and that window comes to
the front and shows what was asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

LOCK_FILE = ".streamimages.lock"
ALREADY_RUNNING = "StreamImages is already running"
HAND_OVER_MS = 2000
MAX_MESSAGE = 64 * 1024


def lock_library(library: Path, wait_ms: int = 200) -> QLockFile | None:
    """The held lock of `library` (call unlock() when the window closes), or None when
    another instance holds it."""
    lock = QLockFile(str(library / LOCK_FILE))
    lock.setStaleLockTime(0)  # never steal a live lock however old; a dead pid frees it
    return lock if lock.tryLock(wait_ms) else None


def already_running(library: str) -> str:
    """What to tell the user when lock_library() said no and the hand-over failed too;
    `library` is how the library is named ("local library /path", "team library ...")."""
    return f"{ALREADY_RUNNING} with the {library}. Switch to that window, or open another library."


def server_name(library: Path) -> str:
    """One socket name per user and library (the same folder however it was spelt)."""
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(f"{user}\0{library.resolve()}".encode()).hexdigest()[:24]
    return f"streamimages-{digest}"


def hand_over(library: Path, request: dict[str, str | None]) -> bool:
    """Send `request` (stream, role) to the instance running on `library`; False if none
    answered. Blocking, with a timeout: it runs in the second instance before any window."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(library))
    if not socket.waitForConnected(HAND_OVER_MS):
        return False
    socket.write(json.dumps(request).encode() + b"\n")
    sent = socket.waitForBytesWritten(HAND_OVER_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(HAND_OVER_MS)
    return sent


class InstanceServer(QObject):
    """Listens for second instances on the library this instance holds the lock of.

    Signals:
        requested(dict): a second instance's request: "stream" and "role", each str or None.
    """

    requested = Signal(dict)

    def __init__(self, library: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        name = server_name(library)
        QLocalServer.removeServer(name)  # we hold the library lock: any old socket is stale
        self.listening = self._server.listen(name)
        self._server.newConnection.connect(self._on_connection)

    def _on_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > MAX_MESSAGE:
                socket.abort()
            return
        line = bytes(socket.readLine(MAX_MESSAGE).data())
        socket.disconnectFromServer()
        try:
            data = json.loads(line)
        except ValueError:
            return
        if isinstance(data, dict):
            self.requested.emit({key: _text(data.get(key)) for key in ("stream", "role")})

    def close(self) -> None:
        self._server.close()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
