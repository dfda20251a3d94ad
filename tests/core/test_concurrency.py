"""Processes sharing one library: importers racing on the same files, readers starting while
they write, and two processes creating a new library at the same moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from streamimages_desktop.core import housekeeping
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.core.library_procs import child_env, make_batch, sha256_of

LIMIT = 25

READER = """
import sys
from pathlib import Path
from streamimages_desktop.cli import main

library, cache, stop = sys.argv[1:4]
runs = failures = 0
while not Path(stop).exists():
    for command in (["list"], ["stats"]):
        runs += 1
        failures += main(["--library", library, "--cache-dir", cache, *command]) != 0
print(f"reader {runs} {failures}", file=sys.stderr)
"""

OPEN_AT = """
import sys, time
from pathlib import Path
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings

library, at = Path(sys.argv[1]), float(sys.argv[2])
settings = Settings.load(library=library, cache_dir=library / "cache")
time.sleep(max(0.0, at - time.time() - 0.01))
while time.time() < at:
    pass
with StreamImageManager(settings) as manager:
    manager.stats
print("ok")
"""

HOLD_TEMP = """
import os, sys, time
from pathlib import Path
from streamimages_desktop.core import atomic

folder = Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
part = folder / atomic.temp_name()
fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"half of a large original")
old = time.time() - 10 * atomic.TEMP_GRACE_SECONDS  # old: only the writer's identity saves it
os.utime(part, (old, old))
print(part, flush=True)
sys.stdin.readline()
"""


def _cli(settings: Settings, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamimages_desktop",
        "--library",
        str(settings.stream_images_dir),
        "--cache-dir",
        str(settings.image_cache_dir),
        *args,
    ]


def test_two_importers_and_a_reader_share_one_library(tmp_path: Path, settings: Settings) -> None:
    StreamImageManager(settings).close()  # creating it at once is the next test's subject
    files = make_batch(tmp_path / "pics", 30)
    sha_of = {str(p): sha256_of(p) for p in files}
    env = child_env(MAX_STREAM_IMAGES_PER_STREAM=str(LIMIT))
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            READER,
            str(settings.stream_images_dir),
            str(settings.image_cache_dir),
            str(stop),
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    # Overlapping halves, the second one backwards: they meet on the shared files.
    halves = (files[:20], files[10:][::-1])
    importers = [
        subprocess.Popen(
            _cli(settings, "import", "--stream", "s", *map(str, half)),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    outputs = [proc.communicate(timeout=120) for proc in importers]
    stop.touch()
    _out, reader_err = reader.communicate(timeout=120)

    runs, failures = reader_err.split()[-2:]
    assert reader.returncode == 0 and int(runs) > 0 and failures == "0", reader_err
    lines = [line.split(" ", 2) for out, err in outputs for line in out.splitlines()]
    assert [err for _out, err in outputs] == ["", ""]
    rejected = [line for line in lines if line[0] == "rejected"]
    assert all("MAX_STREAM_IMAGES_PER_STREAM" in " ".join(line) for line in rejected), rejected
    with StreamImageManager(settings) as manager:
        rows = {image.id: image.sha256 for image in manager.images(OWNER)}
    assert len(rows) == LIMIT  # the per-stream limit, exactly, across processes
    imported = [(ident, path) for status, ident, path in lines if status == "imported"]
    assert sorted(rows.items()) == sorted((ident, sha_of[path]) for ident, path in imported)
    for status, ident, path in lines:
        if status == "duplicate":  # the winner's id: the row holding these very bytes
            assert rows[ident] == sha_of[path]


def test_two_processes_create_one_library_at_the_same_moment(tmp_path: Path) -> None:
    rounds = 10
    base = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AT, str(tmp_path / f"lib{i}"), str(base + 0.2 * i)],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(rounds)
        for _twin in range(2)
    ]
    results = [(*proc.communicate(timeout=120), proc.returncode) for proc in procs]
    assert [(out, code) for out, _err, code in results] == [("ok\n", 0)] * (2 * rounds)
    # The rendition index has its own open path (disk_index); its warnings are not ours here.
    assert [err for _out, err, _code in results if "busy" in err or "Traceback" in err] == []


def test_a_start_up_leaves_another_live_processs_temp_file_alone(settings: Settings) -> None:
    StreamImageManager(settings).close()
    folder = settings.stream_images_dir / "originals" / "ab" / "cd"
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_TEMP, str(folder)],
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    with writer:
        assert writer.stdout is not None
        part = Path(writer.stdout.readline().strip())
        (settings.stream_images_dir / housekeeping.MARKER_FILE).unlink()  # tidying is due
        started = subprocess.run(
            _cli(settings, "stats"), env=child_env(), capture_output=True, text=True, timeout=60
        )
        assert started.returncode == 0, started.stderr
        assert part.exists()  # the writer still has it
        os.kill(writer.pid, signal.SIGKILL)
    with StreamImageManager(settings, housekeeping_at_start=False) as manager:
        report = manager.collect_orphans(grace_seconds=0)
    assert report.temp_files == 1 and not part.exists()  # its writer is gone: now it goes
