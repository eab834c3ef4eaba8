"""S3 objects on kiter's plain botocore client: listed under a prefix, deleted in batches, a local
file put, an object copied.

Below boto3's multipart threshold a file goes up in one PutObject and is copied in one
CopyObject; above it, boto3's managed transfers (multipart, in parts on threads). Importing
boto3's transfer layer costs a command about 15 ms, so the common, small case does without it.
Errors are the client's own (and the objects S3 refused to delete are returned): the caller says
what it was doing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# boto3's TransferConfig.multipart_threshold default.
MULTIPART_AT = 8 * 1024 * 1024


def upload(
    s3: Any, path: Path, bucket: str, key: str, extra: Mapping[str, str] | None = None
) -> None:
    """The file at `path` as s3://bucket/key, with `extra` arguments (ServerSideEncryption...)."""
    if path.stat().st_size < MULTIPART_AT:
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **(extra or {}))
        return
    from boto3.s3.inject import upload_file

    upload_file(s3, str(path), bucket, key, ExtraArgs=dict(extra or {}))


def copy(s3: Any, bucket: str, source: str, size: int, key: str) -> None:
    """The object `source` of `bucket`, `size` bytes long, copied to `key` of the same bucket."""
    if size < MULTIPART_AT:
        s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source})
        return
    from boto3.s3.inject import copy as managed_copy

    managed_copy(s3, {"Bucket": bucket, "Key": source}, bucket, key)


def objects_under(s3: Any, bucket: str, prefix: str) -> list[tuple[str, int]]:
    """(key, size) of every object under `prefix`, page by page."""
    return [
        (str(obj["Key"]), int(obj.get("Size", 0)))
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
    ]


def list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Every key under `prefix`, page by page."""
    return [key for key, _ in objects_under(s3, bucket, prefix)]


def delete_keys(s3: Any, bucket: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Delete `keys`, a thousand a call (DeleteObjects' limit), until S3 refuses one: the errors
    of that call's refused keys (each with its Key, Code, Message), none when all went."""
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        response = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )
        refused: list[dict[str, Any]] = response.get("Errors") or []
        if refused:
            return refused
    return []
