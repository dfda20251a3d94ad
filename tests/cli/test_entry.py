"""`streamimages` itself: settings errors, exit codes, interrupts, warnings; Qt only for gui."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.cli import entry as cli
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.schema import SCHEMA_VERSION
from tests.cli.shell import assert_clean_error, blobs, run
from tests.images import (
    write_image,
)


def test_bad_settings_are_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = run(tmp_path, "list", env={"IMAGE_CACHE_MAX_MEMORY_MB": "lots"})
    err = assert_clean_error(proc, 2)
    assert err.startswith("streamimages: IMAGE_CACHE_MAX_MEMORY_MB='lots'") and err.count("\n") == 1
    proc = run(tmp_path, "stats", env={"MAX_STREAM_IMAGES_PER_STREAM": "-3"})
    assert "MAX_STREAM_IMAGES_PER_STREAM" in assert_clean_error(proc, 2)


def test_interrupt_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(StreamImageManager, "import_paths", interrupted)
    path = write_image(tmp_path / "a.png")
    code = cli.main(["--library", str(tmp_path / "lib"), "import", "--stream", "s", str(path)])
    assert code == 130 and capsys.readouterr().err == "streamimages: interrupted\n"


def test_commands_other_than_gui_never_import_qt(tmp_path: Path) -> None:
    image = write_image(tmp_path / "a.png")
    lib, cache = tmp_path / "lib", tmp_path / "cache"
    script = f"""
import sys
from streamimages_desktop.cli.entry import main
base = ["--library", {str(lib)!r}, "--cache-dir", {str(cache)!r}]
codes = [main(base + argv) for argv in (
    ["import", "--stream", "s1", {str(image)!r}], ["list"], ["list", "--json"], ["streams"],
    ["stats", "--json"], ["cache", "stats"],
)]
qt = sorted(m for m in sys.modules if m.startswith(("PySide6", "shiboken6")))
print("RESULT", codes, qt)
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "RESULT [0, 0, 0, 0, 0, 0] []"


def test_quiet_pillow_warnings_silences_pillow_only() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cli.quiet_pillow_warnings()
        warnings.warn_explicit("Corrupt EXIF data", UserWarning, "TiffImagePlugin.py", 1, "PIL.X")
        warnings.warn_explicit("ours", UserWarning, "x.py", 1, "streamimages_desktop.x")
        with pytest.raises(Image.DecompressionBombWarning):
            warnings.warn_explicit(
                "big", Image.DecompressionBombWarning, "Image.py", 1, "PIL.Image"
            )
    assert [str(w.message) for w in seen] == ["ours"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_STREAM_IMAGES_PER_STREAM", "fifty"),
        ("MAX_STREAM_IMAGES_PER_STREAM", "0"),
        ("MAX_IMAGE_UPLOAD_SIZE_MB", "-1"),
        ("MAX_IMAGE_UPLOAD_SIZE_MB", "nan"),
        ("IMAGE_CACHE_MAX_MEMORY_MB", "lots"),
        ("IMAGE_CACHE_TTL_HOURS", "-2"),
        ("IMAGE_CACHE_TTL_HOURS", "inf"),
        ("IMAGE_CACHE_MAX_DISK_MB", "1e999"),
        ("IMAGE_MAX_PIXELS", "1.5"),
        ("IMAGE_MAX_PIXELS", "999999999999"),
        ("STREAM_IMAGES_DIR", " "),
        ("IMAGE_CACHE_DIR", ""),
        ("ALLOWED_IMAGE_EXTENSIONS", ".tiff .png"),
        ("ALLOWED_IMAGE_EXTENSIONS", ","),
    ],
)
def test_every_setting_with_a_bad_value_is_one_line_and_exit_2(
    tmp_path: Path, name: str, value: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "streamimages_desktop", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, name: value, "STREAMIMAGES_CONFIG": str(tmp_path / "none.toml")},
        timeout=60,
    )
    err = assert_clean_error(proc, 2)
    assert err.startswith(f"streamimages: {name}") and err.count("\n") == 1, err
    assert proc.stdout == ""


def test_a_broken_library_is_one_line_and_exit_1(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for option in ("--library", "--cache-dir"):
        for target in (a_file, a_file / "below"):
            proc = subprocess.run(
                [sys.executable, "-m", "streamimages_desktop", "--library", str(tmp_path / "l"),
                 "--cache-dir", str(tmp_path / "c"), option, str(target), "list"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            if option == "--cache-dir":  # only a cache, which `list` never opens: no word of it
                # (a command that makes renditions says so: tests/cli/test_cache_warning.py)
                assert proc.returncode == 0 and proc.stderr == "", proc.stderr
                continue
            err = assert_clean_error(proc, 1)
            assert err == (
                f"streamimages: cannot use the library folder {target}:"
                " a file is in the way (a folder is needed there)\n"
            )

    (tmp_path / "lib").mkdir()
    library = tmp_path / "lib" / "library.sqlite3"
    library.write_bytes(b"this is not SQLite at all" * 100)
    err = assert_clean_error(run(tmp_path, "list"), 1)
    assert err == (
        f"streamimages: the library {library} is damaged: run `streamimages check --repair`\n"
    )
    assert library.read_bytes() == b"this is not SQLite at all" * 100  # left untouched

    library.unlink()
    assert run(tmp_path, "streams").returncode == 0
    with sqlite3.connect(library) as db:
        db.execute("PRAGMA user_version = 7")
    proc = run(tmp_path, "import", "--stream", "s1", write_image(tmp_path / "a.png"))
    assert assert_clean_error(proc, 1) == (
        "streamimages: this library was made by a newer StreamImages (schema 7);"
        f" this version reads up to {SCHEMA_VERSION}\n"
    )
    assert proc.stdout == "" and blobs(tmp_path) == []
