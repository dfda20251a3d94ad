"""Helpers of the command-line tests: run `streamimages` for real, look at the library it left."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from streamimages_desktop.core.settings import Settings
from tests.images import (
    image_bytes,
)


def run(
    tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m streamimages_desktop --library ... --cache-dir ... ARGS` with a hard timeout."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "streamimages_desktop",
            "--library",
            str(tmp_path / "lib"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=60,  # a FIFO read by mistake would hang: fail instead
    )


def settings_for(tmp_path: Path) -> Settings:
    return Settings.load({}, library=tmp_path / "lib", cache_dir=tmp_path / "cache")


def rows(tmp_path: Path) -> list[tuple[str, str, str, int]]:
    with sqlite3.connect(tmp_path / "lib" / "library.sqlite3") as db:
        return db.execute(
            "SELECT id, stream_id, visibility, views FROM images ORDER BY original_name"
        ).fetchall()


def blobs(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "lib" / "originals").rglob("*") if p.is_file())


def assert_clean_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc.stderr


def seeded_library(tmp_path: Path) -> dict[Visibility, str]:
    """One image of each visibility in stream s1; returns their ids."""
    ids: dict[Visibility, str] = {}
    with StreamImageManager(settings_for(tmp_path)) as manager:
        for seed, vis in enumerate(Visibility):
            result = manager.import_bytes(
                OWNER,
                "s1",
                image_bytes("PNG", (120, 80), seed=seed),
                f"{vis.value}.png",
                ImportOptions(vis, description=f"the {vis.value} one"),
            )
            assert result.image_id is not None
            ids[vis] = result.image_id
    return ids
