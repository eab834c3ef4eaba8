"""Files to and within S3: one call for a small file, boto3's multipart transfer for a big one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kiter import s3files
from kiter.aws import Aws, AwsSettings

BUCKET = "kiter-files"


@pytest.fixture
def s3(in_process_moto: None) -> Any:
    client = Aws(AwsSettings(region="us-east-1")).client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.mark.parametrize("size", [0, 10, s3files.MULTIPART_AT + 1])
def test_a_file_goes_up_and_is_copied_whole_whatever_its_size(
    s3: Any, tmp_path: Path, size: int
) -> None:
    body = os.urandom(size)
    path = tmp_path / "part-0"
    path.write_bytes(body)

    s3files.upload(s3, path, BUCKET, "tmp/part-0", {"ServerSideEncryption": "AES256"})
    s3files.copy(s3, BUCKET, "tmp/part-0", size, "final/part-0")

    for key in ("tmp/part-0", "final/part-0"):
        got = s3.get_object(Bucket=BUCKET, Key=key)
        assert got["Body"].read() == body
    assert s3.head_object(Bucket=BUCKET, Key="tmp/part-0")["ServerSideEncryption"] == "AES256"


def test_a_big_file_goes_up_in_parts(s3: Any, tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(os.urandom(s3files.MULTIPART_AT + 1))
    s3files.upload(s3, path, BUCKET, "big")
    # A multipart upload's ETag is the parts' digest followed by their number.
    assert s3.head_object(Bucket=BUCKET, Key="big")["ETag"].strip('"').endswith("-2")
