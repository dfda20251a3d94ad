"""Settings: defaults <- config file <- environment <- command line, each declared once.

A setting is one field of `Settings`, its default given by one of the helpers below, which
also declares its `Spec` (kind, range or choices, unit, help): `SPECS` pairs the fields with
the specs in the order they were declared. Parsing, the unknown-key check, `--help` and the
README table are all derived from `SPECS`, so a new setting is one new line here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from streamimages_desktop.core import paths
from streamimages_desktop.core.errors import UserError
from streamimages_desktop.core.record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms at start-up)
if TYPE_CHECKING:
    from typing import Any, Literal

    Kind = Literal["int", "float", "folder", "extensions", "switch", "text", "choice"]

EXTENSION_CHOICES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp")
DEFAULT_EXTENSIONS = frozenset(EXTENSION_CHOICES)
# Pillow's own default (PIL.Image.MAX_IMAGE_PIXELS, a test checks it), written out so reading
# the settings (every command, even --help) does not import Pillow.
PILLOW_MAX_PIXELS = 1024 * 1024 * 1024 // 4 // 3
CONFIG_ENV = "STREAMIMAGES_CONFIG"

# The memory cache's eviction policies (core/workbench/policies' names, which a test keeps
# equal), written out so reading the settings never imports the workbench.
CACHE_POLICIES = ("seed", "lru", "fifo", "clock", "sieve", "s3fifo", "wtinylfu", "arc")
SWITCH_WORDS = {"true": True, "1": True, "yes": True, "on": True}
SWITCH_WORDS |= {"false": False, "0": False, "no": False, "off": False}


class SettingsError(UserError, ValueError):
    """A setting with a bad value; the message names it and what it accepts."""


class Spec(Record):
    """What a setting accepts and how it is explained.

    Attributes:
        kind: how a raw value is parsed.
        help: one line for --help, the README and tooltips.
        unit: shown after numbers ("MB", "hours"); "" for none.
        low, high: the accepted range of a number, both included.
        default_text: how the default reads where it is not a literal (the folders).
        live: may be changed while the window runs (LiveSettings.change).
        choices: the words a "choice" accepts.
        default_factory: a folder's default, made when the settings are loaded.
    """

    kind: Kind
    help: str
    unit: str = ""
    low: float = 0.0
    high: float = 0.0
    default_text: str = ""
    live: bool = False
    choices: tuple[str, ...] = ()
    default_factory: Callable[[], Path] | None = None


# Each helper declares one setting: it appends its spec here and gives the field's default.
_DECLARED: list[Spec] = []

# A folder's default depends on the environment the settings are loaded in, so the class holds
# this stand-in and `load()` puts the platform's folder in its place. A path with a NUL byte
# fails any use at once rather than naming a real folder.
PLATFORM_FOLDER = Path("\0platform folder")


def _declare(default: Any, spec: Spec) -> Any:
    _DECLARED.append(spec)
    return default


def _number(
    default: float, low: float, high: float, unit: str, help: str, live: bool = False
) -> Any:
    kind: Kind = "int" if isinstance(default, int) else "float"
    return _declare(default, Spec(kind, help, unit, low, high, live=live))


def _folder(factory: Callable[[], Path], default_text: str, help: str) -> Any:
    spec = Spec("folder", help, default_text=default_text, default_factory=factory)
    return _declare(PLATFORM_FOLDER, spec)


def _switch(default: bool, help: str) -> Any:
    return _declare(default, Spec("switch", help))


def _text(default: str, default_text: str, help: str) -> Any:
    """A free string (a URL, a password); `default_text` is how the default reads."""
    return _declare(default, Spec("text", help, default_text=default_text))


def _choice(default: str, choices: tuple[str, ...], help: str, live: bool = False) -> Any:
    return _declare(default, Spec("choice", help, choices=choices, live=live))


def _extensions(help: str) -> Any:
    return _declare(DEFAULT_EXTENSIONS, Spec("extensions", help))


class Settings(Record):
    """Every setting the application reads. Build with `Settings.load()` (which also puts the
    platform's folders in place of `PLATFORM_FOLDER`); change a copy with `_replace`."""

    max_stream_images_per_stream: int = _number(
        50, 1, 1_000_000, "images", "most images one stream may hold"
    )
    max_image_upload_size_mb: float = _number(
        20.0, 0.001, 4096, "MB", "largest image file an import accepts"
    )
    image_cache_max_memory_mb: float = _number(
        500.0, 1, 65536, "MB", "memory for decoded thumbnails in the window", live=True
    )
    image_cache_ttl_hours: float = _number(
        24.0, 0.001, 87600, "hours", "how long a cached thumbnail stays fresh", live=True
    )
    image_cache_policy: str = _choice(
        "seed",
        CACHE_POLICIES,
        "which thumbnails the window's memory cache evicts first (the Cache pane's Policy)",
        live=True,
    )
    image_cache_max_disk_mb: float = _number(
        2048.0, 1, 1_048_576, "MB", "disk space for the rendition cache"
    )
    # Pillow refuses more than its own MAX_IMAGE_PIXELS anyway (its warning is an error here).
    image_max_pixels: int = _number(
        PILLOW_MAX_PIXELS,
        1,
        PILLOW_MAX_PIXELS,
        "pixels",
        "largest picture an import decodes (Pillow's own limit is the most)",
    )
    image_trash_days: float = _number(
        30.0, 0.001, 36500, "days", "how long deleted images wait in the trash before purging"
    )
    viewer_slideshow_seconds: float = _number(
        4.0, 0.5, 3600, "seconds", "how long the viewer's slideshow shows each image"
    )
    viewer_display_max_px: int = _number(
        2560, 256, 8192, "pixels", "longest side of the viewer's display renditions"
    )
    stream_images_dir: Path = _folder(
        paths.default_library_dir, "user data dir / stream_images", "the library folder"
    )
    image_cache_dir: Path = _folder(
        paths.default_cache_dir, "user cache dir / image_cache", "the rendition cache folder"
    )
    allowed_image_extensions: frozenset[str] = _extensions("file types an import accepts")
    library_backup_interval_hours: float = _number(
        24.0, 0.001, 87600, "hours", "at most one library snapshot per this many hours"
    )
    library_backups_kept: int = _number(
        7, 0, 1000, "snapshots", "how many library snapshots to keep (0: none)"
    )
    start_on_air: bool = _switch(False, "the window starts on air, showing only what viewers see")
    export_jpeg_quality: int = _number(
        92, 1, 100, "", "JPEG quality of exported and handed-off images"
    )
    obs_websocket_url: str = _text(
        "ws://127.0.0.1:4455", "ws://127.0.0.1:4455", "where OBS Studio's obs-websocket listens"
    )
    # Kept in settings.toml, which is written owner-only (0600); never printed.
    obs_websocket_password: str = _text("", "(none)", "obs-websocket's password (owner-only)")
    # A team library (core/library_location.py): both URLs set means the team library is open
    # instead of STREAM_IMAGES_DIR. Credentials are kept like the OBS password, never printed.
    stream_images_database_url: str = _text(
        "", "(none: the local library)", "a team library's PostgreSQL URL (postgresql://...)"
    )
    stream_images_blob_url: str = _text(
        "", "(none)", "a team library's originals: s3://bucket/prefix"
    )
    stream_images_blob_endpoint: str = _text(
        "", "(the provider's)", "the S3-compatible server of STREAM_IMAGES_BLOB_URL (http://...)"
    )
    stream_images_blob_access_key: str = _text("", "(none)", "your storage access key")
    stream_images_blob_secret_key: str = _text("", "(none)", "your storage secret key (owner-only)")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_image_upload_size_mb * 1024 * 1024)

    @property
    def memory_limit_bytes(self) -> int:
        return int(self.image_cache_max_memory_mb * 1024 * 1024)

    @property
    def disk_limit_bytes(self) -> int:
        return int(self.image_cache_max_disk_mb * 1024 * 1024)

    @property
    def ttl_seconds(self) -> float:
        return self.image_cache_ttl_hours * 3600.0

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        config_file: Path | None = None,
        library: Path | None = None,
        cache_dir: Path | None = None,
        library_url: str | None = None,
    ) -> Settings:
        """Defaults, then the TOML config file, then the environment, then the arguments."""
        env = os.environ if env is None else env
        file = config_file or config_path(env)
        raw: dict[str, object] = {}
        for key, value in read_config(file).items():
            raw[key.upper()] = value
        raw.update({k: v for k, v in env.items() if k in SPECS})
        settings = cls(**{name.lower(): parse(name, value) for name, value in raw.items()})
        if library is not None:  # a folder given on the command line means the local library
            settings = settings._replace(
                stream_images_dir=library,
                stream_images_database_url="",
                stream_images_blob_url="",
            )
        if library_url is not None:
            settings = settings._replace(stream_images_database_url=library_url)
        if cache_dir is not None:
            settings = settings._replace(image_cache_dir=cache_dir)
        folders = {}
        for name, spec in SPECS.items():
            folder = getattr(settings, name.lower())
            if spec.default_factory is not None and folder is PLATFORM_FOLDER:
                folder = spec.default_factory()
            if spec.kind == "folder":
                # Absolute: the window shows where it is, and a later chdir changes nothing.
                folders[name.lower()] = folder.expanduser().absolute()
        return settings._replace(**folders)


def _declared() -> Iterator[tuple[str, Spec]]:
    """(NAME, spec) of each field: the helpers ran in the fields' order, one per field."""
    if len(_DECLARED) != len(Settings._fields):
        raise TypeError("every field of Settings takes its default from one helper")
    for name, spec in zip(Settings._fields, _DECLARED, strict=True):
        yield name.upper(), spec


SPECS: dict[str, Spec] = dict(_declared())


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: $STREAMIMAGES_CONFIG, or settings.toml in the user's config folder."""
    env = os.environ if env is None else env
    return Path(env.get(CONFIG_ENV, "") or paths.default_config_file())


def read_config(file: Path) -> dict[str, object]:
    """The config file's keys as written (none if it does not exist); an unknown key is refused."""
    if file.is_dir():  # never the user's intent (/dev/null, which reads as empty, is fine)
        raise SettingsError(f"config file {file}: a folder, not a file")
    if not file.is_file():
        return {}
    import tomllib  # here: most runs have no config file, and every command reads settings

    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"config file {file}: {exc}") from None
    for key in data:
        check_known(key, where=str(file))
    return data


def check_known(key: str, *, where: str) -> str:
    """The setting's name for `key` (any case); an unknown one names the nearest real key."""
    name = key.upper()
    if name in SPECS:
        return name
    import difflib  # only to name the nearest key of a mistyped one

    near = difflib.get_close_matches(name, SPECS, n=1)
    hint = f" (did you mean {near[0]}?)" if near else ""
    raise SettingsError(f"{where}: unknown setting {key}{hint}")


def _num(value: float) -> str:
    """1000000 and 0.001, never 1e+06."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse(name: str, raw: object) -> Any:
    """The value of setting `name` from an environment string or a TOML value."""
    spec = SPECS[name]
    text = " ".join(map(str, raw)) if isinstance(raw, list) else str(raw).strip()
    if spec.kind == "folder":
        if not text:
            raise SettingsError(f"{name} is empty: expected a folder path")
        if "\0" in text:  # no system takes a NUL in a path; os calls would raise later
            raise SettingsError(f"{name}: a folder path has no NUL character")
        return Path(os.path.expanduser(text))
    if spec.kind == "text":
        if isinstance(raw, list | dict | bool) or not str(raw).isprintable():
            raise SettingsError(f"{name}: expected {range_text(name)}")
        return str(raw)
    if spec.kind == "extensions":
        parts = text.replace(",", " ").split()
        exts = frozenset(("." + p.lstrip(".")).lower() for p in parts if p.strip("."))
        if not exts or exts - DEFAULT_EXTENSIONS:
            raise SettingsError(f"{name}={raw!r}: expected {range_text(name)}")
        return exts
    if spec.kind == "choice":
        if text.lower() not in spec.choices:
            raise SettingsError(f"{name}={str(raw)!r}: expected {range_text(name)}")
        return text.lower()
    if spec.kind == "switch":
        if text.lower() not in SWITCH_WORDS:
            raise SettingsError(f"{name}={str(raw)!r}: expected {range_text(name)}")
        return SWITCH_WORDS[text.lower()]
    value: float | None
    try:
        value = int(text) if spec.kind == "int" else float(text)
    except ValueError:
        value = None
    if isinstance(raw, bool) or value is None or not math.isfinite(value):
        value = None
    if value is None or not (spec.low <= value <= spec.high):
        what = "a whole number" if spec.kind == "int" else "a number"
        raise SettingsError(f"{name}={str(raw)!r}: expected {what} {range_text(name)}")
    return value


# -- descriptions: --help, the README table, tooltips -----------------------------------------


def range_text(name: str) -> str:
    """ "from 1 to 65536" or "some of .jpg .jpeg ..." or "a folder path"."""
    spec = SPECS[name]
    if spec.kind == "folder":
        return "a folder path"
    if spec.kind == "extensions":
        return f"some of {' '.join(EXTENSION_CHOICES)}"
    if spec.kind == "switch":
        return "true or false"
    if spec.kind == "text":
        return "one line of text"
    if spec.kind == "choice":
        return f"one of {', '.join(spec.choices)}"
    return f"from {_num(spec.low)} to {_num(spec.high)}"


def default_text(name: str) -> str:
    """The default as a person reads it ("500", "user data dir / stream_images")."""
    spec = SPECS[name]
    if spec.default_text:
        return spec.default_text
    default = Settings._field_defaults[name.lower()]
    if spec.kind == "extensions":
        return " ".join(e for e in EXTENSION_CHOICES if e in default)
    if spec.kind == "switch":
        return "true" if default else "false"
    if spec.kind == "choice":
        return str(default)
    return _num(default)


def settings_help_text() -> str:
    """The --help epilog: every setting, its default, range, unit and help, two lines each."""
    lines = ["settings (environment variables, or keys in settings.toml or $STREAMIMAGES_CONFIG):"]
    for name, spec in SPECS.items():
        unit = f" {spec.unit}" if spec.unit else ""
        limits = "some of these" if spec.kind == "extensions" else range_text(name)
        lines.append(f"  {name}  default {default_text(name)}{unit}; {limits}")
        lines.append(f"      {spec.help}")
    return "\n".join(lines)


def toml_value(value: object) -> str:
    """A TOML literal for a setting's value: a number, a string or an array of strings."""
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _num(value)
    if isinstance(value, frozenset | set | list | tuple):
        items = sorted(value) if isinstance(value, frozenset | set) else value
        return "[" + ", ".join(toml_value(str(v)) for v in items) + "]"
    escapes = {'"': '\\"', "\\": "\\\\"}
    escaped = "".join(
        escapes.get(c) or (c if c.isprintable() else f"\\U{ord(c):08x}") for c in str(value)
    )
    return f'"{escaped}"'
