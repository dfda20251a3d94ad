"""The SeaweedFS plugin itself: where it finds `weed`, and that its ports are free."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tests.servers import seaweed


def test_weed_is_found_beside_python_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    beside = tmp_path / "bin" / "weed"
    beside.parent.mkdir()
    beside.write_text("#!/bin/sh\n")
    beside.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(beside.parent / "python"))
    monkeypatch.setenv("PATH", "")
    assert seaweed.weed_binary() == beside


def test_no_weed_anywhere_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What makes the `seaweed` fixture skip with its reason instead of failing."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert seaweed.weed_binary() is None


def test_free_ports_are_distinct_and_bindable() -> None:
    ports = seaweed.free_ports(8)
    assert len(set(ports)) == 8
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
