"""Writer identity survives pid reuse; the library lock excludes processes and threads alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from streamimages_desktop.core.errors import LibraryError
from streamimages_desktop.core.process_lock import file_lock, process_token, writer_alive
from tests.core.library_procs import child_env


def test_this_process_is_alive_and_an_ended_one_is_not() -> None:
    assert writer_alive(process_token())
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from streamimages_desktop.core.process_lock import *;print(process_token())",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    assert not writer_alive(child.stdout.strip())


def test_a_reused_pid_is_not_mistaken_for_its_old_writer() -> None:
    pid, _, start = process_token().partition("-")
    assert not writer_alive(f"{pid}-{int(start) + 1}")  # same pid, another start time
    assert not writer_alive("not-a-token")


def test_exclusive_excludes_exclusive_and_shared_even_in_one_process(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    with file_lock(lock) as held:
        assert held
        with file_lock(lock, wait=None) as again, file_lock(lock, shared=True, wait=None) as sh:
            assert (again, sh) == (False, False)
        with pytest.raises(LibraryError, match="busy"), file_lock(lock, shared=True, wait=0.05):
            pass
    with file_lock(lock, shared=True) as one, file_lock(lock, shared=True, wait=None) as two:
        assert one and two  # readers share
    assert oct(os.stat(lock).st_mode & 0o777) == "0o600"


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path;"
            "from streamimages_desktop.core.process_lock import file_lock\n"
            f"with file_lock(Path({str(lock)!r})):\n print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    with holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with file_lock(lock, wait=None) as held:
            assert not held
        holder.kill()
    with file_lock(lock, wait=None) as held:
        assert held
