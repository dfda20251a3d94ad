"""Hermetic test set-up: offscreen Qt, every folder under tmp_path, no user settings read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

from streamimages_desktop.core.settings import Settings
from tests.backends import pytest_generate_tests as pytest_generate_tests
from tests.backends import team_settings

# The real servers some tests need: a session-wide PostgreSQL (a fresh database per test)
# and SeaweedFS (a prefix per test), each started on first use.
pytest_plugins = ["tests.servers.postgres", "tests.servers.seaweed"]


@pytest.fixture(autouse=True)
def _hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's settings, library or cache."""
    for name in list(os.environ):
        if name.startswith(
            (
                "STREAM_IMAGES",
                "IMAGE_",
                "MAX_",
                "ALLOWED_IMAGE",
                "STREAMIMAGES_",
                "VIEWER_",
                "EXPORT_",
                "OBS_",
            )
        ):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings with the library and cache in tmp_path and everything else at its default.

    In a module marked `both_backends` every test runs twice: on the local library and on
    a team library (a fresh PostgreSQL database and a storage prefix of its own, on the
    session's real servers), as the team's owner (tests/backends.py).
    """
    local = Settings.load(
        {},
        library=tmp_path / "library",
        cache_dir=tmp_path / "cache",
        config_file=tmp_path / "none",
    )
    if getattr(request, "param", "local") == "team":
        return team_settings(local, request)
    return local
