"""Fixtures for the EMR steps target: fresh moto S3 + EMR per test, a fake clock, a step driver."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from emr_moto import (
    LOG_BUCKET,
    PINNED_MOTO,
    REGION,
    SCRIPT_BUCKET,
    FakeTime,
    StepDriver,
    start_cluster,
)

from kiter.targets.base import Script
from kiter.targets.emr import EmrTarget


@pytest.fixture(autouse=True)
def _moto_version_is_pinned() -> None:
    import moto

    assert moto.__version__ == PINNED_MOTO, "StepDriver reads moto internals of 5.2.5 only"


@pytest.fixture
def s3(in_process_moto: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=SCRIPT_BUCKET)
    client.create_bucket(Bucket=LOG_BUCKET)
    return client


@pytest.fixture
def emr(in_process_moto: None) -> Any:
    return boto3.client("emr", region_name=REGION)


@pytest.fixture
def new_cluster(emr: Any) -> Callable[..., str]:
    def new(name: str, *, log_uri: str | None = f"s3n://{LOG_BUCKET}/emr/") -> str:
        return start_cluster(emr, name, log_uri=log_uri)

    return new


@pytest.fixture
def cluster_id(emr: Any) -> str:
    return start_cluster(emr, "kiter-test")


@pytest.fixture
def steps(cluster_id: str) -> StepDriver:
    return StepDriver(cluster_id)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def echoed() -> list[str]:
    return []


@pytest.fixture
def make_target(
    s3: Any, emr: Any, cluster_id: str, fake_time: FakeTime, echoed: list[str]
) -> Callable[..., EmrTarget]:
    def make(**overrides: Any) -> EmrTarget:
        kwargs: dict[str, Any] = {
            "s3": s3,
            "emr": emr,
            "cluster_id": cluster_id,
            "script_prefix": f"s3://{SCRIPT_BUCKET}/kiter/scripts/",
            "echo": echoed.append,
            "log_wait_seconds": 600,
            "clock": fake_time.clock,
            "sleep": fake_time.sleep,
        }
        kwargs.update(overrides)
        return EmrTarget("emr-test", **kwargs)

    return make


@pytest.fixture
def hive_script() -> Script:
    return Script(
        job="hourly_counts",
        engine="hive",
        text="SET kinesis.checkpoint.enabled=true;\nSELECT COUNT(*) FROM weblogs;\n",
        logical_name="hourly",
        iteration=7,
        attempt=2,
        variables={"OUTPUT": "s3://out/hourly/7", "DAY": "2024-05-01"},
    )


@pytest.fixture
def pig_script() -> Script:
    return Script(
        job="top_ips",
        engine="pig",
        text="raw = LOAD 'AccessLogStream' USING "
        "com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);\n",
        logical_name="ips",
        iteration=0,
        variables={"OUTPUT": "s3://out/ips/0"},
    )


@pytest.fixture
def push_logs(s3: Any, cluster_id: str) -> Callable[[str, dict[str, str]], None]:
    """Push gzipped step logs where EMR would: <LogUri>/<cluster-id>/steps/<step-id>/<name>.gz."""

    def push(step_id: str, logs: dict[str, str]) -> None:
        for name, text in logs.items():
            s3.put_object(
                Bucket=LOG_BUCKET,
                Key=f"emr/{cluster_id}/steps/{step_id}/{name}.gz",
                Body=gzip.compress(text.encode()),
            )

    return push
