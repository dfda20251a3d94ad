"""`team push` killed midway (SIGKILL of a real process, between an uploaded original and its
row) resumes into the team library with nothing lost and nothing duplicated."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.library_transfer import transfer
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from streamimages_desktop.core.settings import Settings
from tests.backends import original_names, team_settings
from tests.core.library_procs import child_env
from tests.images import image_bytes

SIZE = 16
# argv: source folder, target settings as JSON. Sleeps after each upload and says so, so the
# kill lands between an original in storage and its row.
WORKER = """
import json, sys, time
from dataclasses import replace
from pathlib import Path
from streamimages_desktop.core.s3_blobs import S3BlobStore
from streamimages_desktop.core.library_transfer import transfer
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings

source, target_env = sys.argv[1], json.loads(sys.argv[2])
put = S3BlobStore.put
def slow_put(self, *args):
    new = put(self, *args)
    print("blob", flush=True)
    time.sleep(0.1)
    return new
S3BlobStore.put = slow_put
local = Settings.load({}, library=Path(source), cache_dir=Path(source).parent / "c1",
                      config_file=Path(source).parent / "none")
team = Settings.load(target_env, cache_dir=Path(source).parent / "c2",
                     config_file=Path(source).parent / "none")
with StreamImageManager(local, housekeeping_at_start=False) as a, \\
        StreamImageManager(team, housekeeping_at_start=False) as b:
    transfer(a, b)
print("done", flush=True)
"""


def _env(settings: Settings) -> dict[str, str]:
    names = ("DATABASE_URL", "BLOB_URL", "BLOB_ENDPOINT", "BLOB_ACCESS_KEY", "BLOB_SECRET_KEY")
    return {
        f"STREAM_IMAGES_{name}": getattr(settings, f"stream_images_{name.lower()}")
        for name in names
    }


@pytest.fixture
def source(tmp_path: Path) -> Settings:
    local = Settings.load({}, library=tmp_path / "local", cache_dir=tmp_path / "c1")
    with StreamImageManager(local) as manager:
        for seed in range(SIZE):
            visibility = list(Visibility)[seed % 3]
            data = image_bytes("PNG", (60, 40), seed=seed)
            options = ImportOptions(visibility, title=f"image {seed}")
            assert manager.import_bytes(OWNER, "live", data, f"{seed}.png", options).image_id
    return local


def test_a_killed_push_resumes_with_nothing_lost_or_duplicated(
    source: Settings, settings: Settings, request: pytest.FixtureRequest
) -> None:
    target = team_settings(settings, request)
    with subprocess.Popen(
        [sys.executable, "-c", WORKER, str(source.stream_images_dir), json.dumps(_env(target))],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    ) as proc:
        assert proc.stdout is not None
        uploads = 0
        for line in proc.stdout:
            uploads += line.strip() == "blob"
            if uploads == 7:
                break
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
    assert proc.returncode == -signal.SIGKILL and "done" not in rest
    with (
        StreamImageManager(source, housekeeping_at_start=False) as a,
        StreamImageManager(target, housekeeping_at_start=False) as b,
    ):
        got = b.image_records(OWNER)
        assert 5 <= len(got) < SIZE
        assert all(row in a.image_records(OWNER) for row in got)
        for image, _ in got:  # no row without its original
            assert b.stored_original(OWNER, image.id)
        assert len(original_names(target)) == len(got) + 1  # the upload the kill cut off
        rerun = transfer(a, b)
        assert rerun.complete and rerun.already_there == len(got)
        assert rerun.copied == SIZE - len(got)
        by_id = {image.id: image for image, _trashed in a.image_records(OWNER)}
        assert {image.id: image for image, _trashed in b.image_records(OWNER)} == by_id
        again = transfer(a, b)
        assert again.copied == 0 and again.already_there == SIZE
        # the upload the kill cut off is its row's original now: one object per image
        assert len(original_names(target)) == SIZE
