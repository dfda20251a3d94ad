"""Settings: defaults <- config file <- environment <- command line, each declared once."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from PIL import Image

from streamimages_desktop.core import paths

DEFAULT_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"})


class SettingsError(ValueError):
    """A setting with a bad value; the message names it and what it accepts."""


def _number(kind: type, low: float, high: float) -> Callable[[str, str], Any]:
    def parse(name: str, raw: str) -> Any:
        try:
            value = kind(str(raw).strip())
        except ValueError:
            value = None
        if value is None or not (low <= value <= high) or value != value:
            raise SettingsError(
                f"{name}={raw!r}: expected {'a whole number' if kind is int else 'a number'} "
                f"from {low:g} to {high:g}"
            )
        return value

    return parse


def _path(name: str, raw: str) -> Path:
    if not str(raw).strip():
        raise SettingsError(f"{name} is empty: expected a folder path")
    return Path(os.path.expanduser(str(raw).strip()))


def _extensions(name: str, raw: str) -> frozenset[str]:
    parts = str(raw).replace(",", " ").split()
    exts = frozenset(("." + p.lstrip(".")).lower() for p in parts if p.strip("."))
    unknown = exts - DEFAULT_EXTENSIONS
    if not exts or unknown:
        raise SettingsError(
            f"{name}={raw!r}: expected some of {' '.join(sorted(DEFAULT_EXTENSIONS))}"
        )
    return exts


@dataclass(frozen=True)
class Settings:
    """Every setting the application reads. Build with `Settings.load()`."""

    max_stream_images_per_stream: int = 50
    max_image_upload_size_mb: float = 20.0
    image_cache_max_memory_mb: float = 500.0
    image_cache_ttl_hours: float = 24.0
    image_cache_max_disk_mb: float = 2048.0
    image_max_pixels: int = int(Image.MAX_IMAGE_PIXELS or 89_478_485)
    stream_images_dir: Path = field(default_factory=paths.default_library_dir)
    image_cache_dir: Path = field(default_factory=paths.default_cache_dir)
    allowed_image_extensions: frozenset[str] = DEFAULT_EXTENSIONS
    library_backup_interval_hours: float = 24.0
    library_backups_kept: int = 7

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
    ) -> Settings:
        """Defaults, then the TOML config file, then the environment, then the arguments."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        file = config_file or Path(
            env.get("STREAMIMAGES_CONFIG", "") or paths.default_config_file()
        )
        raw: dict[str, str] = {}
        if file.is_file():
            try:
                raw.update({k.upper(): str(v) for k, v in tomllib.loads(file.read_text()).items()})
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise SettingsError(f"config file {file}: {exc}") from None
        raw.update({k: v for k, v in env.items() if k in _PARSERS})
        for name, value in raw.items():
            parser = _PARSERS.get(name)
            if parser is not None:
                values[name.lower()] = parser(name, value)
        settings = cls(**values)
        if library is not None:
            settings = replace(settings, stream_images_dir=library)
        if cache_dir is not None:
            settings = replace(settings, image_cache_dir=cache_dir)
        # Absolute, so the window shows where the library is and a later chdir changes nothing.
        return replace(
            settings,
            stream_images_dir=settings.stream_images_dir.expanduser().absolute(),
            image_cache_dir=settings.image_cache_dir.expanduser().absolute(),
        )


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "MAX_STREAM_IMAGES_PER_STREAM": _number(int, 1, 1_000_000),
    "MAX_IMAGE_UPLOAD_SIZE_MB": _number(float, 0.001, 4096),
    "IMAGE_CACHE_MAX_MEMORY_MB": _number(float, 1, 65536),
    "IMAGE_CACHE_TTL_HOURS": _number(float, 0.001, 87600),
    "IMAGE_CACHE_MAX_DISK_MB": _number(float, 1, 1_048_576),
    # Pillow refuses more than its own MAX_IMAGE_PIXELS anyway (its warning is an error here).
    "IMAGE_MAX_PIXELS": _number(int, 1, int(Image.MAX_IMAGE_PIXELS or 89_478_485)),
    "STREAM_IMAGES_DIR": _path,
    "IMAGE_CACHE_DIR": _path,
    "ALLOWED_IMAGE_EXTENSIONS": _extensions,
    "LIBRARY_BACKUP_INTERVAL_HOURS": _number(float, 0.001, 87600),
    "LIBRARY_BACKUPS_KEPT": _number(int, 0, 1000),  # 0: no snapshots
}
assert {f.name.upper() for f in fields(Settings)} == set(_PARSERS)
