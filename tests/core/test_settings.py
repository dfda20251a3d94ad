"""Settings: defaults, config file, environment and arguments, and clear refusals of bad values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streamimages_desktop.cli.entry import build_parser, main
from streamimages_desktop.core.settings import (
    CACHE_POLICIES,
    DEFAULT_EXTENSIONS,
    PLATFORM_FOLDER,
    SPECS,
    Settings,
    SettingsError,
    Spec,
    config_path,
    default_text,
    range_text,
    toml_value,
)


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
        ("IMAGE_CACHE_DIR", "/tmp/a\0b", "a folder path has no NUL character"),
        ("IMAGE_CACHE_POLICY", "belady", "expected one of seed, lru, fifo"),
    ],
)
def test_bad_values_name_the_variable_and_the_range(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.load({name: value}, config_file=tmp_path / "none")
    assert expected in str(err.value)
    assert name in str(err.value)


def test_a_folder_named_as_the_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="a folder, not a file"):
        Settings.load({}, config_file=tmp_path)
    assert Settings.load({}, config_file=Path(os.devnull)) == Settings.load({}, config_file=None)


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


def test_a_whole_number_range_reads_as_written_not_in_exponent_form(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.load({"MAX_STREAM_IMAGES_PER_STREAM": "0"}, config_file=tmp_path / "none")
    assert str(err.value) == (
        "MAX_STREAM_IMAGES_PER_STREAM='0': expected a whole number from 1 to 1000000"
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "MAX_STREAM_IMAGE_PER_STREAM = 3",
            "unknown setting MAX_STREAM_IMAGE_PER_STREAM "
            "(did you mean MAX_STREAM_IMAGES_PER_STREAM?)",
        ),
        (
            "image_cache_max_memry_mb = 3",
            "unknown setting image_cache_max_memry_mb (did you mean IMAGE_CACHE_MAX_MEMORY_MB?)",
        ),
        ("COLOUR = 'red'", "unknown setting COLOUR"),
    ],
)
def test_an_unknown_config_key_is_refused_with_the_nearest_real_key(
    tmp_path: Path, written: str, expected: str
) -> None:
    cfg = tmp_path / "settings.toml"
    cfg.write_text(f"IMAGE_CACHE_TTL_HOURS = 2\n{written}\n")
    with pytest.raises(SettingsError) as err:
        Settings.load({}, config_file=cfg)
    assert str(err.value) == f"{cfg}: {expected}"
    assert "\n" not in str(err.value)


def test_environment_variables_that_are_no_setting_are_ignored(tmp_path: Path) -> None:
    s = Settings.load({"MAX_STREAM_IMAGE_PER_STREAM": "3"}, config_file=tmp_path / "none")
    assert s.max_stream_images_per_stream == 50


def test_the_config_file_is_found_through_streamimages_config(tmp_path: Path) -> None:
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text("IMAGE_CACHE_MAX_MEMORY_MB = 250\n")
    assert config_path({"STREAMIMAGES_CONFIG": str(cfg)}) == cfg
    assert Settings.load({"STREAMIMAGES_CONFIG": str(cfg)}).image_cache_max_memory_mb == 250


def test_every_field_is_declared_with_help() -> None:
    assert [name.upper() for name in Settings._fields] == list(SPECS)
    for name, spec in SPECS.items():
        assert spec.help and "\n" not in spec.help, name
        if spec.kind in ("int", "float"):
            assert spec.low <= float(default_text(name)) <= spec.high, name


def _samples(name: str, spec: Spec, tmp_path: Path) -> tuple[list[tuple[object, object]], object]:
    """([(raw value, parsed value), ...], a value out of range) for one declaration."""
    if spec.kind == "int":
        low, high = int(spec.low), int(spec.high)
        return [(low, low), (high, high)], high + 1
    if spec.kind == "float":
        return [(spec.low, spec.low), (spec.high, spec.high)], spec.high * 2
    if spec.kind == "folder":
        return [(str(tmp_path / name.lower()), tmp_path / name.lower())], " "
    if spec.kind == "extensions":
        return [([".PNG", "gif"], {".png", ".gif"}), ("webp", {".webp"})], ".tiff"
    if spec.kind == "switch":
        return [(True, True), (False, False), ("on", True), ("No", False)], "maybe"
    if spec.kind == "text":
        return [("ws://host:4455", "ws://host:4455"), ("p@ss word", "p@ss word")], "two\nlines"
    if spec.kind == "choice":
        return [
            (spec.choices[-1], spec.choices[-1]),
            (spec.choices[0].upper(), spec.choices[0]),
        ], "x"
    raise AssertionError(f"no samples for the kind {spec.kind} of {name}")


@pytest.mark.parametrize("name", list(SPECS))
def test_each_declaration_drives_environment_toml_and_help(tmp_path: Path, name: str) -> None:
    spec = SPECS[name]
    good, bad = _samples(name, spec, tmp_path)
    cfg = tmp_path / "settings.toml"
    for raw, parsed in good:
        env_text = " ".join(map(str, raw)) if isinstance(raw, list) else str(raw)
        from_env = Settings.load({name: env_text}, config_file=tmp_path / "none")
        assert getattr(from_env, name.lower()) == parsed
        cfg.write_text(f"{name} = {toml_value(raw)}\n")
        assert getattr(Settings.load({}, config_file=cfg), name.lower()) == parsed

    with pytest.raises(SettingsError) as from_env_err:
        Settings.load({name: str(bad)}, config_file=tmp_path / "none")
    cfg.write_text(f"{name} = {toml_value(bad)}\n")
    with pytest.raises(SettingsError) as from_toml_err:
        Settings.load({}, config_file=cfg)
    for err in (from_env_err, from_toml_err):
        assert str(err.value).startswith(name)
        if spec.kind != "folder":
            assert range_text(name) in str(err.value)

    help_text = build_parser().format_help()
    line = next(line for line in help_text.splitlines() if line.split()[:1] == [name])
    assert f"default {default_text(name)}" in line
    assert (range_text(name) if spec.kind != "extensions" else "some of these") in line
    assert spec.unit in line
    assert spec.help in help_text


def test_the_command_line_stops_with_exit_2_and_one_line_on_an_unknown_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "settings.toml"
    cfg.write_text("MAX_STREAM_IMAGE_PER_STREAM = 3\n")
    monkeypatch.setenv("STREAMIMAGES_CONFIG", str(cfg))
    assert main(["--library", str(tmp_path / "lib"), "streams"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"streamimages: {cfg}: unknown setting MAX_STREAM_IMAGE_PER_STREAM "
        "(did you mean MAX_STREAM_IMAGES_PER_STREAM?)\n"
    )
    assert not (tmp_path / "lib").exists()


def test_the_cache_policy_choices_are_the_workbench_policies(tmp_path: Path) -> None:
    """Written out in settings (reading settings never imports the workbench); kept equal."""
    from streamimages_desktop.core.workbench.policies import DEFAULT_POLICY, POLICIES

    assert tuple(POLICIES) == CACHE_POLICIES
    assert Settings.load({}, config_file=tmp_path / "none").image_cache_policy == DEFAULT_POLICY
    chosen = Settings.load({"IMAGE_CACHE_POLICY": "SIEVE"}, config_file=tmp_path / "none")
    assert chosen.image_cache_policy == "sieve"


def test_each_spec_is_its_own_fields() -> None:
    """SPECS pairs fields and specs by declaration order: each default has its spec's kind."""
    kinds = {
        "int": int,
        "float": float,
        "switch": bool,
        "text": str,
        "choice": str,
        "extensions": frozenset,
        "folder": Path,
    }
    for name, spec in SPECS.items():
        default = Settings._field_defaults[name.lower()]
        assert isinstance(default, kinds[spec.kind]), name
        assert isinstance(default, bool) == (spec.kind == "switch"), name
        assert (default is PLATFORM_FOLDER) == (spec.kind == "folder"), name
        if spec.kind == "choice":
            assert default in spec.choices, name


def test_loading_puts_the_platform_folders_in_place(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env["STREAMIMAGES_CONFIG"] = str(tmp_path / "none.toml")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = Settings.load(env)
    assert settings.stream_images_dir.is_relative_to(tmp_path / "data")
    assert settings.image_cache_dir.is_relative_to(tmp_path / "cache")
    assert PLATFORM_FOLDER not in settings
