"""A local file to S3, and an object copied within S3, on kiter's plain botocore client.

Below boto3's multipart threshold a file goes up in one PutObject and is copied in one
CopyObject; above it, boto3's managed transfers (multipart, in parts on threads). Importing
boto3's transfer layer costs a command about 15 ms, so the common, small case does without it.
Errors are the client's own: the caller says what it was doing.
"""

from __future__ import annotations

from collections.abc import Mapping
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
