"""The servers' start/stop functions outside pytest's fixtures (benchmarks/ use them): a
started server answers, and a stopped one is gone with its folder."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.servers import postgres, seaweed


def _refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_postgres_starts_answers_and_stops() -> None:
    import psycopg

    try:
        server = postgres.start_postgres()
    except postgres.ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        with psycopg.connect(server.url(), connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        postgres.stop_postgres(server)
    assert _refused(server.port)
    assert not server.folder.exists()


def test_seaweed_starts_takes_uploads_and_stops(tmp_path: Path) -> None:
    try:
        server = seaweed.start_seaweed(tmp_path)
    except seaweed.ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        client = server.admin_client()
        client.put_object(Bucket=seaweed.SESSION_BUCKET, Key="k", Body=b"v")
        assert client.get_object(Bucket=seaweed.SESSION_BUCKET, Key="k")["Body"].read() == b"v"
    finally:
        seaweed.stop_seaweed(server)
    assert server.process is not None and server.process.poll() is not None
    assert all(_refused(port) for port in server.ports)
