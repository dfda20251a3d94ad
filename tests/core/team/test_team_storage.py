"""team_storage on a real SeaweedFS: the SERVER keeps each member's key to their level.

Every check here asks the server with a raw boto3 client and the member's own keys, so what
is proven is what a leaked key could do, not what our client chooses to ask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind, UserError
from streamimages_desktop.core.models import Visibility
from streamimages_desktop.core.s3_blobs import S3BlobStore
from streamimages_desktop.core.team_storage import (
    StorageAdmin,
    StorageLevel,
    create_member_credentials,
    member_policy,
    remove_member,
    set_member_access,
    visible_at,
)
from tests.images import image_bytes
from tests.servers.seaweed import SeaweedServer

DATA = {v: image_bytes("PNG", seed=i) for i, v in enumerate(Visibility)}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def member_store(admin: StorageAdmin, keys: tuple[str, str]) -> S3BlobStore:
    return S3BlobStore(
        admin.bucket,
        admin.prefix,
        endpoint_url=admin.endpoint_url,
        access_key=keys[0],
        secret_key=keys[1],
        region=admin.region,
        attempts=1,
    )


@pytest.fixture
def library(s3_admin: StorageAdmin) -> dict[Visibility, str]:
    """One original in each visibility's folder, put there with the admin's key; their keys."""
    store = member_store(s3_admin, (s3_admin.access_key, s3_admin.secret_key))
    for visibility, data in DATA.items():
        store.put(data, sha(data), "PNG", visibility)
    return {v: store.key_for(sha(d), "PNG", v) for v, d in DATA.items()}


def denied(call: Callable[[], Any]) -> bool:
    """Whether the server refused the call (403 AccessDenied), and not for another reason."""
    try:
        call()
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        assert code in ("AccessDenied", "403"), code
        return True
    return False


def can_get(raw: Any, bucket: str, key: str) -> bool:
    return not denied(lambda: raw.get_object(Bucket=bucket, Key=key)["Body"].read())


def can_list(raw: Any, bucket: str, prefix: str) -> bool:
    return not denied(lambda: raw.list_objects_v2(Bucket=bucket, Prefix=prefix))


@pytest.mark.parametrize("level", list(StorageLevel))
def test_a_member_reads_exactly_the_folders_of_their_level(
    seaweed: SeaweedServer,
    s3_admin: StorageAdmin,
    library: dict[Visibility, str],
    level: StorageLevel,
) -> None:
    raw = seaweed.raw_client(*seaweed.member(s3_admin, level))
    bucket, prefix = s3_admin.bucket, s3_admin.prefix
    for visibility, key in library.items():
        allowed = visibility in visible_at(level)
        assert can_get(raw, bucket, key) is allowed, (level, visibility)
        assert can_list(raw, bucket, f"{prefix}/{visibility}/") is allowed, (level, visibility)
    assert not can_list(raw, bucket, f"{prefix}/")  # the whole library would list private
    assert not can_list(raw, bucket, "")


def test_a_subscribers_member_cannot_read_or_list_private_an_all_member_can(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, library: dict[Visibility, str]
) -> None:
    bucket = s3_admin.bucket
    private = f"{s3_admin.prefix}/private/"
    subscriber = seaweed.raw_client(*seaweed.member(s3_admin, StorageLevel.SUBSCRIBERS))
    everyone = seaweed.raw_client(*seaweed.member(s3_admin, StorageLevel.ALL))
    assert denied(lambda: subscriber.get_object(Bucket=bucket, Key=library[Visibility.PRIVATE]))
    assert denied(lambda: subscriber.head_object(Bucket=bucket, Key=library[Visibility.PRIVATE]))
    assert denied(lambda: subscriber.list_objects_v2(Bucket=bucket, Prefix=private))
    assert denied(lambda: subscriber.list_objects(Bucket=bucket, Prefix=private))
    body = everyone.get_object(Bucket=bucket, Key=library[Visibility.PRIVATE])["Body"].read()
    assert body == DATA[Visibility.PRIVATE]
    listed = everyone.list_objects_v2(Bucket=bucket, Prefix=private)["Contents"]
    assert [o["Key"] for o in listed] == [library[Visibility.PRIVATE]]


def test_a_member_without_edit_rights_cannot_write_delete_or_upload_parts(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, library: dict[Visibility, str]
) -> None:
    raw = seaweed.raw_client(*seaweed.member(s3_admin, StorageLevel.ALL, can_edit=False))
    bucket = s3_admin.bucket
    key = f"{s3_admin.prefix}/public/ab/new.png"
    assert denied(lambda: raw.put_object(Bucket=bucket, Key=key, Body=b"x"))
    assert denied(lambda: raw.delete_object(Bucket=bucket, Key=library[Visibility.PUBLIC]))
    assert denied(lambda: raw.create_multipart_upload(Bucket=bucket, Key=key))
    assert denied(
        lambda: raw.copy_object(
            Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": library[Visibility.PUBLIC]}
        )
    )
    assert can_get(raw, bucket, library[Visibility.PUBLIC])  # the object is still there


def test_an_editor_writes_only_in_the_folders_of_their_level(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, library: dict[Visibility, str]
) -> None:
    raw = seaweed.raw_client(*seaweed.member(s3_admin, StorageLevel.SUBSCRIBERS, can_edit=True))
    bucket, prefix = s3_admin.bucket, s3_admin.prefix
    raw.put_object(Bucket=bucket, Key=f"{prefix}/subscribers/ab/new.png", Body=b"x")
    raw.delete_object(Bucket=bucket, Key=f"{prefix}/subscribers/ab/new.png")
    assert denied(lambda: raw.put_object(Bucket=bucket, Key=f"{prefix}/private/a", Body=b"x"))
    assert denied(lambda: raw.delete_object(Bucket=bucket, Key=library[Visibility.PRIVATE]))
    assert denied(  # nor copy private bytes down to a folder it may read
        lambda: raw.copy_object(
            Bucket=bucket,
            Key=f"{prefix}/public/leak.png",
            CopySource={"Bucket": bucket, "Key": library[Visibility.PRIVATE]},
        )
    )
    assert denied(lambda: raw.put_object(Bucket=bucket, Key="elsewhere/public/a", Body=b"x"))


def test_the_blob_store_names_a_refusal_as_a_permission_problem(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, library: dict[Visibility, str]
) -> None:
    reader = member_store(s3_admin, seaweed.member(s3_admin, StorageLevel.SUBSCRIBERS))
    data = DATA[Visibility.SUBSCRIBERS]
    assert reader.read(sha(data), "PNG", Visibility.SUBSCRIBERS) == data
    for attempt in (
        lambda: reader.read(sha(DATA[Visibility.PRIVATE]), "PNG", Visibility.PRIVATE),
        lambda: reader.put(b"new", sha(b"new"), "PNG", Visibility.PUBLIC),
        lambda: reader.remove(sha(data), "PNG", Visibility.SUBSCRIBERS),
        lambda: reader.move(sha(data), "PNG", Visibility.SUBSCRIBERS, Visibility.PUBLIC),
    ):
        with pytest.raises(EnvironmentProblem) as caught:
            attempt()
        assert caught.value.kind is ProblemKind.PERMISSION
    assert reader.read(sha(data), "PNG", Visibility.SUBSCRIBERS) == data


def test_an_all_level_editor_does_everything_through_the_blob_store(
    seaweed: SeaweedServer, s3_admin: StorageAdmin
) -> None:
    store = member_store(s3_admin, seaweed.member(s3_admin, StorageLevel.ALL, can_edit=True))
    data = image_bytes("JPEG", seed=9)
    digest = sha(data)
    assert store.put(data, digest, "JPEG", Visibility.PRIVATE) is True
    assert store.put(data, digest, "JPEG", Visibility.PRIVATE) is False
    store.move(digest, "JPEG", Visibility.PRIVATE, Visibility.SUBSCRIBERS)
    assert store.read(digest, "JPEG", Visibility.SUBSCRIBERS) == data
    assert [(s, v) for s, v, _f, _m in store.stored()] == [(digest, Visibility.SUBSCRIBERS)]
    assert store.clean_leftovers(grace=0) == 0
    store.remove(digest, "JPEG", Visibility.SUBSCRIBERS)
    assert list(store.stored()) == []


def test_a_level_change_applies_at_once_with_the_same_key(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, library: dict[Visibility, str]
) -> None:
    name = "level-change"
    keys = create_member_credentials(s3_admin, name, StorageLevel.PUBLIC, can_edit=False)
    raw = seaweed.raw_client(*keys)
    bucket = s3_admin.bucket
    assert not can_get(raw, bucket, library[Visibility.SUBSCRIBERS])
    set_member_access(s3_admin, name, StorageLevel.SUBSCRIBERS, can_edit=False)
    assert can_get(raw, bucket, library[Visibility.SUBSCRIBERS])
    set_member_access(s3_admin, name, StorageLevel.PUBLIC, can_edit=False)
    assert not can_get(raw, bucket, library[Visibility.SUBSCRIBERS])
    remove_member(s3_admin, name)


def test_only_an_all_level_editor_may_list_unfinished_uploads(
    seaweed: SeaweedServer, s3_admin: StorageAdmin
) -> None:
    """Housekeeping's listing names every folder's uploads: level all and edit rights only."""
    name = "housekeeper"
    store = member_store(s3_admin, create_member_credentials(s3_admin, name, "all", True))
    assert store.clean_leftovers(grace=0) == 0
    set_member_access(s3_admin, name, StorageLevel.SUBSCRIBERS, can_edit=True)
    with pytest.raises(EnvironmentProblem) as caught:
        store.clean_leftovers(grace=0)
    assert caught.value.kind is ProblemKind.PERMISSION
    set_member_access(s3_admin, name, StorageLevel.ALL, can_edit=True)
    assert store.clean_leftovers(grace=0) == 0
    set_member_access(s3_admin, name, StorageLevel.ALL, can_edit=False)
    with pytest.raises(EnvironmentProblem):
        store.clean_leftovers(grace=0)
    remove_member(s3_admin, name)
    # and no one else's listing: another library's prefix in the same bucket
    other = seaweed.new_admin()
    keys = create_member_credentials(other, "elsewhere", "all", True)
    raw = seaweed.raw_client(*keys)
    assert denied(lambda: raw.list_multipart_uploads(Bucket=s3_admin.bucket, Prefix="t"))
    assert denied(
        lambda: raw.list_multipart_uploads(Bucket=s3_admin.bucket, Prefix=f"{s3_admin.prefix}/")
    )
    assert not denied(
        lambda: raw.list_multipart_uploads(Bucket=other.bucket, Prefix=f"{other.prefix}/")
    )
    remove_member(other, "elsewhere")


def test_a_removed_member_s_key_stops_working(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, library: dict[Visibility, str]
) -> None:
    name = "leaving"
    store = member_store(s3_admin, create_member_credentials(s3_admin, name, "all", False))
    data = DATA[Visibility.PUBLIC]
    assert store.read(sha(data), "PNG", Visibility.PUBLIC) == data
    remove_member(s3_admin, name)
    remove_member(s3_admin, name)  # gone already: fine
    with pytest.raises(EnvironmentProblem) as caught:
        store.read(sha(data), "PNG", Visibility.PUBLIC)
    assert caught.value.kind is ProblemKind.CREDENTIALS


def test_a_taken_or_invalid_name_is_a_user_error(s3_admin: StorageAdmin) -> None:
    create_member_credentials(s3_admin, "twice", StorageLevel.PUBLIC, can_edit=False)
    try:
        with pytest.raises(UserError, match="already has a member named 'twice'"):
            create_member_credentials(s3_admin, "twice", StorageLevel.ALL, can_edit=True)
        with pytest.raises(UserError, match="invalid member name"):
            create_member_credentials(s3_admin, "no spaces", StorageLevel.ALL, can_edit=True)
        with pytest.raises(UserError, match="no member named"):
            set_member_access(s3_admin, "nobody-here", StorageLevel.ALL, can_edit=True)
    finally:
        remove_member(s3_admin, "twice")


def test_a_non_admin_key_may_not_make_members(
    seaweed: SeaweedServer, s3_admin: StorageAdmin
) -> None:
    access, secret = seaweed.member(s3_admin, StorageLevel.ALL, can_edit=True)
    editor = StorageAdmin(s3_admin.endpoint_url, s3_admin.bucket, s3_admin.prefix, access, secret)
    with pytest.raises(EnvironmentProblem) as caught:
        create_member_credentials(editor, "escalated", StorageLevel.ALL, can_edit=True)
    assert caught.value.kind is ProblemKind.PERMISSION


def test_a_wrong_admin_secret_is_a_credentials_problem(s3_admin: StorageAdmin) -> None:
    wrong = StorageAdmin(
        s3_admin.endpoint_url, s3_admin.bucket, s3_admin.prefix, s3_admin.access_key, "nope"
    )
    with pytest.raises(EnvironmentProblem) as caught:
        create_member_credentials(wrong, "someone", StorageLevel.ALL, can_edit=False)
    assert caught.value.kind is ProblemKind.CREDENTIALS
    assert s3_admin.endpoint_url in str(caught.value)


def test_the_policy_names_only_the_level_s_folders() -> None:
    policy = member_policy("team-bucket", "lib", StorageLevel.SUBSCRIBERS, can_edit=False)
    text = str(policy)
    assert "lib/public/" in text and "lib/subscribers/" in text
    assert "private" not in text
    assert "PutObject" not in text and "DeleteObject" not in text
