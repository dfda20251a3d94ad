"""A team's originals in S3-compatible storage, content-addressed per visibility.

Keys are `<prefix>/<visibility>/<sha[:2]>/<sha256>.<ext>`: the visibility is a folder so the
server can scope each member's key to the folders they may see (core/team_storage). A
visibility change moves the object. Every upload carries its SHA-256 (the content address
itself) and the server refuses bytes that do not match; a large one goes up in parts, which
the server shows only once all of them arrived, so an interrupted upload leaves nothing
visible (clean_leftovers aborts the abandoned ones).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import io
import re
import time
from collections.abc import Iterator
from typing import Final

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from s3transfer.utils import ChunksizeAdjuster

from streamimages_desktop.core.atomic import TEMP_GRACE_SECONDS
from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind
from streamimages_desktop.core.imaging import EXTENSION_FOR_FORMAT
from streamimages_desktop.core.models import Visibility
from streamimages_desktop.core.s3_connection import (
    DEFAULT_REGION,
    error_code,
    make_client,
    storage_problem,
    validate_bucket,
)

MiB: Final = 1024 * 1024
DEFAULT_TRANSFER: Final = TransferConfig(
    multipart_threshold=16 * MiB, multipart_chunksize=16 * MiB, max_concurrency=4
)
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_PREFIX_RE: Final = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
_FORMAT_FOR_EXTENSION: Final = {ext: fmt for fmt, ext in EXTENSION_FOR_FORMAT.items()}
_STORED_NAME: Final = re.compile(r"([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]+)")
_CHECKSUM_CODES: Final = frozenset(
    {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "XAmzContentChecksumMismatch"}
)
_MISSING_KEY_CODES: Final = frozenset({"NoSuchKey", "404", "NotFound"})


def validate_prefix(prefix: str) -> str:
    """The prefix if it is one or more plain path segments (no leading or trailing '/')."""
    if not _PREFIX_RE.fullmatch(prefix) or any(p in (".", "..") for p in prefix.split("/")):
        raise ValueError(f"not a storage prefix: {prefix!r} (use a-z, 0-9, '.', '_', '-', '/')")
    return prefix


def folder(prefix: str, visibility: Visibility | str) -> str:
    """The key prefix of one visibility's originals, ending in '/'."""
    return f"{prefix}/{Visibility(visibility).value}/"


class S3BlobStore:
    """The original bytes of a team's images, one object per distinct content and visibility.

    The same methods as BlobStore, plus the visibility that picks the folder. Failures of the
    server are EnvironmentProblem (UNREACHABLE, CREDENTIALS, PERMISSION, MISSING, ...), one
    line naming the endpoint and bucket; a missing object is FileNotFoundError.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        endpoint_url: str | None,
        access_key: str,
        secret_key: str,
        region: str = DEFAULT_REGION,
        transfer: TransferConfig | None = None,
        attempts: int = 3,
    ) -> None:
        self._bucket = validate_bucket(bucket)
        self._prefix = validate_prefix(prefix)
        self._endpoint_url = endpoint_url or "the provider's S3 endpoint"
        self._transfer = transfer or DEFAULT_TRANSFER
        self._client = make_client(
            "s3", endpoint_url, access_key, secret_key, region, attempts=attempts
        )

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def endpoint_url(self) -> str:
        return self._endpoint_url

    def key_for(self, sha256: str, fmt: str, visibility: Visibility | str) -> str:
        """The object's key; only a 64-char lowercase hex digest ever becomes part of one."""
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        ext = EXTENSION_FOR_FORMAT.get(fmt)
        if ext is None:
            raise ValueError(f"unsupported image format: {fmt!r}")
        return f"{folder(self._prefix, visibility)}{sha256[:2]}/{sha256}.{ext}"

    def put(self, data: bytes, sha256: str, fmt: str, visibility: Visibility | str) -> bool:
        """Upload `data`; False if the object exists already (same hash, same bytes).

        The server checks the bytes against `sha256` (and MD5 for a single-part upload) and
        refuses a mismatch: EnvironmentProblem, nothing stored.
        """
        key = self.key_for(sha256, fmt, visibility)
        with self._talking():
            if self._exists(key):
                self._refresh(key)
                return False
            if len(data) < self._transfer.multipart_threshold:
                return self._put_single(key, data, sha256)
            self._put_multipart(key, data)
        return True

    def read(self, sha256: str, fmt: str, visibility: Visibility | str) -> bytes:
        """The original bytes; FileNotFoundError when the object is missing."""
        key = self.key_for(sha256, fmt, visibility)
        with self._talking():
            try:
                response = self._client.get_object(
                    Bucket=self._bucket, Key=key, ChecksumMode="ENABLED"
                )
            except ClientError as exc:
                if error_code(exc) in _MISSING_KEY_CODES:
                    raise _missing(key) from None
                raise
            return bytes(response["Body"].read())

    def remove(self, sha256: str, fmt: str, visibility: Visibility | str) -> None:
        """Delete the object; a missing one is fine."""
        key = self.key_for(sha256, fmt, visibility)
        with self._talking():
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def move(
        self,
        sha256: str,
        fmt: str,
        old_visibility: Visibility | str,
        new_visibility: Visibility | str,
    ) -> None:
        """Move the object to another visibility's folder: copy, then delete the old one.

        A crash between the two leaves both (the orphan collector removes the old one); a
        retry after the delete finds the object moved already. FileNotFoundError if neither
        folder holds it.
        """
        old = self.key_for(sha256, fmt, old_visibility)
        new = self.key_for(sha256, fmt, new_visibility)
        if old == new:
            return
        with self._talking():
            try:
                self._client.copy(
                    {"Bucket": self._bucket, "Key": old}, self._bucket, new, Config=self._transfer
                )
            except ClientError as exc:
                if error_code(exc) not in _MISSING_KEY_CODES:
                    raise
                if not self._exists(new):
                    raise _missing(old) from None
                return
            self._client.delete_object(Bucket=self._bucket, Key=old)

    def clean_leftovers(self, grace: float = TEMP_GRACE_SECONDS) -> int:
        """Abort multipart uploads under the prefix started over `grace` seconds ago.

        An upload interrupted by a crash keeps its parts on the server until aborted; it was
        never visible. Needs a key that may list the bucket's uploads (level all, editing).
        """
        settled = time.time() - grace
        aborted = 0
        with self._talking():
            pages = self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self._bucket, Prefix=f"{self._prefix}/"
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"].timestamp() > settled:
                        continue
                    try:
                        self._client.abort_multipart_upload(
                            Bucket=self._bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
                    except ClientError as exc:
                        if error_code(exc) != "NoSuchUpload":
                            raise
        return aborted

    def stored(self) -> Iterator[tuple[str, Visibility, str, float]]:
        """(sha256, visibility, format, mtime) of every object, for the orphan collector."""
        for visibility in Visibility:
            start = folder(self._prefix, visibility)
            with self._talking():
                pages = self._client.get_paginator("list_objects_v2").paginate(
                    Bucket=self._bucket, Prefix=start
                )
                for page in pages:
                    for item in page.get("Contents", []):
                        match = _STORED_NAME.fullmatch(item["Key"][len(start) :])
                        if not match or not match.group(2).startswith(match.group(1)):
                            continue
                        fmt = _FORMAT_FOR_EXTENSION.get(match.group(3))
                        if fmt is not None:
                            mtime = item["LastModified"].timestamp()
                            yield match.group(2), visibility, fmt, mtime

    # -- the parts ---------------------------------------------------------------------

    def _put_single(self, key: str, data: bytes, sha256: str) -> bool:
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ChecksumSHA256=_b64(bytes.fromhex(sha256)),
                ContentMD5=_b64(hashlib.md5(data, usedforsecurity=False).digest()),
                IfNoneMatch="*",  # a racing put of the same bytes won: this one is a reuse
            )
        except ClientError as exc:
            code = error_code(exc)
            if code == "PreconditionFailed":
                return False
            if code in _CHECKSUM_CODES:
                raise self._corrupted(key) from None
            raise
        return True

    def _put_multipart(self, key: str, data: bytes) -> None:
        """Upload in parts, each checked by the server; then compare the whole's checksum.

        s3transfer aborts the upload itself when a part fails; a crash leaves it for
        clean_leftovers. The finished object is checked against the SHA-256 of SHA-256s of
        its parts (S3's composite checksum) and removed again if it differs.
        """
        try:
            self._client.upload_fileobj(
                io.BytesIO(data),
                self._bucket,
                key,
                ExtraArgs={"ChecksumAlgorithm": "SHA256"},
                Config=self._transfer,
            )
        except ClientError as exc:
            if error_code(exc) in _CHECKSUM_CODES:
                raise self._corrupted(key) from None
            raise
        head = self._client.head_object(Bucket=self._bucket, Key=key, ChecksumMode="ENABLED")
        if head.get("ChecksumSHA256") != _composite_sha256(data, self._part_size(len(data))):
            with contextlib.suppress(ClientError, BotoCoreError):
                self._client.delete_object(Bucket=self._bucket, Key=key)
            raise self._corrupted(key)

    def _part_size(self, size: int) -> int:
        """The part size s3transfer uses for `size` bytes (it raises small ones to 5 MiB)."""
        return int(ChunksizeAdjuster().adjust_chunksize(self._transfer.multipart_chunksize, size))

    def _exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            code = error_code(exc)
            if code in _MISSING_KEY_CODES:
                return False
            if code == "403":
                # A HEAD answer has no body, so a bad key and a denied one look alike; a
                # one-byte GET carries the server's real error code.
                try:
                    self._client.get_object(Bucket=self._bucket, Key=key, Range="bytes=0-0")
                except ClientError as again:
                    if error_code(again) in _MISSING_KEY_CODES:
                        return False
                    raise
                return True
            raise
        return True

    def _refresh(self, key: str) -> None:
        """Make a reused object young again (as BlobStore.put does), so an orphan collector's
        grace period covers the reuse; best effort: copying it onto itself with new metadata
        is the one way S3 has to touch an object."""
        with contextlib.suppress(ClientError):
            self._client.copy_object(
                Bucket=self._bucket,
                Key=key,
                CopySource={"Bucket": self._bucket, "Key": key},
                MetadataDirective="REPLACE",
                Metadata={"reused": str(int(time.time()))},
            )

    def _corrupted(self, key: str) -> EnvironmentProblem:
        return EnvironmentProblem(
            f"the upload of {key} to the team storage at {self._endpoint_url} (bucket "
            f"{self._bucket}) did not match its checksum; nothing was stored",
            ProblemKind.IO,
        )

    @contextlib.contextmanager
    def _talking(self) -> Iterator[None]:
        """Turn the server's failures into one-line EnvironmentProblems; bugs propagate."""
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            problem = storage_problem(exc, self._endpoint_url, self._bucket)
            if problem is None:
                raise
            raise problem from None


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _composite_sha256(data: bytes, part_size: int) -> str:
    """S3's checksum of a multipart object: SHA-256 of the parts' SHA-256s, then '-<parts>'."""
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)] or [b""]
    digests = b"".join(hashlib.sha256(p).digest() for p in parts)
    return f"{_b64(hashlib.sha256(digests).digest())}-{len(parts)}"


def _missing(key: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, "no such original in the team storage", key)
