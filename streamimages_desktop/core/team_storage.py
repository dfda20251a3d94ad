"""Storage keys for team members, scoped by the server to the visibilities they may see.

Originals live under `<prefix>/public/`, `<prefix>/subscribers/` and `<prefix>/private/`
(core/s3_blobs). Each member gets their own IAM user and access key with one inline policy:
GetObject (and ListBucket, by `s3:prefix`) on the folders of their level, and only for a
member who can edit, PutObject/DeleteObject and the multipart actions on the same folders;
a member of level all who edits also gets the library's managed "uploads" policy, so their
housekeeping can find abandoned multipart uploads.
The server enforces it, so a leaked or misused key cannot read above its level whatever the
client does.

The calls are the AWS IAM API (CreateUser, PutUserPolicy, CreateAccessKey, ...), which
SeaweedFS serves on its S3 port (`weed s3`/`weed server -s3` with `-s3.iam.readOnly=false`;
its default is read-only). SeaweedFS applies each change at once, no reload needed; its
other S3 gateways pick it up from the filer within seconds. An admin identity (one with the
"Admin" action in SeaweedFS's `-s3.config`) signs them, so `team add-member` runs anywhere
that can reach the S3 port.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from streamimages_desktop.core.errors import EnvironmentProblem, UserError
from streamimages_desktop.core.models import Visibility
from streamimages_desktop.core.s3_blobs import folder, validate_prefix
from streamimages_desktop.core.s3_connection import (
    DEFAULT_REGION,
    error_code,
    make_client,
    storage_problem,
    validate_bucket,
)

POLICY_NAME: Final = "streamimages-access"
_MEMBER_NAME_RE: Final = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")


class StorageLevel(StrEnum):
    """Which originals a member's key may read: all three folders, or fewer."""

    ALL = "all"
    SUBSCRIBERS = "subscribers"
    PUBLIC = "public"


_VISIBLE: Final[dict[StorageLevel, tuple[Visibility, ...]]] = {
    StorageLevel.ALL: (Visibility.PUBLIC, Visibility.SUBSCRIBERS, Visibility.PRIVATE),
    StorageLevel.SUBSCRIBERS: (Visibility.PUBLIC, Visibility.SUBSCRIBERS),
    StorageLevel.PUBLIC: (Visibility.PUBLIC,),
}


def visible_at(level: StorageLevel | str) -> tuple[Visibility, ...]:
    """The visibilities a member of `level` may read."""
    return _VISIBLE[StorageLevel(level)]


@dataclass(frozen=True)
class StorageAdmin:
    """Where a team's originals live and an admin identity that may manage members' keys."""

    endpoint_url: str
    bucket: str
    prefix: str
    access_key: str
    secret_key: str
    region: str = DEFAULT_REGION

    def __post_init__(self) -> None:
        validate_bucket(self.bucket)
        validate_prefix(self.prefix)


def member_policy(bucket: str, prefix: str, level: StorageLevel | str, can_edit: bool) -> Any:
    """The inline IAM policy document (a dict) of one member; pure, so it can be read."""
    folders = [folder(prefix, v) for v in visible_at(level)]
    objects = [f"arn:aws:s3:::{bucket}/{f}*" for f in folders]
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": objects},
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{bucket}"],
            "Condition": {"StringLike": {"s3:prefix": [f"{f}*" for f in folders]}},
        },
    ]
    if can_edit:  # multipart uploads are PutObject to the policy engine
        write = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        statements.append({"Effect": "Allow", "Action": write, "Resource": objects})
    return {"Version": "2012-10-17", "Statement": statements}


def uploads_policy(bucket: str, prefix: str) -> Any:
    """The managed policy that lets housekeeping list the library's unfinished uploads.

    Only a member who sees everything and edits gets it (the listing names every folder).
    It is a managed policy because SeaweedFS's PutUserPolicy accepts only the actions of its
    own older action list, which lacks s3:ListBucketMultipartUploads; CreatePolicy takes it.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucketMultipartUploads"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
            }
        ],
    }


def _housekeeps(level: StorageLevel | str, can_edit: bool) -> bool:
    return can_edit and StorageLevel(level) is StorageLevel.ALL


def create_member_credentials(
    admin: StorageAdmin, name: str, level: StorageLevel | str, can_edit: bool
) -> tuple[str, str]:
    """Make IAM user `name` with the policy for `level`, return its (access_key, secret_key).

    The policy is in place before the key exists, so the key never has more rights than the
    level. Any failure removes the half-made user. UserError when `name` is taken or invalid.
    """
    _validate_member_name(name)
    level = StorageLevel(level)
    policy = json.dumps(member_policy(admin.bucket, admin.prefix, level, can_edit))
    with _iam(admin) as iam:
        try:
            iam.create_user(UserName=name)
        except ClientError as exc:
            if error_code(exc) == "EntityAlreadyExists":
                raise UserError(f"the team storage already has a member named {name!r}") from None
            raise
        try:
            iam.put_user_policy(UserName=name, PolicyName=POLICY_NAME, PolicyDocument=policy)
            if _housekeeps(level, can_edit):
                iam.attach_user_policy(UserName=name, PolicyArn=_uploads_policy_arn(iam, admin))
            key = iam.create_access_key(UserName=name)["AccessKey"]
        except BaseException:
            with contextlib.suppress(ClientError, BotoCoreError):
                _delete_user(iam, name)
            raise
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


def set_member_access(
    admin: StorageAdmin, name: str, level: StorageLevel | str, can_edit: bool
) -> None:
    """Replace a member's policy (a level or edit right changed); their key stays the same.

    Narrowing comes first, so at no moment does the member hold more than the old or the
    new rights.
    """
    _validate_member_name(name)
    policy = json.dumps(member_policy(admin.bucket, admin.prefix, level, can_edit))
    with _iam(admin) as iam:
        try:
            arn = _uploads_policy_arn(iam, admin)
            if not _housekeeps(level, can_edit):
                _detach(iam, name, arn)
            iam.put_user_policy(UserName=name, PolicyName=POLICY_NAME, PolicyDocument=policy)
            if _housekeeps(level, can_edit):
                iam.attach_user_policy(UserName=name, PolicyArn=arn)
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                raise UserError(f"the team storage has no member named {name!r}") from None
            raise


def remove_member(admin: StorageAdmin, name: str) -> None:
    """Delete a member's keys, policy and user; a member who is not there is fine."""
    _validate_member_name(name)
    with _iam(admin) as iam:
        try:
            _delete_user(iam, name)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


def ensure_bucket(admin: StorageAdmin) -> bool:
    """Create the team's bucket unless it exists; True if it was made now."""
    s3 = make_client("s3", admin.endpoint_url, admin.access_key, admin.secret_key, admin.region)
    try:
        s3.create_bucket(Bucket=admin.bucket)
    except ClientError as exc:
        if error_code(exc) in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            return False
        raise _problem(admin, exc) from None
    except BotoCoreError as exc:
        raise _problem(admin, exc) from None
    return True


def _uploads_policy_arn(iam: Any, admin: StorageAdmin) -> str:
    """The ARN of this library's uploads policy, made on first use (one per bucket/prefix)."""
    where = hashlib.sha256(f"{admin.bucket}/{admin.prefix}".encode()).hexdigest()[:16]
    name = f"streamimages-uploads-{where}"
    document = json.dumps(uploads_policy(admin.bucket, admin.prefix))
    try:
        return str(iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"])
    except ClientError as exc:
        if error_code(exc) != "EntityAlreadyExists":
            raise
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page.get("Policies", []):
            if policy["PolicyName"] == name:
                return str(policy["Arn"])
    raise UserError(f"the team storage lost its policy {name}; try again")  # a racing delete


def _detach(iam: Any, name: str, arn: str) -> None:
    try:
        iam.detach_user_policy(UserName=name, PolicyArn=arn)
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise


def _delete_user(iam: Any, name: str) -> None:
    for key in iam.list_access_keys(UserName=name).get("AccessKeyMetadata", []):
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for policy in iam.list_user_policies(UserName=name).get("PolicyNames", []):
        iam.delete_user_policy(UserName=name, PolicyName=policy)
    attached = iam.list_attached_user_policies(UserName=name).get("AttachedPolicies", [])
    for managed in attached:
        _detach(iam, name, managed["PolicyArn"])
    iam.delete_user(UserName=name)


@contextlib.contextmanager
def _iam(admin: StorageAdmin) -> Iterator[Any]:
    """An IAM client on the storage's S3 port; its failures become one-line problems."""
    iam = make_client("iam", admin.endpoint_url, admin.access_key, admin.secret_key, admin.region)
    try:
        yield iam
    except (ClientError, BotoCoreError) as exc:
        raise _problem(admin, exc) from None


def _problem(admin: StorageAdmin, exc: ClientError | BotoCoreError) -> EnvironmentProblem:
    problem = storage_problem(exc, admin.endpoint_url, admin.bucket)
    if problem is None:
        code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
        problem = EnvironmentProblem(
            f"the team storage at {admin.endpoint_url} refused to manage members ({code}); "
            "is its IAM API on (`-s3.iam.readOnly=false`)?"
        )
    return problem


def _validate_member_name(name: str) -> None:
    if not _MEMBER_NAME_RE.fullmatch(name):
        raise UserError(f"invalid member name {name!r}: use 1-64 letters, digits or any of _+=,.@-")
