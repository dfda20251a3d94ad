"""s3_blobs on a real SeaweedFS: content-addressed keys per visibility, checked uploads, parts,
moves, the orphan collector's listing, and each failure named by its ProblemKind."""

from __future__ import annotations

import hashlib
import time

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError, EndpointConnectionError

from streamimages_desktop.core import s3_blobs
from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind
from streamimages_desktop.core.models import Visibility
from streamimages_desktop.core.s3_blobs import MiB, S3BlobStore
from streamimages_desktop.core.team_storage import StorageAdmin
from tests.images import image_bytes
from tests.servers.seaweed import SeaweedServer, free_ports


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_for(admin: StorageAdmin, **kwargs: object) -> S3BlobStore:
    return S3BlobStore(
        admin.bucket,
        admin.prefix,
        endpoint_url=admin.endpoint_url,
        access_key=admin.access_key,
        secret_key=admin.secret_key,
        region=admin.region,
        **kwargs,  # type: ignore[arg-type]
    )


def keys(seaweed: SeaweedServer, admin: StorageAdmin) -> list[str]:
    listing = seaweed.admin_client().list_objects_v2(Bucket=admin.bucket, Prefix=f"{admin.prefix}/")
    return sorted(o["Key"] for o in listing.get("Contents", []))


@pytest.fixture
def store(s3_admin: StorageAdmin) -> S3BlobStore:
    return store_for(s3_admin)


PNG = image_bytes("PNG", seed=1)
JPEG = image_bytes("JPEG", seed=2)


def test_put_read_round_trip_under_the_visibility_folder(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, store: S3BlobStore
) -> None:
    digest = sha(PNG)
    assert store.put(PNG, digest, "PNG", Visibility.SUBSCRIBERS) is True
    assert store.read(digest, "PNG", "subscribers") == PNG
    assert keys(seaweed, s3_admin) == [f"{s3_admin.prefix}/subscribers/{digest[:2]}/{digest}.png"]


def test_a_second_put_of_the_same_bytes_is_a_reuse(store: S3BlobStore) -> None:
    digest = sha(PNG)
    assert store.put(PNG, digest, "PNG", Visibility.PUBLIC) is True
    assert store.put(PNG, digest, "PNG", Visibility.PUBLIC) is False
    assert store.read(digest, "PNG", Visibility.PUBLIC) == PNG


def test_a_reuse_makes_the_object_young_again(store: S3BlobStore) -> None:
    """As BlobStore.put does, so the orphan collector's grace period covers the reuse."""
    digest = sha(PNG)
    store.put(PNG, digest, "PNG", Visibility.PUBLIC)
    (first,) = [mtime for _s, _v, _f, mtime in store.stored()]
    time.sleep(1.1)  # S3 keeps whole seconds
    assert store.put(PNG, digest, "PNG", Visibility.PUBLIC) is False
    (second,) = [mtime for _s, _v, _f, mtime in store.stored()]
    assert second > first
    assert store.read(digest, "PNG", Visibility.PUBLIC) == PNG


def test_the_visibility_is_part_of_the_address(store: S3BlobStore) -> None:
    digest = sha(PNG)
    store.put(PNG, digest, "PNG", Visibility.PRIVATE)
    with pytest.raises(FileNotFoundError):
        store.read(digest, "PNG", Visibility.PUBLIC)


def test_read_of_a_missing_object_is_file_not_found(store: S3BlobStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.read(sha(b"nothing"), "PNG", Visibility.PUBLIC)


def test_remove_deletes_and_a_missing_object_is_fine(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, store: S3BlobStore
) -> None:
    digest = sha(PNG)
    store.put(PNG, digest, "PNG", Visibility.PUBLIC)
    store.remove(digest, "PNG", Visibility.PUBLIC)
    store.remove(digest, "PNG", Visibility.PUBLIC)
    assert keys(seaweed, s3_admin) == []
    with pytest.raises(FileNotFoundError):
        store.read(digest, "PNG", Visibility.PUBLIC)


def test_move_puts_the_object_in_the_new_folder_only(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, store: S3BlobStore
) -> None:
    digest = sha(JPEG)
    store.put(JPEG, digest, "JPEG", Visibility.PRIVATE)
    store.move(digest, "JPEG", Visibility.PRIVATE, Visibility.PUBLIC)
    assert store.read(digest, "JPEG", Visibility.PUBLIC) == JPEG
    with pytest.raises(FileNotFoundError):
        store.read(digest, "JPEG", Visibility.PRIVATE)
    assert keys(seaweed, s3_admin) == [f"{s3_admin.prefix}/public/{digest[:2]}/{digest}.jpg"]
    store.move(digest, "JPEG", Visibility.PRIVATE, Visibility.PUBLIC)  # a retry: done already
    store.move(digest, "JPEG", Visibility.PUBLIC, Visibility.PUBLIC)
    assert store.read(digest, "JPEG", Visibility.PUBLIC) == JPEG


def test_move_of_a_missing_object_is_file_not_found(store: S3BlobStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.move(sha(b"none"), "PNG", Visibility.PRIVATE, Visibility.PUBLIC)


def test_stored_lists_every_visibility_with_its_format(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, store: S3BlobStore
) -> None:
    gif = image_bytes("GIF", seed=3)
    store.put(PNG, sha(PNG), "PNG", Visibility.PUBLIC)
    store.put(JPEG, sha(JPEG), "JPEG", Visibility.SUBSCRIBERS)
    store.put(gif, sha(gif), "GIF", Visibility.PRIVATE)
    # Not ours: another prefix, and a stray name in our folder.
    raw = seaweed.admin_client()
    raw.put_object(
        Bucket=s3_admin.bucket, Key=f"{s3_admin.prefix}x/public/ab/{sha(b'x')}.png", Body=b"x"
    )
    raw.put_object(Bucket=s3_admin.bucket, Key=f"{s3_admin.prefix}/public/notes.txt", Body=b"x")
    before = time.time()
    found = list(store.stored())
    assert {(s, v, f) for s, v, f, _m in found} == {
        (sha(PNG), Visibility.PUBLIC, "PNG"),
        (sha(JPEG), Visibility.SUBSCRIBERS, "JPEG"),
        (sha(gif), Visibility.PRIVATE, "GIF"),
    }
    assert all(before - 120 < mtime <= before + 5 for *_rest, mtime in found)


def test_bytes_that_do_not_match_their_checksum_are_refused(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, store: S3BlobStore
) -> None:
    """The server checks the SHA-256 we send (the content address) against the body."""
    with pytest.raises(EnvironmentProblem, match="did not match its checksum"):
        store.put(PNG, sha(JPEG), "PNG", Visibility.PUBLIC)
    assert keys(seaweed, s3_admin) == []


def test_a_large_original_goes_up_in_parts_and_reads_back(
    seaweed: SeaweedServer, s3_admin: StorageAdmin
) -> None:
    store = store_for(
        s3_admin, transfer=TransferConfig(multipart_threshold=1 * MiB, multipart_chunksize=5 * MiB)
    )
    big = image_bytes("BMP", size=(1600, 1400), seed=4)  # ~6.7 MB: two 5 MiB-or-less parts
    assert len(big) > 5 * MiB
    digest = sha(big)
    assert store.put(big, digest, "BMP", Visibility.PRIVATE) is True
    head = seaweed.admin_client().head_object(
        Bucket=s3_admin.bucket, Key=store.key_for(digest, "BMP", "private"), ChecksumMode="ENABLED"
    )
    assert head["ChecksumSHA256"].endswith("-2")  # a composite checksum: it went up in parts
    assert store.read(digest, "BMP", Visibility.PRIVATE) == big
    assert store.put(big, digest, "BMP", Visibility.PRIVATE) is False


def parts_store(admin: StorageAdmin) -> S3BlobStore:
    return store_for(
        admin, transfer=TransferConfig(multipart_threshold=1 * MiB, multipart_chunksize=5 * MiB)
    )


BIG = image_bytes("BMP", size=(1600, 1400), seed=5)


def test_an_upload_cut_off_between_parts_leaves_nothing(
    seaweed: SeaweedServer, s3_admin: StorageAdmin
) -> None:
    store = parts_store(s3_admin)
    parts: list[int] = []

    def cut_after_the_first(params: dict[str, object], **_kwargs: object) -> None:
        parts.append(int(str(params["PartNumber"])))
        if len(parts) > 1:
            raise EndpointConnectionError(endpoint_url=s3_admin.endpoint_url)

    store._client.meta.events.register("provide-client-params.s3.UploadPart", cut_after_the_first)
    with pytest.raises(EnvironmentProblem) as caught:
        store.put(BIG, sha(BIG), "BMP", Visibility.PUBLIC)
    assert caught.value.kind is ProblemKind.UNREACHABLE
    assert len(parts) == 2
    assert list(store.stored()) == []
    with pytest.raises(FileNotFoundError):
        store.read(sha(BIG), "BMP", Visibility.PUBLIC)
    raw = seaweed.admin_client()
    uploads = raw.list_multipart_uploads(Bucket=s3_admin.bucket, Prefix=s3_admin.prefix)
    assert uploads.get("Uploads", []) == []  # s3transfer aborted it on the way out


def test_a_multipart_object_that_does_not_check_out_is_removed(
    s3_admin: StorageAdmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = parts_store(s3_admin)
    monkeypatch.setattr(s3_blobs, "_composite_sha256", lambda data, size: "not-it-2")
    with pytest.raises(EnvironmentProblem, match="did not match its checksum"):
        store.put(BIG, sha(BIG), "BMP", Visibility.PUBLIC)
    assert list(store.stored()) == []


def test_an_abandoned_multipart_upload_is_invisible_and_cleaned(
    seaweed: SeaweedServer, s3_admin: StorageAdmin, store: S3BlobStore
) -> None:
    raw = seaweed.admin_client()
    bucket = s3_admin.bucket
    digest = sha(PNG)
    key = store.key_for(digest, "PNG", Visibility.PUBLIC)
    upload = raw.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    raw.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=PNG)
    other = f"{s3_admin.prefix}x/public/x"  # another library's prefix (a longer name)
    elsewhere = raw.create_multipart_upload(Bucket=bucket, Key=other)["UploadId"]
    # a crash here: the parts are on the server, the object is not
    with pytest.raises(FileNotFoundError):
        store.read(digest, "PNG", Visibility.PUBLIC)
    assert list(store.stored()) == []
    assert store.clean_leftovers(grace=3600) == 0  # too young to be abandoned
    assert store.clean_leftovers(grace=0) == 1
    left = raw.list_multipart_uploads(Bucket=bucket, Prefix=s3_admin.prefix).get("Uploads", [])
    assert [(u["Key"], u["UploadId"]) for u in left] == [(other, elsewhere)]
    assert store.put(PNG, digest, "PNG", Visibility.PUBLIC) is True


# -- failures ---------------------------------------------------------------------------


def test_a_wrong_secret_is_a_credentials_problem(s3_admin: StorageAdmin) -> None:
    store = S3BlobStore(
        s3_admin.bucket,
        s3_admin.prefix,
        endpoint_url=s3_admin.endpoint_url,
        access_key=s3_admin.access_key,
        secret_key="not-the-secret",
    )
    for attempt in (
        lambda: store.read(sha(PNG), "PNG", Visibility.PUBLIC),
        lambda: store.put(PNG, sha(PNG), "PNG", Visibility.PUBLIC),  # asks HEAD first
        lambda: list(store.stored()),
    ):
        with pytest.raises(EnvironmentProblem) as caught:
            attempt()
        assert caught.value.kind is ProblemKind.CREDENTIALS
        message = str(caught.value)
        assert s3_admin.endpoint_url in message and s3_admin.bucket in message
        assert "\n" not in message


def test_an_unknown_access_key_is_a_credentials_problem(s3_admin: StorageAdmin) -> None:
    store = S3BlobStore(
        s3_admin.bucket,
        s3_admin.prefix,
        endpoint_url=s3_admin.endpoint_url,
        access_key="AKIANOBODYKNOWS0000",
        secret_key="whatever",
    )
    with pytest.raises(EnvironmentProblem) as caught:
        store.read(sha(PNG), "PNG", Visibility.PUBLIC)
    assert caught.value.kind is ProblemKind.CREDENTIALS


def test_an_unreachable_endpoint_is_named_in_one_line() -> None:
    (port,) = free_ports(1)  # nobody listens there
    endpoint = f"http://127.0.0.1:{port}"
    store = S3BlobStore(
        "team-bucket", "team", endpoint_url=endpoint, access_key="a", secret_key="b", attempts=1
    )
    with pytest.raises(EnvironmentProblem) as caught:
        store.read(sha(PNG), "PNG", Visibility.PUBLIC)
    assert caught.value.kind is ProblemKind.UNREACHABLE
    assert str(caught.value) == (
        f"cannot reach the team storage at {endpoint} (bucket team-bucket): "
        "check the address and the network"
    )


def test_a_missing_bucket_is_a_missing_problem(seaweed: SeaweedServer) -> None:
    """(An admin's put would create the bucket: SeaweedFS makes buckets on first write.)"""
    store = store_for(seaweed.admin("no-such-bucket-here"))
    for attempt in (
        lambda: store.read(sha(PNG), "PNG", Visibility.PUBLIC),
        lambda: list(store.stored()),
    ):
        with pytest.raises(EnvironmentProblem) as caught:
            attempt()
        assert caught.value.kind is ProblemKind.MISSING
        assert "no-such-bucket-here" in str(caught.value)


def test_only_digests_and_known_formats_become_keys(store: S3BlobStore) -> None:
    with pytest.raises(ValueError, match="sha256"):
        store.key_for("../../etc", "PNG", Visibility.PUBLIC)
    with pytest.raises(ValueError, match="format"):
        store.key_for(sha(PNG), "TIFF", Visibility.PUBLIC)
    with pytest.raises(ValueError):
        store.key_for(sha(PNG), "PNG", "everyone")


@pytest.mark.parametrize("bad", ["ab", "UPPER", "a" * 64, "-lead", "a..b"])
def test_bucket_names_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="bucket"):
        S3BlobStore(bad, "team", endpoint_url="http://x", access_key="a", secret_key="b")


@pytest.mark.parametrize("bad", ["", "/team", "team/", "a//b", "a/../b", "te am"])
def test_prefixes_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        S3BlobStore("team-bucket", bad, endpoint_url="http://x", access_key="a", secret_key="b")


def test_the_raw_client_error_for_a_missing_key_is_no_such_key(
    seaweed: SeaweedServer, s3_admin: StorageAdmin
) -> None:
    """What read() relies on: SeaweedFS names a missing key NoSuchKey (HEAD says 404)."""
    with pytest.raises(ClientError) as caught:
        seaweed.admin_client().get_object(
            Bucket=s3_admin.bucket, Key=f"{s3_admin.prefix}/public/none"
        )
    assert caught.value.response["Error"]["Code"] == "NoSuchKey"
