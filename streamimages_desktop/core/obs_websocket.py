"""OBS hand-off through obs-websocket v5 (built into OBS 28+), with the obsws-python client.

The image is first written as a new, complete file; only then is the named input pointed at
it (SetInputSettings), so OBS never reads a file still being written. A slideshow input gets
its whole `files` list re-applied, which is what makes the Image Slide Show re-read it.
Every failure a user can fix (OBS not running, a wrong password, no such input) is one
EnvironmentProblem or UserError line; the client's own logging (which prints the password)
is switched off.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

from obsws_python.baseclient import ObsClient
from obsws_python.error import OBSSDKError
from websocket import WebSocketException

from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind, UserError

RESOURCE_NOT_FOUND: Final = 600  # obs-websocket's RequestStatus for an unknown input
NEXT: Final = "OBS_WEBSOCKET_MEDIA_INPUT_ACTION_NEXT"
PREVIOUS: Final = "OBS_WEBSOCKET_MEDIA_INPUT_ACTION_PREVIOUS"
TIMEOUT_SECONDS: Final = 5.0

_client_log = logging.getLogger("obsws_python")
_client_log.addHandler(logging.NullHandler())
_client_log.propagate = False  # its INFO line holds the password; its errors we say ourselves
_client_log.setLevel(logging.CRITICAL + 1)


def _host_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port or 4455
    except ValueError:
        parts, port = None, 0
    if parts is None or parts.scheme != "ws" or not parts.hostname or not port:
        raise UserError(f"OBS_WEBSOCKET_URL {url!r} is not a ws://host:port address")
    return parts.hostname, port


class ObsConnection:
    """One identified session with obs-websocket; use as a context manager."""

    def __init__(self, url: str, password: str, timeout: float = TIMEOUT_SECONDS) -> None:
        host, port = _host_port(url)
        self._url = url
        try:
            # obsws-python's own client: the v5 Hello/Identify handshake and its auth string.
            self._client: Any = ObsClient(host=host, port=port, password=password, timeout=timeout)
        except (OSError, WebSocketException, ValueError) as exc:
            raise EnvironmentProblem(
                f"cannot reach OBS at {url}: is OBS running with its WebSocket server on?"
                f" ({type(exc).__name__})",
                ProblemKind.IO,
            ) from None
        try:
            self._client.authenticate()
        except (OBSSDKError, OSError, WebSocketException) as exc:
            self.close()
            if "no password" in str(exc):  # the client's only way to say so
                raise EnvironmentProblem(
                    f"obs-websocket at {url} needs a password: set OBS_WEBSOCKET_PASSWORD",
                    ProblemKind.PERMISSION,
                ) from None
            raise EnvironmentProblem(
                f"obs-websocket at {url} refused the password (OBS_WEBSOCKET_PASSWORD)",
                ProblemKind.PERMISSION,
            ) from None

    def __enter__(self) -> ObsConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, WebSocketException):
            self._client.ws.close(timeout=1.0)
        with contextlib.suppress(OSError, WebSocketException):
            self._client.ws.shutdown()  # after a refused Identify close() alone leaves the socket

    def _send(self, request: str, input_name: str, data: dict[str, Any]) -> Any:
        try:
            answer = self._client.req(request, data)
        except (OBSSDKError, OSError, WebSocketException, ValueError, KeyError) as exc:
            raise EnvironmentProblem(
                f"lost the connection to OBS at {self._url} ({type(exc).__name__})"
            ) from None
        status = answer.get("requestStatus", {})
        if not status.get("result"):
            if status.get("code") == RESOURCE_NOT_FOUND:
                raise UserError(f"OBS has no input named {input_name!r}")
            comment = status.get("comment") or f"code {status.get('code')}"
            raise EnvironmentProblem(f"OBS refused {request}: {comment}")
        return answer.get("responseData", {})

    def input_settings(self, input_name: str) -> dict[str, Any]:
        """The input's own settings (GetInputSettings); an unknown name is a UserError."""
        answer = self._send("GetInputSettings", input_name, {"inputName": input_name})
        settings = (answer or {}).get("inputSettings", {})
        return settings if isinstance(settings, dict) else {}

    def _set(self, input_name: str, settings: dict[str, Any]) -> None:
        data = {"inputName": input_name, "inputSettings": settings, "overlay": True}
        self._send("SetInputSettings", input_name, data)

    def show(self, input_name: str, file: Path) -> None:
        """Point an Image Source at `file` (which must be complete already)."""
        self._set(input_name, {"file": str(file)})

    def slideshow(self, input_name: str, files: Sequence[Path]) -> None:
        """Give an Image Slide Show exactly `files`, in order (re-applied, so it re-reads)."""
        entries = [{"value": str(f), "hidden": False, "selected": False} for f in files]
        self._set(input_name, {"files": entries})

    def step(self, input_name: str, forward: bool = True) -> None:
        """Next (or previous) slide of a slideshow input."""
        data = {"inputName": input_name, "mediaAction": NEXT if forward else PREVIOUS}
        self._send("TriggerMediaInputAction", input_name, data)
