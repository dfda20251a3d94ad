"""A read-only library, made read-only for real: browsing works, every write refuses in one line.

The sandbox runs as root, whom file modes do not stop. Tried in order, the first that works
is used and named in the output: `chattr +i`, a read-only bind mount in a user namespace, the
command run as the user nobody with the library only readable. TEST_READ_ONLY_METHOD=chattr,
bind or nobody forces one (to try each where several work).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from streamimages_desktop.core.settings import Settings
from tests.images import image_bytes, write_image

ROOT = Path(__file__).parents[2]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
BIND_RO = ["unshare", "-rm", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"']


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@dataclass
class ReadOnly:
    """How the library folder `lib` is made read-only and how a command is run against it."""

    method: str
    base: Path
    prefix: list[str] = field(default_factory=list)

    @property
    def lib(self) -> Path:
        return self.base / "lib"

    def lock(self) -> None:
        if self.method == "chattr +i":
            subprocess.run(["chattr", "-R", "+i", self.lib], check=True)
        elif self.method == "non-root user (setpriv)":
            subprocess.run(["chmod", "-R", "a+rX,go-w", self.lib], check=True)

    def unlock(self) -> None:
        if self.method == "chattr +i":
            subprocess.run(["chattr", "-R", "-i", self.lib], check=True)

    def run(self, *args: str | Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
        """The CLI (or a Python snippet) on the locked library, with a fresh writable cache."""
        python = [sys.executable, "-c", code] if code else [sys.executable, "-m",
                                                            "streamimages_desktop"]  # fmt: skip
        home = self.base / "home"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "STREAM_IMAGES_DIR": str(self.lib),
            "IMAGE_CACHE_DIR": str(self.base / "cache-ro"),
        }
        return subprocess.run(
            [*self.prefix, *python, *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.base,
            timeout=60,
        )


def _choose(tmp_path: Path) -> ReadOnly:
    probe = tmp_path / "probe"
    probe.mkdir()
    forced = os.environ.get("TEST_READ_ONLY_METHOD")
    if forced in (None, "chattr") and _works(["chattr", "+i", probe]):
        subprocess.run(["chattr", "-i", probe], check=True)
        return ReadOnly("chattr +i", tmp_path)
    if forced in (None, "bind") and _works([*BIND_RO, probe, "sh", "-c", f"! touch {probe}/x"]):
        return ReadOnly("read-only bind mount", tmp_path, [*BIND_RO, str(tmp_path / "lib")])
    if forced in (None, "nobody") and _works([*NOBODY, "true"]):
        base = Path(tempfile.mkdtemp(prefix="streamimages-ro-"))  # tmp_path is root's alone
        os.chmod(base, 0o755)
        return ReadOnly("non-root user (setpriv)", base, NOBODY)
    pytest.fail("no way to make a read-only library here: chattr, unshare and setpriv all failed")


@pytest.fixture
def read_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[ReadOnly]:
    ro = _choose(tmp_path)
    with capsys.disabled():
        print(f"\n[read-only library made with: {ro.method}]", end=" ")
    (ro.base / "cache-ro").mkdir()
    (ro.base / "home").mkdir()
    if ro.method.startswith("non-root"):
        for name in ("cache-ro", "home"):
            os.chown(ro.base / name, 65534, 65534)
    try:
        yield ro
    finally:
        ro.unlock()
        if ro.base != tmp_path:
            shutil.rmtree(ro.base, ignore_errors=True)


def seed(ro: ReadOnly) -> dict[str, str]:
    settings = Settings.load({}, library=ro.lib, cache_dir=ro.base / "cache-seed")
    ids = {}
    with StreamImageManager(settings) as manager:
        for n, vis in enumerate(Visibility):
            result = manager.import_bytes(
                OWNER, "s1", image_bytes(seed=n), f"{vis.value}.png", ImportOptions(vis)
            )
            assert result.image_id is not None
            ids[vis.value] = result.image_id
    return ids


LEAVE_A_WAL = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.core.models import OWNER
    from streamimages_desktop.core.settings import Settings
    from tests.images import image_bytes
    settings = Settings.load({}, library=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))
    manager = StreamImageManager(settings)
    manager.import_bytes(OWNER, "s2", image_bytes(seed=9), "in the wal.png")
    os._exit(0)  # no close: the row lives only in the WAL
    """
)


def leave_a_wal(ro: ReadOnly) -> Path:
    subprocess.run(
        [sys.executable, "-c", LEAVE_A_WAL, ro.lib, ro.base / "cache-seed"],
        check=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    wal = ro.lib / f"{LIBRARY_FILE}-wal"
    assert wal.stat().st_size > 0
    return wal


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def refusal(ro: ReadOnly) -> str:
    library = ro.lib / LIBRARY_FILE
    return f"streamimages: the library {library} is read-only: nothing can be changed there\n"


@pytest.mark.parametrize("state", ["closed cleanly", "with a WAL"])
def test_browsing_works_and_every_write_refuses_with_one_line(
    read_only: ReadOnly, state: str
) -> None:
    ro = read_only
    ids = seed(ro)
    expected = 3
    if state == "with a WAL":
        leave_a_wal(ro)
        expected = 4
    new_image = write_image(ro.base / "new.png", seed=42)
    before = tree(ro.lib)
    ro.lock()

    listed = ro.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == expected
    assert ro.run("list", "--search", "public").stdout.count("public") >= 1
    assert ro.run("stats").returncode == 0
    streams = ro.run("streams", "--json")
    assert streams.returncode == 0, streams.stderr
    assert [s["id"] for s in json.loads(streams.stdout)] == (
        ["s1", "s2"] if expected == 4 else ["s1"]
    )
    for _ in range(2):  # a viewer's show is shown, its view simply not counted
        shown = ro.run("show", ids["public"], "--as", "viewer", "--json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["views"] == 0

    for write in (
        ["set", ids["public"], "--title", "new"],
        ["delete", ids["private"]],
        ["import", "--stream", "s1", new_image],
        ["check", "--repair"],
    ):
        proc = ro.run(*write)
        assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", refusal(ro)), write

    checked = ro.run("check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "note: the full-text index was not checked: the library is read-only" in checked.stdout

    flag = ro.run(
        code="from datetime import datetime, UTC\n"
        "from streamimages_desktop.core.manager import StreamImageManager as M\n"
        "from streamimages_desktop.core.settings import Settings\n"
        "from streamimages_desktop.core.store import Store\n"
        "m = M(Settings.load()); print(m.read_only); m.close()\n"
        "store = Store(Settings.load().stream_images_dir / 'library.sqlite3')\n"
        "try:\n"
        f"    store.record_view('{ids['public']}', datetime.now(UTC))\n"
        "except Exception as exc:\n"
        "    print(exc)\n"
    )
    assert flag.stdout == f"True\n{refusal(ro)[len('streamimages: ') :]}", flag.stderr
    ro.unlock()
    assert tree(ro.lib) == before  # nothing written, not even a snapshot or a -shm


def test_a_read_only_library_whose_wal_cannot_be_read_is_refused_in_one_line(
    read_only: ReadOnly,
) -> None:
    ro = read_only
    seed(ro)
    wal = leave_a_wal(ro)
    (ro.lib / f"{LIBRARY_FILE}-shm").unlink()  # and the folder will not let SQLite make one
    ro.lock()
    proc = ro.run("list")
    assert proc.returncode == 1
    assert proc.stderr == (
        f"streamimages: the library {ro.lib / LIBRARY_FILE} is read-only and {wal.name} holds"
        " changes that cannot be read without write access; open it once where it can be"
        " written\n"
    )


def test_a_writable_library_is_not_read_only(tmp_path: Path) -> None:
    settings = Settings.load({}, library=tmp_path / "lib", cache_dir=tmp_path / "cache")
    with StreamImageManager(settings) as manager:
        assert manager.read_only is False
