"""Talking to an S3-compatible server: one way to make a client, one reading of its failures.

botocore phrases its errors in English that changes between versions; what code acts on is
the exception class (no connection, a timeout) or the S3/IAM error code ("AccessDenied"),
never the wording. `storage_problem` turns a failure into an EnvironmentProblem whose message
is one line naming the endpoint and the bucket.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind

DEFAULT_REGION: Final = "us-east-1"
CONNECT_TIMEOUT_SECONDS: Final = 5.0
READ_TIMEOUT_SECONDS: Final = 60.0
_session_lock = threading.Lock()
_session: boto3.session.Session | None = None
_BUCKET_RE: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

_CREDENTIAL_CODES: Final = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "InvalidToken",
        "ExpiredToken",
        "AuthorizationHeaderMalformed",
        "MissingSecurityHeader",
    }
)
_PERMISSION_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "403"}
)
_MISSING_CODES: Final = frozenset({"NoSuchBucket"})
_FULL_CODES: Final = frozenset({"QuotaExceeded", "EntityTooLarge", "InsufficientStorage"})
_BUSY_CODES: Final = frozenset(
    {"SlowDown", "ServiceUnavailable", "RequestTimeout", "Throttling", "503"}
)


def validate_bucket(bucket: str) -> str:
    """The bucket name if S3 allows it (3-63 lowercase letters, digits, '.', '-'), else raise."""
    if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"not an S3 bucket name: {bucket!r} (use 3-63 a-z, 0-9, '.', '-')")
    return bucket


def make_client(
    service: str,
    endpoint_url: str | None,
    access_key: str,
    secret_key: str,
    region: str = DEFAULT_REGION,
    *,
    attempts: int = 3,
) -> Any:
    """A boto3 client for `service` ("s3" or "iam") on `endpoint_url` with these keys only.

    Path-style addressing (self-hosted servers have no per-bucket DNS), short connect timeouts
    so an unreachable server is named within seconds, and a few retries for busy servers.
    Clients are thread-safe. They come from one private Session (under a lock: making
    clients is not), which reads the service models once; the keys are this client's own.
    """
    global _session
    config = Config(
        region_name=region,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"max_attempts": attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
        # Checksums only where we ask for them (put sends SHA-256, multipart parts too).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(
            service,
            endpoint_url=endpoint_url or None,  # none: the provider's own (AWS)
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )


def error_code(exc: ClientError) -> str:
    """The server's error code ("NoSuchKey", "AccessDenied", or the status for a HEAD).

    SeaweedFS answers some IAM calls with an S3-style body, whose code botocore's IAM parser
    leaves at the top of the response rather than under "Error".
    """
    response: dict[str, Any] = dict(exc.response)
    return str(response.get("Error", {}).get("Code") or response.get("Code") or "")


def problem_kind(exc: BaseException) -> ProblemKind | None:
    """The ProblemKind of a botocore failure, by class and error code; None for a bug."""
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return ProblemKind.UNREACHABLE  # refused, no route, DNS, connect or read timeout
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ProblemKind.CREDENTIALS
    if isinstance(exc, ClientError):
        code = error_code(exc)
        for codes, kind in (
            (_CREDENTIAL_CODES, ProblemKind.CREDENTIALS),
            (_PERMISSION_CODES, ProblemKind.PERMISSION),
            (_MISSING_CODES, ProblemKind.MISSING),
            (_FULL_CODES, ProblemKind.FULL),
            (_BUSY_CODES, ProblemKind.BUSY),
        ):
            if code in codes:
                return kind
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if isinstance(status, int) and status >= 500:
            return ProblemKind.IO
    return None


def storage_problem(
    exc: BaseException, endpoint_url: str, bucket: str, what: str = "team storage"
) -> EnvironmentProblem | None:
    """An EnvironmentProblem naming `endpoint_url` and `bucket`, or None if `exc` is a bug."""
    kind = problem_kind(exc)
    if kind is None:
        if isinstance(exc, BotoCoreError):
            kind = ProblemKind.IO  # botocore gave up some other way: still the environment
        else:
            return None
    where = f"the {what} at {endpoint_url} (bucket {bucket})"
    messages = {
        ProblemKind.UNREACHABLE: f"cannot reach {where}: check the address and the network",
        ProblemKind.CREDENTIALS: f"{where} refused the access key: check the key and secret",
        ProblemKind.PERMISSION: f"{where} denied access: this member's key may not do that",
        ProblemKind.MISSING: f"{where} has no such bucket: check its name",
        ProblemKind.FULL: f"{where} is full or refused the size",
        ProblemKind.BUSY: f"{where} is busy; try again",
    }
    detail = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    default = f"{where} failed ({detail or 'no detail'})"
    return EnvironmentProblem(messages.get(kind, default), kind)
