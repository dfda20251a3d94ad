"""What `team push` / `team pull` print (cli/transfer_report.py), on two real local libraries:
progress on stderr (redrawn on a terminal, one line per hundred elsewhere), refusals and the
summary on stdout, one line for a stop, and the exit status."""

from __future__ import annotations

import errno
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.cli.transfer_report import run_transfer_command
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.units import format_bytes
from tests.core.test_manager import add


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _settings(root: Path, **env: str) -> Settings:
    return Settings.load(
        env, library=root / "library", cache_dir=root / "cache", config_file=root / "none"
    )


def _library(root: Path, count: int, streams: int = 1, **env: str) -> StreamImageManager:
    manager = StreamImageManager(_settings(root, **env))
    for seed in range(count):
        add(manager, seed=seed, size=(8, 8), title=f"pic\n{seed}", stream=f"s{seed % streams + 1}")
    return manager


@pytest.fixture
def source(tmp_path: Path) -> Iterator[StreamImageManager]:
    with _library(tmp_path / "a", 3) as manager:
        yield manager


@pytest.fixture
def target(tmp_path: Path) -> Iterator[StreamImageManager]:
    with _library(tmp_path / "b", 0) as manager:
        yield manager


def _run(
    source: StreamImageManager, target: StreamImageManager, err: io.StringIO, **kw: object
) -> tuple[int, list[str]]:
    said: list[str] = []
    status = run_transfer_command(source, target, said.append, err=err, **kw)  # type: ignore[arg-type]
    return status, said


def _total(manager: StreamImageManager) -> int:
    return sum(image.bytes for image, _ in manager.image_records(OWNER))


def test_a_whole_library_moves_and_the_summary_says_so(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    err = io.StringIO()
    status, said = _run(source, target, err)

    size = format_bytes(_total(source))
    assert status == 0
    assert said == [f"copied 3 images and 1 stream ({size}), 0 already there, 0 refused"]
    assert err.getvalue() == f"3 of 3 images ({size} of {size})\n"  # the last line only
    again = io.StringIO()
    assert _run(source, target, again) == (0, ["copied 0 images (0 B), 3 already there, 0 refused"])


def test_off_a_terminal_one_progress_line_per_hundred_images(
    tmp_path: Path, target: StreamImageManager
) -> None:
    with _library(tmp_path / "big", 205, streams=5) as big:  # 41 each: under the limit
        err = io.StringIO()
        status, _said = _run(big, target, err)
    lines = err.getvalue().splitlines()
    assert status == 0
    assert [line.split(" of ")[0] for line in lines] == ["100", "200", "205"]
    total = format_bytes(_total(target))
    assert all(re.fullmatch(rf"[\d,]+ of 205 images \(.+ of {total}\)", x) for x in lines)
    assert lines[-1] == f"205 of 205 images ({total} of {total})"


def test_on_a_terminal_the_line_is_redrawn_after_each_image(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    err = Terminal()
    assert _run(source, target, err)[0] == 0
    text = err.getvalue()
    assert text.count("\r") == 4  # before the first image, then after each of three
    assert text.startswith("\r0 of 3 images (0 B of ")
    assert text.endswith("\n") and text.rstrip().endswith(f"{format_bytes(_total(source))})")
    assert text.count("\n") == 1


def test_refused_images_are_named_escaped_and_the_status_is_1(
    source: StreamImageManager, tmp_path: Path
) -> None:
    with _library(tmp_path / "small", 0, MAX_STREAM_IMAGES_PER_STREAM="1") as small:
        status, said = _run(source, small, io.StringIO())
    assert status == 1
    refused, summary = said[:-1], said[-1]
    assert len(refused) == 2
    assert all(line.startswith("refused ") and "pic\\n" in line for line in refused)
    assert all("(stream s1): stream s1 already holds 1 image" in line for line in refused)
    assert "\n" not in "".join(said)
    assert summary.startswith("copied 1 image and 1 stream (") and summary.endswith(" 2 refused")


def test_cancel_is_one_line_on_stderr_and_the_status_is_1(
    source: StreamImageManager, target: StreamImageManager
) -> None:
    err = io.StringIO()
    asked: list[bool] = []
    status, said = _run(source, target, err, cancel=lambda: asked.append(True) or len(asked) > 1)
    assert status == 1
    assert said[-1].startswith("copied 1 image and 1 stream")
    assert err.getvalue().splitlines() == ["streamimages: cancelled; run it again to copy the rest"]


def test_a_full_target_disk_is_one_line_on_stderr_and_the_status_is_1(
    source: StreamImageManager, target: StreamImageManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(data: bytes, sha256: str, fmt: str, *_visibility: object) -> bool:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(target._blobs, "put", full)
    err = io.StringIO()
    status, said = _run(source, target, err)
    assert status == 1
    assert said == ["copied 0 images and 1 stream (0 B), 0 already there, 0 refused"]
    (line,) = err.getvalue().splitlines()
    assert line.startswith("streamimages: writing the target library: cannot use the originals")
    assert line.endswith("disk full; run it again to copy the rest")
