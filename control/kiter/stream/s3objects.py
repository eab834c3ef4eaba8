"""The S3 calls s3:// staging makes on a prefix: list its keys, delete keys in batches.

Plain calls on the S3 client staging was given; where a partition lives and when it is replaced
is staging.py's business.
"""

from __future__ import annotations

from typing import Any

from kiter.errors import ServiceError


def list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Every key under `prefix`, page by page."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    """Delete `keys`, a thousand a call (DeleteObjects' limit); a key S3 refuses is an error."""
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        response = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise ServiceError(
                f"could not delete {len(errors)} staged object(s) in s3://{bucket}, e.g. "
                f"{first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".rstrip()
            )
