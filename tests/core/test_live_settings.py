"""LiveSettings: a change is validated by the declarations, written atomically, then announced."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from streamimages_desktop.core.live_settings import LiveSettings
from streamimages_desktop.core.settings import Settings, SettingsError

USER_FILE = (
    "# my settings\n"
    "max_stream_images_per_stream = 7  # per stream\n"
    "Image_Cache_Max_Memory_MB = 100\n"
    "ALLOWED_IMAGE_EXTENSIONS = ['.png', '.jpg']\n"
)


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "settings.toml"
    path.parent.mkdir()
    path.write_text(USER_FILE)
    return path


def live_for(cfg: Path) -> LiveSettings:
    return LiveSettings(Settings.load({}, config_file=cfg), cfg)


def test_a_change_is_written_keeping_the_users_lines_and_read_at_the_next_start(cfg: Path) -> None:
    live = live_for(cfg)
    seen: list[Settings] = []
    live.subscribe(seen.append)

    new = live.change(IMAGE_CACHE_MAX_MEMORY_MB=250.5, IMAGE_CACHE_TTL_HOURS=2)

    assert new.image_cache_max_memory_mb == 250.5 and new.ttl_seconds == 7200
    assert live.current is new and seen == [new]
    assert cfg.read_text() == (
        "# my settings\n"
        "max_stream_images_per_stream = 7  # per stream\n"
        "Image_Cache_Max_Memory_MB = 250.5\n"
        "ALLOWED_IMAGE_EXTENSIONS = ['.png', '.jpg']\n"
        "IMAGE_CACHE_TTL_HOURS = 2\n"
    )
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    again = Settings.load({}, config_file=cfg)  # a restart
    assert again.image_cache_max_memory_mb == 250.5
    assert again.image_cache_ttl_hours == 2
    assert again.max_stream_images_per_stream == 7
    assert again.allowed_image_extensions == {".png", ".jpg"}


def test_a_change_creates_a_missing_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "new" / "settings.toml"
    live = LiveSettings(Settings.load({}, config_file=cfg), cfg)
    live.change(image_cache_max_memory_mb="64")
    assert Settings.load({}, config_file=cfg).image_cache_max_memory_mb == 64
    assert cfg.read_text().startswith("#")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"IMAGE_CACHE_MAX_MEMORY_MB": 0}, "IMAGE_CACHE_MAX_MEMORY_MB='0': expected a number"),
        ({"IMAGE_CACHE_TTL_HOURS": 1, "IMAGE_CACHE_MAX_MEMORY_MB": "lots"}, "'lots'"),
        ({"IMAGE_CACHE_MAX_MEMRY_MB": 5}, "(did you mean IMAGE_CACHE_MAX_MEMORY_MB?)"),
        ({"STREAM_IMAGES_DIR": "/elsewhere"}, "cannot be changed while StreamImages runs"),
    ],
)
def test_a_bad_change_changes_nothing(cfg: Path, values: dict[str, object], message: str) -> None:
    live = live_for(cfg)
    before = live.current
    seen: list[Settings] = []
    live.subscribe(seen.append)
    with pytest.raises(SettingsError) as err:
        live.change(**values)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert cfg.read_text() == USER_FILE
    assert live.current is before and seen == []


def test_a_failed_write_leaves_the_old_file_whole_and_no_temp_file(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = live_for(cfg)
    seen: list[Settings] = []
    live.subscribe(seen.append)
    written: list[bytes] = []

    def replace_fails(src: str, dst: str) -> None:
        written.append(Path(src).read_bytes())  # the whole new file was in the temp file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", replace_fails)  # what core/atomic.py renames with
    with pytest.raises(SettingsError, match=f"cannot write {cfg}: No space left on device"):
        live.change(IMAGE_CACHE_MAX_MEMORY_MB=300)
    assert b"Image_Cache_Max_Memory_MB = 300\n" in written[0]
    assert cfg.read_text() == USER_FILE
    assert sorted(os.listdir(cfg.parent)) == ["settings.toml"]
    assert live.current.image_cache_max_memory_mb == 100 and seen == []


def test_a_config_path_that_is_a_device_or_pipe_is_read_as_empty_and_never_replaced(
    tmp_path: Path,
) -> None:
    """STREAMIMAGES_CONFIG=/dev/null means "no settings file": a change made in the window is
    refused in one line, and the device (here a pipe, which needs no root) stays."""
    pipe = tmp_path / "settings.toml"
    os.mkfifo(pipe)
    live = LiveSettings(Settings.load({}, config_file=pipe), pipe)
    with pytest.raises(SettingsError) as err:
        live.change(IMAGE_CACHE_MAX_MEMORY_MB=300)
    assert str(err.value) == (
        f"cannot write {pipe}: a device, pipe or socket is in the way (a file is needed there)"
    )
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert sorted(os.listdir(tmp_path)) == ["settings.toml"]


def test_a_config_file_broken_since_the_start_is_not_overwritten(cfg: Path) -> None:
    live = live_for(cfg)
    cfg.write_text(USER_FILE + "MAX_STREAM_IMAGE_PER_STREAM = 3\n")
    with pytest.raises(SettingsError, match="did you mean MAX_STREAM_IMAGES_PER_STREAM"):
        live.change(IMAGE_CACHE_MAX_MEMORY_MB=300)
    assert cfg.read_text().endswith("MAX_STREAM_IMAGE_PER_STREAM = 3\n")


def test_unsubscribe_stops_the_calls(tmp_path: Path) -> None:
    live = LiveSettings(Settings.load({}, config_file=tmp_path / "none"), None)
    seen: list[float] = []
    unsubscribe = live.subscribe(lambda s: seen.append(s.image_cache_ttl_hours))
    live.change(IMAGE_CACHE_TTL_HOURS=3)
    unsubscribe()
    unsubscribe()  # twice is harmless
    live.change(IMAGE_CACHE_TTL_HOURS=4)
    assert seen == [3] and live.current.image_cache_ttl_hours == 4
    assert not (tmp_path / "none").exists()  # no config file: this run only


def test_changes_from_many_threads_all_land_in_one_valid_file(cfg: Path) -> None:
    live = live_for(cfg)
    values = [float(n) for n in range(10, 30)]
    threads = [
        threading.Thread(target=live.change, kwargs={"IMAGE_CACHE_MAX_MEMORY_MB": v})
        for v in values
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = Settings.load({}, config_file=cfg).image_cache_max_memory_mb
    assert final == live.current.image_cache_max_memory_mb and final in values
    assert cfg.read_text().count("Image_Cache_Max_Memory_MB") == 1
