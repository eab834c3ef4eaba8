"""Fixtures for the EMR Serverless target: fresh moto S3 + EMR Serverless per test, a HIVE
application, a fake clock, a job-run driver."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from sls_moto import LOG_BUCKET, PINNED_MOTO, REGION, ROLE, SCRIPT_BUCKET, FakeTime, RunDriver

from kiter.targets.base import Script
from kiter.targets.emr_serverless import EmrServerlessTarget


@pytest.fixture(autouse=True)
def _moto_version_is_pinned() -> None:
    import moto

    assert moto.__version__ == PINNED_MOTO, "RunDriver reads moto internals of 5.2.5 only"


@pytest.fixture
def s3(in_process_moto: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=SCRIPT_BUCKET)
    client.create_bucket(Bucket=LOG_BUCKET)
    return client


@pytest.fixture
def sls(in_process_moto: None) -> Any:
    return boto3.client("emr-serverless", region_name=REGION)


@pytest.fixture
def new_application(sls: Any) -> Callable[..., str]:
    def new(name: str = "kiter-hive", kind: str = "HIVE") -> str:
        return str(
            sls.create_application(name=name, releaseLabel="emr-7.1.0", type=kind)["applicationId"]
        )

    return new


@pytest.fixture
def application_id(new_application: Callable[..., str]) -> str:
    return new_application()


@pytest.fixture
def runs(application_id: str) -> RunDriver:
    return RunDriver(application_id)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def echoed() -> list[str]:
    return []


@pytest.fixture
def make_target(
    s3: Any, sls: Any, application_id: str, fake_time: FakeTime, echoed: list[str]
) -> Callable[..., EmrServerlessTarget]:
    def make(**overrides: Any) -> EmrServerlessTarget:
        kwargs: dict[str, Any] = {
            "s3": s3,
            "emr_serverless": sls,
            "application_id": application_id,
            "execution_role_arn": ROLE,
            "script_prefix": f"s3://{SCRIPT_BUCKET}/kiter/scripts/",
            "log_uri": f"s3://{LOG_BUCKET}/hive-logs/",
            "echo": echoed.append,
            "clock": fake_time.clock,
            "sleep": fake_time.sleep,
        }
        kwargs.update(overrides)
        return EmrServerlessTarget("sls-test", **kwargs)

    return make


@pytest.fixture
def hive_script() -> Script:
    return Script(
        job="hourly_counts",
        engine="hive",
        text="SELECT COUNT(*) FROM staged_weblogs;\n",
        logical_name="hourly",
        iteration=7,
        attempt=2,
        variables={"OUTPUT": "s3://out/hourly/7", "DAY": "2024-05-01"},
    )


@pytest.fixture
def push_driver_logs(s3: Any, application_id: str) -> Callable[[str, dict[str, str]], None]:
    """Put gzipped logs where EMR Serverless does: <logUri>/applications/<app>/jobs/<run>/HIVE_DRIVER/."""

    def push(job_run_id: str, logs: dict[str, str]) -> None:
        for name, text in logs.items():
            s3.put_object(
                Bucket=LOG_BUCKET,
                Key=f"hive-logs/applications/{application_id}/jobs/{job_run_id}/HIVE_DRIVER/{name}.gz",
                Body=gzip.compress(text.encode()),
            )

    return push
