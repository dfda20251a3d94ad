"""A real PostgreSQL server for the session, and a fresh team database for each test.

Debian's server binaries (any major version under /usr/lib/postgresql) run in a temporary
folder on a free localhost port. initdb and postgres refuse root, so as root they run as the
`postgres` system user in a folder that user owns. Each test gets its own database, copied
from a template that already holds the team schema (CREATE DATABASE ... TEMPLATE is fast).
Without the binaries the tests that need them are skipped with the reason.

Use it from any test folder: tests/conftest.py lists this module in `pytest_plugins`.
start_postgres()/stop_postgres() are the same server without pytest (benchmarks/ use them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_GLOB = "/usr/lib/postgresql/*/bin"
SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
TEMPLATE = "streamimages_team_template"
TEMPLATE_LIMIT = 50


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it listens and how the superuser logs in."""

    host: str
    port: int
    password: str
    folder: Path
    bindir: Path

    def url(
        self, dbname: str = "postgres", user: str = SUPERUSER, password: str | None = None
    ) -> str:
        secret = self.password if password is None else password
        return f"postgresql://{user}:{secret}@{self.host}:{self.port}/{dbname}"


def find_bindir() -> Path | None:
    """The newest installed major version's bin folder holding initdb and pg_ctl."""
    found = [Path(p) for p in glob.glob(SERVER_GLOB) if (Path(p) / "initdb").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    """Root may not run the server: hand the command to the postgres system user."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SYSTEM_USER, "--", *argv]


def _run(argv: list[str], folder: Path) -> None:
    done = subprocess.run(
        _as_server_user(argv), cwd=folder, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr or done.stdout}")


class ServerUnavailable(RuntimeError):
    """This machine cannot run a test server (no binaries, no system user): the reason."""


def start_postgres(parent: Path | None = None) -> PostgresServer:
    """initdb and start a throw-away server in a new folder under `parent` (the system's temp
    folder by default; as root, the `postgres` user must be able to enter `parent`).

    Tuned for speed, not safety (fsync off). Raises ServerUnavailable when this machine has
    no server binaries or (as root) no `postgres` user; stop it with stop_postgres().
    """
    bindir = find_bindir()
    if bindir is None:
        raise ServerUnavailable(
            f"no PostgreSQL server binaries ({SERVER_GLOB}/initdb): apt install postgresql"
        )
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise ServerUnavailable(
                f"running as root and there is no {SYSTEM_USER!r} user to run PostgreSQL"
            ) from None
    folder = Path(tempfile.mkdtemp(prefix="streamimages-pg-", dir=parent))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    password = uuid.uuid4().hex
    secret = folder / "pw"
    secret.write_text(password, encoding="utf-8")
    if owner is not None:
        os.chown(secret, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    port = _free_port()
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                f"--pwfile={secret}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            folder,
        )
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            folder,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return PostgresServer("127.0.0.1", port, password, folder, bindir)


def stop_postgres(server: PostgresServer) -> None:
    """Stop the server (fast shutdown) and remove its folder."""
    try:
        _run(
            [
                str(server.bindir / "pg_ctl"),
                "-D",
                str(server.folder / "data"),
                "-m",
                "fast",
                "stop",
            ],
            server.folder,
        )
    finally:
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session; stopped (and its folder removed) after."""
    try:
        server = start_postgres()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        _make_template(server)
        yield server
    finally:
        stop_postgres(server)


def _make_template(server: PostgresServer) -> None:
    import psycopg

    from streamimages_desktop.core.team_members import team_init

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    team_init(server.url(TEMPLATE), max_per_stream=TEMPLATE_LIMIT)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The superuser's URL of a fresh database holding the team schema (limit 50 per stream,
    the superuser as the team's owner); dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield postgres_server.url(name)
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgres_blank_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The superuser's URL of a fresh, empty database (no team schema: for `team init` and
    first-run tests); dropped after the test."""
    import psycopg

    name = f"b_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.url(name)
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
