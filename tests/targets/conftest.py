"""Fixtures of the remote AWS targets' tests (EMR steps in emr/, EMR Serverless in emr_serverless/):
fresh moto S3 per test with the script and log buckets, a fake clock and the echo, what every
remote target is built with, a Hive script, and logs put where a service pushes them.

The HiveServer2 and Pig folders have fixtures of their own and ask for none of these.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from kiter.targets.base import Script
from kiter_support import LOG_BUCKET, REGION, SCRIPT_BUCKET, FakeTime

PutLogs = Callable[[str, dict[str, str]], None]


@pytest.fixture
def s3(in_process_moto: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=SCRIPT_BUCKET)
    client.create_bucket(Bucket=LOG_BUCKET)
    return client


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def echoed() -> list[str]:
    return []


@pytest.fixture
def remote_options(s3: Any, fake_time: FakeTime, echoed: list[str]) -> dict[str, Any]:
    """The settings every remote target takes (`RemoteOptions`), on moto and the fake clock."""
    return {
        "s3": s3,
        "script_prefix": f"s3://{SCRIPT_BUCKET}/kiter/scripts/",
        "echo": echoed.append,
        "clock": fake_time.clock,
        "sleep": fake_time.sleep,
    }


@pytest.fixture
def hive_script() -> Script:
    return Script(
        job="hourly_counts",
        engine="hive",
        text="SELECT COUNT(*) FROM weblogs;\n",
        logical_name="hourly",
        iteration=7,
        attempt=2,
        variables={"OUTPUT": "s3://out/hourly/7", "DAY": "2024-05-01"},
    )


@pytest.fixture
def put_logs(s3: Any) -> PutLogs:
    """Put gzipped logs `<folder>/<name>.gz` in the log bucket, as EMR pushes them."""

    def put(folder: str, logs: dict[str, str]) -> None:
        for name, text in logs.items():
            s3.put_object(
                Bucket=LOG_BUCKET, Key=f"{folder}/{name}.gz", Body=gzip.compress(text.encode())
            )

    return put
