"""SIGKILL an import or a bulk delete at random moments: the library stays whole and the next
start plus the orphan collector leaves nothing behind (real processes, files and SQLite)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.core.library_procs import (
    assert_database_sound,
    assert_rows_have_their_files,
    go,
    make_batch,
    orphans,
    sha256_of,
    start_worker,
)

# Read at import: the hermetic fixture clears STREAMIMAGES_* before each test runs.
KILLS = 200 if os.environ.get("STREAMIMAGES_SOAK") == "1" else 20
BATCH = 24  # small and short, so 2 x 20 rounds stay quick


def _settings(root: Path) -> Settings:
    return Settings.load(library=root / "library", cache_dir=root / "cache", env={})


def _kill_after(proc: subprocess.Popen[str], after: float) -> bool:
    """Let the worker start, SIGKILL it `after` seconds later; True if it had not finished."""
    with proc:
        go(proc)
        time.sleep(after)
        proc.send_signal(signal.SIGKILL)
        assert proc.stdout is not None
        out = proc.stdout.read()
    return "done" not in out


def _timed_run(proc: subprocess.Popen[str]) -> float:
    """Seconds the worker needs for its work when not killed."""
    with proc:
        go(proc)
        start = time.monotonic()
        assert proc.stdout is not None
        assert proc.stdout.readline() == "done\n"
        took = time.monotonic() - start
    assert proc.returncode == 0
    return took


def _recover_and_check(settings: Settings, batch: list[Path]) -> None:
    """The library after a crash: sound, rows whole, no orphans after collection; re-importing
    the batch ends with exactly the batch."""
    assert_database_sound(settings)
    with StreamImageManager(settings, housekeeping_at_start=False) as manager:
        assert_rows_have_their_files(manager, settings)
        manager.collect_orphans(grace_seconds=0)
        files, stale = orphans(manager, settings)
        assert files == [] and stale == set()
        results = manager.import_paths(OWNER, "s", batch)
        assert [r.status.value for r in results if r.status.value == "rejected"] == []
        assert sorted(i.sha256 for i in manager.images(OWNER)) == sorted(map(sha256_of, batch))
    assert_database_sound(settings)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_batch(tmp_path_factory.mktemp("batch"), BATCH)


def _kill_rounds(
    tmp_path: Path,
    batch: list[Path],
    action: str,
    seed: int,
    prepare: Callable[[Path], None] = lambda _root: None,
) -> None:
    """KILLS rounds on fresh libraries; each next worker starts while the last is checked."""
    files = batch if action == "import" else []

    def spawn(name: str) -> tuple[Path, subprocess.Popen[str]]:
        root = tmp_path / name
        prepare(root)
        return root, start_worker(action, _settings(root), files)

    duration = _timed_run(spawn("calibrate")[1])
    rng = random.Random(seed)
    interrupted = 0
    root, proc = spawn("r0")
    for round_no in range(KILLS):
        after = rng.uniform(0, duration * 0.9)
        upcoming = spawn(f"r{round_no + 1}") if round_no + 1 < KILLS else None
        interrupted += _kill_after(proc, after)
        _recover_and_check(_settings(root), batch)
        shutil.rmtree(root)
        if upcoming is not None:
            root, proc = upcoming
    print(f"{interrupted} of {KILLS} {action}s killed mid-way ({action} takes {duration:.2f} s)")
    assert interrupted >= KILLS // 4  # the kills did land inside the work


def test_a_killed_import_leaves_a_whole_library_and_no_orphans(
    tmp_path: Path, batch: list[Path]
) -> None:
    _kill_rounds(tmp_path, batch, "import", seed=8)


def test_a_killed_bulk_delete_leaves_a_whole_library_and_no_orphans(
    tmp_path: Path, batch: list[Path]
) -> None:
    template = tmp_path / "template"
    with StreamImageManager(_settings(template)) as manager:
        manager.import_paths(OWNER, "s", batch)
    _kill_rounds(
        tmp_path, batch, "delete", seed=9, prepare=lambda root: shutil.copytree(template, root)
    )
