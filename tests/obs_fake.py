"""An in-process fake obs-websocket v5 server that follows the documented handshake.

Hello (with an authentication challenge and salt), Identify checked against
base64(sha256(base64(sha256(password + salt)) + challenge)), Identified; then each request
is recorded (with what `inspect` says about it at the moment it arrives) and answered like
OBS: an unknown input is RequestStatus 600 (ResourceNotFound), a wrong password closes the
socket with 4009 (AuthenticationFailed).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

AUTHENTICATION_FAILED = 4009
RESOURCE_NOT_FOUND = 600


def auth_string(password: str, salt: str, challenge: str) -> str:
    secret = base64.b64encode(hashlib.sha256((password + salt).encode()).digest())
    return base64.b64encode(hashlib.sha256(secret + challenge.encode()).digest()).decode()


@dataclass
class FakeObs:
    password: str
    inputs: dict[str, dict[str, Any]]
    inspect: Callable[[str, dict[str, Any]], Any] = lambda kind, data: None
    requests: list[tuple[str, dict[str, Any], Any]] = field(default_factory=list)
    identified: list[bool] = field(default_factory=list)
    url: str = ""

    def handle(self, ws: ServerConnection) -> None:
        salt, challenge = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        hello = {
            "op": 0,
            "d": {
                "obsWebSocketVersion": "5.5.0",
                "rpcVersion": 1,
                "authentication": {"challenge": challenge, "salt": salt},
            },
        }
        ws.send(json.dumps(hello))
        identify = json.loads(ws.recv())
        assert identify["op"] == 1 and identify["d"]["rpcVersion"] == 1
        if identify["d"].get("authentication") != auth_string(self.password, salt, challenge):
            self.identified.append(False)
            ws.close(AUTHENTICATION_FAILED, "Authentication failed.")
            return
        self.identified.append(True)
        ws.send(json.dumps({"op": 2, "d": {"negotiatedRpcVersion": 1}}))
        try:
            for message in ws:
                self._answer(ws, json.loads(message))
        except ConnectionClosed:
            pass

    def _answer(self, ws: ServerConnection, message: dict[str, Any]) -> None:
        assert message["op"] == 6
        d = message["d"]
        kind, data = d["requestType"], d.get("requestData", {})
        self.requests.append((kind, data, self.inspect(kind, data)))
        name = data.get("inputName")
        status: dict[str, Any] = {"result": True, "code": 100}
        response: dict[str, Any] = {}
        if name is not None and name not in self.inputs:
            status = {"result": False, "code": RESOURCE_NOT_FOUND, "comment": "No input"}
        elif kind == "GetInputSettings":
            response = {"inputKind": "image_source", "inputSettings": dict(self.inputs[name])}
        elif kind == "SetInputSettings":
            self.inputs[name].update(data["inputSettings"])
        answer = {"requestType": kind, "requestId": d["requestId"], "requestStatus": status}
        if response:
            answer["responseData"] = response
        ws.send(json.dumps({"op": 7, "d": answer}))

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.requests]


@contextmanager
def fake_obs(password: str, inputs: dict[str, dict[str, Any]], **kwargs: Any) -> Iterator[FakeObs]:
    fake = FakeObs(password, inputs, **kwargs)
    with serve(fake.handle, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        fake.url = f"ws://127.0.0.1:{port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield fake
        finally:
            server.shutdown()
            thread.join(10)
