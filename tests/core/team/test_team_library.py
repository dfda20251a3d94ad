"""The team library through the manager, as its owner and as members made by `team_admin`:
each member's own logins, to the database and to storage, show nothing above their level."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError

from streamimages_desktop.core.errors import StaleEdit
from streamimages_desktop.core.importer import ImportOptions, ImportStatus
from streamimages_desktop.core.library_location import TeamLibrary, location_of
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, StreamImage, Viewer, Visibility
from streamimages_desktop.core.s3_connection import make_client
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.team_store import TeamStore
from tests.backends import member_settings, original_names, team_settings
from tests.images import image_bytes

SECRET = "secret plans"


@pytest.fixture
def owner_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return team_settings(settings, request)


@pytest.fixture
def owner(owner_settings: Settings) -> Iterator[StreamImageManager]:
    with StreamImageManager(owner_settings) as manager:
        yield manager


def add(
    manager: StreamImageManager, visibility: Visibility, seed: int, title: str = ""
) -> StreamImage:
    data = image_bytes("PNG", (48, 32), seed=seed)
    options = ImportOptions(visibility, title=title or None)
    result = manager.import_bytes(OWNER, "live", data, f"img{seed}.png", options)
    assert result.image_id is not None, result.reason
    return manager.image(OWNER, result.image_id)


def private_key(settings: Settings, image: StreamImage) -> tuple[str, str]:
    location = location_of(settings)
    assert isinstance(location, TeamLibrary)
    ext = image.original_name.rsplit(".", 1)[-1]
    key = f"{location.prefix}/private/{image.sha256[:2]}/{image.sha256}.{ext}"
    return location.bucket, key


def raw_get(settings: Settings, bucket: str, key: str) -> bytes:
    client = make_client(
        "s3",
        settings.stream_images_blob_endpoint,
        settings.stream_images_blob_access_key,
        settings.stream_images_blob_secret_key,
    )
    return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_subscribers_member_cannot_read_a_private_image_raw_while_an_all_member_can(
    owner: StreamImageManager, owner_settings: Settings
) -> None:
    secret = add(owner, Visibility.PRIVATE, 1, SECRET)
    add(owner, Visibility.SUBSCRIBERS, 2, "for subscribers")
    name = f"sub{secret.id[:8]}"
    low = member_settings(owner_settings, name, "subscribers")
    high = member_settings(owner_settings, f"mod{secret.id[:8]}", "all")
    bucket, key = private_key(owner_settings, secret)
    # raw S3 with the member's own keys: the server refuses; the moderator's keys read it
    with pytest.raises(ClientError) as refused:
        raw_get(low, bucket, key)
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403")
    assert raw_get(high, bucket, key) == owner.original(OWNER, secret.id)
    # raw SQL with the member's own login: no row, no count, no search hit
    with psycopg.connect(low.stream_images_database_url) as conn:
        titles = {r[0] for r in conn.execute("SELECT title FROM images")}
        assert SECRET not in titles and titles == {"for subscribers"}
        assert conn.execute(
            "SELECT count(*) FROM images WHERE visibility = 'private'"
        ).fetchone() == (0,)
    with psycopg.connect(high.stream_images_database_url) as conn:
        assert SECRET in {r[0] for r in conn.execute("SELECT title FROM images")}
    # through the application: the member's highest role is subscriber, and even an owner's
    # view of the library shows them nothing private
    with StreamImageManager(low) as member:
        assert member.highest_role is Role.SUBSCRIBER and member.read_only
        shown = member.images(Viewer(Role.OWNER), "live")
        assert [i.title for i in shown] == ["for subscribers"]
        assert member.stats(Viewer(Role.OWNER), "live").private == 0
        assert member.images(Viewer(Role.OWNER), search="secret") == []
    with StreamImageManager(high) as moderator:
        assert moderator.highest_role is Role.OWNER
        assert SECRET in {i.title for i in moderator.images(OWNER, "live")}


def test_a_visibility_change_moves_the_original_to_its_folder(
    owner: StreamImageManager, owner_settings: Settings
) -> None:
    image = add(owner, Visibility.PRIVATE, 3)
    bucket, private = private_key(owner_settings, image)
    raw_get(owner_settings, bucket, private)
    owner.update_image(OWNER, image.id, visibility=Visibility.PUBLIC)
    public = private.replace("/private/", "/public/")
    assert raw_get(owner_settings, bucket, public) == owner.original(OWNER, image.id)
    with pytest.raises(ClientError):
        raw_get(owner_settings, bucket, private)
    owner.set_visibility(OWNER, {image.id: Visibility.SUBSCRIBERS})
    assert original_names(owner_settings) == [f"{image.sha256}.png"]  # one copy, moved
    assert owner.original(OWNER, image.id)


def test_orphans_in_storage_are_collected_by_the_owner_only(
    owner: StreamImageManager, owner_settings: Settings
) -> None:
    kept = add(owner, Visibility.PUBLIC, 4)
    stray = image_bytes("PNG", (20, 20), seed=99)
    import hashlib

    owner._blobs.put(stray, hashlib.sha256(stray).hexdigest(), "PNG", Visibility.PRIVATE)
    assert len(original_names(owner_settings)) == 2
    viewer_only = member_settings(owner_settings, f"pub{kept.id[:8]}", "public")
    with StreamImageManager(viewer_only) as member:
        assert member.collect_orphans(grace_seconds=0).skipped  # it cannot see every row
    assert len(original_names(owner_settings)) == 2
    report = owner.collect_orphans(grace_seconds=0)
    assert report.originals == 1
    assert original_names(owner_settings) == [f"{kept.sha256}.png"]


def test_an_edit_based_on_a_stale_version_is_refused(
    owner: StreamImageManager, owner_settings: Settings
) -> None:
    image = add(owner, Visibility.PUBLIC, 5, "first")
    mod = member_settings(owner_settings, f"ed{image.id[:8]}", "all", can_edit=True)
    with StreamImageManager(mod) as other:
        other.update_image(OWNER, image.id, title="theirs", expected_version=image.version)
    with pytest.raises(StaleEdit):
        owner.update_image(OWNER, image.id, title="mine", expected_version=image.version)
    assert owner.image(OWNER, image.id).title == "theirs"


def test_unreachable_storage_refuses_an_import_in_one_line_and_writes_no_row(
    owner_settings: Settings,
) -> None:
    endpoint = owner_settings.stream_images_blob_endpoint
    port = endpoint.rsplit(":", 1)[1]
    away = owner_settings._replace(stream_images_blob_endpoint=endpoint.replace(port, "1"))
    with StreamImageManager(away) as manager:
        data = image_bytes("PNG", (30, 20), seed=7)
        result = manager.import_bytes(OWNER, "live", data, "x.png", ImportOptions())
        assert result.image_id is None and result.reason is not None
        assert result.reason.startswith("cannot reach the team storage"), result.reason
        assert "\n" not in result.reason
        assert manager.count(OWNER) == 0


def test_a_lost_connection_during_a_batch_import_leaves_whole_files_only(
    owner: StreamImageManager,
    owner_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server drops the importing connection inside a group's transaction: that group's
    files are refused in one line each and nothing of them is written (no row; their
    uploads are only orphans), the other groups go in, and the same import run again
    brings in the rest."""
    files = [tmp_path / f"in/{n:02d}.png" for n in range(40)]
    for n, path in enumerate(files):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(image_bytes("PNG", (40, 30), seed=200 + n))
    real = TeamStore.insert_images
    cut: list[int] = []

    def drop_inside(self: TeamStore, images: Any, *args: Any, **kwargs: Any) -> Any:
        if not cut:  # the first group: its own connection is ended mid-transaction
            with self.transaction() as conn:
                pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                with psycopg.connect(owner_settings.stream_images_database_url) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                cut.append(pid)
                return real(self, images, *args, **kwargs)
        return real(self, images, *args, **kwargs)

    monkeypatch.setattr(TeamStore, "insert_images", drop_inside)
    first = owner.import_paths(OWNER, "live", files)
    monkeypatch.undo()
    assert cut
    refused = [r for r in first if r.image_id is None]
    assert refused, "the dropped group's files are refused"
    for result in refused:
        assert result.reason is not None and "\n" not in result.reason
        assert "went away; try again" in result.reason, result.reason
    stored = {r.image_id for r in first if r.image_id is not None}
    shown = owner.images(OWNER, "live")
    assert {i.id for i in shown} == stored  # what was reported imported is there, no more
    for image in shown:  # and each row's original is in storage
        assert owner.original(OWNER, image.id)
    again = owner.import_paths(OWNER, "live", files)
    assert sum(r.status is ImportStatus.IMPORTED for r in again) == len(refused)
    assert owner.count(OWNER, "live") == len(files)
