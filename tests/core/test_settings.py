"""Settings: defaults, config file, environment and arguments, and clear refusals of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamimages_desktop.core.settings import DEFAULT_EXTENSIONS, Settings, SettingsError


def test_defaults_are_the_seed_values(tmp_path: Path) -> None:
    s = Settings.load({}, config_file=tmp_path / "missing.toml")
    assert s.max_stream_images_per_stream == 50
    assert s.max_upload_bytes == 20 * 1024 * 1024
    assert s.memory_limit_bytes == 500 * 1024 * 1024
    assert s.ttl_seconds == 24 * 3600
    assert s.disk_limit_bytes == 2048 * 1024 * 1024
    assert s.allowed_image_extensions == DEFAULT_EXTENSIONS
    assert s.stream_images_dir.name == "stream_images"
    assert s.image_cache_dir.name == "image_cache"


def test_environment_beats_config_file_and_arguments_beat_both(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.toml"
    cfg.write_text("MAX_STREAM_IMAGES_PER_STREAM = 7\nimage_cache_ttl_hours = 2\n")
    env = {"MAX_STREAM_IMAGES_PER_STREAM": "9", "STREAM_IMAGES_DIR": str(tmp_path / "env-lib")}
    s = Settings.load(env, config_file=cfg)
    assert s.max_stream_images_per_stream == 9
    assert s.image_cache_ttl_hours == 2
    assert s.stream_images_dir == tmp_path / "env-lib"
    s = Settings.load(env, config_file=cfg, library=tmp_path / "arg-lib", cache_dir=tmp_path / "c")
    assert s.stream_images_dir == tmp_path / "arg-lib"
    assert s.image_cache_dir == tmp_path / "c"


def test_extensions_are_normalised(tmp_path: Path) -> None:
    s = Settings.load({"ALLOWED_IMAGE_EXTENSIONS": "JPG, png .GIF"}, config_file=tmp_path / "x")
    assert s.allowed_image_extensions == {".jpg", ".png", ".gif"}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "IMAGE_CACHE_MAX_MEMORY_MB",
            "lots",
            "IMAGE_CACHE_MAX_MEMORY_MB='lots': expected a number",
        ),
        ("MAX_IMAGE_UPLOAD_SIZE_MB", "-5", "from 0.001 to 4096"),
        ("MAX_STREAM_IMAGES_PER_STREAM", "2.5", "expected a whole number"),
        ("MAX_STREAM_IMAGES_PER_STREAM", "0", "from 1 to"),
        ("IMAGE_CACHE_TTL_HOURS", "nan", "IMAGE_CACHE_TTL_HOURS"),
        ("IMAGE_CACHE_MAX_DISK_MB", "inf", "IMAGE_CACHE_MAX_DISK_MB"),
        ("ALLOWED_IMAGE_EXTENSIONS", ".tiff .png", "expected some of"),
        ("STREAM_IMAGES_DIR", "  ", "STREAM_IMAGES_DIR is empty"),
    ],
)
def test_bad_values_name_the_variable_and_the_range(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.load({name: value}, config_file=tmp_path / "none")
    assert expected in str(err.value)
    assert name in str(err.value)


def test_unreadable_config_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.toml"
    cfg.write_text("this is = = not toml")
    with pytest.raises(SettingsError, match="config file"):
        Settings.load({}, config_file=cfg)


def test_folders_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings.load(
        {"IMAGE_CACHE_DIR": "rel-cache"}, config_file=tmp_path / "x", library=Path("lib")
    )
    assert s.stream_images_dir == tmp_path / "lib"
    assert s.image_cache_dir == tmp_path / "rel-cache"
